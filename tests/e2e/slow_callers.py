#!/usr/bin/python3
"""Callers that ask and never read: CONNECTIONS plaintext HTTP/2
connections (python3-h2, prior knowledge) each open STREAMS calls of METHOD
(a List, default /forumregistry.v1.ForumService/ListForums) with a page of
1,000 and grant the server no flow-control window, so no response can be
delivered; they hold on for SECONDS, then print how many calls they opened
and how many the server refused at once (a grpc-status in the first
headers), and close their connections.

Usage: slow_callers.py HOST PORT CONNECTIONS STREAMS SECONDS [METHOD]
"""
import os
import select
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings

# A List request {page_size: 1000} (field 1 in every List request),
# gRPC-framed: no compression, length 3.
MESSAGE = b"\x00\x00\x00\x00\x03" + b"\x08\xe8\x07"


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    connections, streams, seconds = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    method = sys.argv[6] if len(sys.argv) > 6 else "/forumregistry.v1.ForumService/ListForums"
    message = MESSAGE
    if len(sys.argv) > 7:
        body = bytes.fromhex(sys.argv[7])
        message = b"\x00" + len(body).to_bytes(4, "big") + body
    headers = [(":method", "POST"), (":scheme", "http"),
               (":path", method),
               (":authority", f"{host}:{port}"), ("content-type", "application/grpc"),
               ("te", "trailers")]
    open_calls = refused = 0
    first_refusal = ""
    conns = []
    for _ in range(connections):
        source = os.environ.get("SOURCE_ADDRESS")
        sock = socket.create_connection((host, port), timeout=10,
                                        source_address=(source, 0) if source else None)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.local_settings = h2.settings.Settings(client=True, initial_values={
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        conn.initiate_connection()
        conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        for _ in range(streams):
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, headers)
            conn.send_data(stream, message, end_stream=True)
            open_calls += 1
        sock.sendall(conn.data_to_send())
        conns.append((sock, conn))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        socks = [s for s, _ in conns]
        for sock in select.select(socks, [], [], 0.2)[0]:
            conn = next(c for s, c in conns if s is sock)
            try:
                data = sock.recv(65536)
            except OSError:
                continue
            if not data:
                continue
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    fields = dict(event.headers)
                    if b"grpc-status" in fields:
                        refused += 1  # trailers-only: answered at once
                        if not first_refusal:
                            first_refusal = fields.get(b"grpc-message", b"").decode()
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
    print(f"opened={open_calls} refused_at_once={refused} first_refusal={first_refusal}",
          flush=True)
    for sock, _ in conns:
        sock.close()


if __name__ == "__main__":
    main()
