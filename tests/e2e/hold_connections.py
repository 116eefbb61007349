#!/usr/bin/python3
"""Opens COUNT TCP connections to HOST:PORT from the local address SOURCE,
each sending the HTTP/2 client preface and SETTINGS and, with METHOD, one
call of it that it never ends (headers only), so a proxy in front opens a
connection to the server behind it. After a second it prints how many are
still open and how many the peer refused or closed: "open=N closed=M";
then it holds the open ones until SECONDS have passed since it began, and
closes them all.

Usage: hold_connections.py HOST PORT SOURCE COUNT SECONDS [METHOD]
"""
import select
import socket
import sys
import time

import h2.config
import h2.connection


def main():
    host, port, source, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    end = time.monotonic() + float(sys.argv[5])
    method = sys.argv[6] if len(sys.argv) > 6 else None
    held, closed = [], 0
    # Connected all at once, without blocking: a peer that stops accepting
    # lets its backlog fill, and then drops the rest, which a blocking
    # connect would wait seconds for, each.
    pending = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.bind((source, 0))
            sock.connect_ex((host, port))
        except OSError:
            sock.close()
            closed += 1
            continue
        pending.append(sock)
    deadline = time.monotonic() + 1
    connected = []
    while pending and time.monotonic() < deadline:
        _, writable, _ = select.select([], pending, [], max(0, deadline - time.monotonic()))
        for sock in writable:
            pending.remove(sock)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected.append(sock)
            else:
                sock.close()
                closed += 1
    for sock in pending:  # never connected
        sock.close()
        closed += 1
    for sock in connected:
        sock.setblocking(True)
        sock.settimeout(5)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        if method:
            conn.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":path", method),
                                  (":authority", f"{host}:{port}"),
                                  ("content-type", "application/grpc"), ("te", "trailers")])
        try:
            sock.sendall(conn.data_to_send())
        except OSError:
            closed += 1
            sock.close()
            continue
        held.append(sock)
    time.sleep(1)
    still = []
    for sock in held:
        # Open unless the peer closed it: whatever it sent (SETTINGS) is
        # read and dropped.
        alive = True
        while select.select([sock], [], [], 0)[0]:
            try:
                if not sock.recv(65536):
                    alive = False
                    break
            except OSError:
                alive = False
                break
        if alive:
            still.append(sock)
        else:
            closed += 1
            sock.close()
    print(f"open={len(still)} closed={closed}", flush=True)
    time.sleep(max(0, end - time.monotonic()))
    for sock in still:
        sock.close()


if __name__ == "__main__":
    main()
