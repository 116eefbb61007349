#!/usr/bin/python3
"""Sends COUNT whole calls of METHOD (an empty request message) on one
plaintext HTTP/2 connection to HOST:PORT from the local address SOURCE,
at most 50 at a time, and waits for every answer. Prints how they ended:
"ok=N refused=M other=K", where refused counts RESOURCE_EXHAUSTED (8) and
ok any other gRPC status the server gave (the request may be invalid).

Usage: request_flood.py HOST PORT SOURCE METHOD COUNT
"""
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events

EMPTY_MESSAGE = b"\x00\x00\x00\x00\x00"


def main():
    host, port, source, method, count = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                         sys.argv[4], int(sys.argv[5]))
    sock = socket.create_connection((host, port), timeout=10, source_address=(source, 0))
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    headers = [(":method", "POST"), (":scheme", "http"), (":path", method),
               (":authority", f"{host}:{port}"), ("content-type", "application/grpc"),
               ("te", "trailers")]
    sent = ok = refused = other = 0
    open_streams = set()
    deadline = time.monotonic() + 30
    while (sent < count or open_streams) and time.monotonic() < deadline:
        while sent < count and len(open_streams) < 50:
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, headers)
            conn.send_data(stream, EMPTY_MESSAGE, end_stream=True)
            open_streams.add(stream)
            sent += 1
        sock.sendall(conn.data_to_send())
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                fields = {k.decode() if isinstance(k, bytes) else k:
                          v.decode() if isinstance(v, bytes) else v for k, v in event.headers}
                if "grpc-status" in fields and event.stream_id in open_streams:
                    open_streams.discard(event.stream_id)
                    if fields["grpc-status"] == "8":
                        refused += 1
                    else:
                        ok += 1
            elif isinstance(event, h2.events.StreamReset):
                if event.stream_id in open_streams:
                    open_streams.discard(event.stream_id)
                    other += 1
            elif isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        pending = conn.data_to_send()
        if pending:
            sock.sendall(pending)
    other += len(open_streams)
    print(f"ok={ok} refused={refused} other={other}", flush=True)


if __name__ == "__main__":
    main()
