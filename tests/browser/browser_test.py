#!/usr/bin/python3
"""The HTTP door as a browser sees it: Debian's headless Chromium opens a page
(page.html, page.js) served from an origin of its own and calls the real
server, on a throwaway database loaded with data/, from there.

  - fetch lists forums over two pages and creates one (a preflighted POST
    whose revision header the server exposes);
  - EventSource follows the change feed while this test writes through the
    door; a TCP proxy between the browser and the door then drops every
    connection, and EventSource must come back by itself with Last-Event-ID
    and receive each change exactly once: none missed, none repeated;
  - the same calls from an origin not in --http-cors-origins (an iframe
    served from a second port) are refused by the browser.

The page reports what it saw by POSTing to /result on its own origin; the
test waits for those reports, never for a fixed time.

Usage: browser_test.py BINARY SOURCE_DIR  (FORUM_REGISTRY_TEST_ADMIN_URL set,
as script/test does)
"""
import ctypes
import glob
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
WAIT_SECONDS = 15  # for any one thing the browser or the server should do


class Failure(Exception):
    pass


def die_with_parent():
    """Run in a child before exec: killed if this test dies first."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Reports:
    """What the pages POSTed to /result, in the order each origin sent them."""

    def __init__(self):
        self._cond = threading.Condition()
        self._reports = []

    def add(self, origin, report):
        with self._cond:
            report['origin'] = origin
            self._reports.append(report)
            self._cond.notify_all()

    def all(self, origin=None, kind=None):
        with self._cond:
            return [r for r in self._reports
                    if origin in (None, r['origin']) and kind in (None, r['kind'])]

    def wait(self, what, origin, kind, count=1, match=lambda r: True):
        """The first `count` reports of `kind` from `origin` that `match`."""
        deadline = time.monotonic() + WAIT_SECONDS
        with self._cond:
            while True:
                errors = [r for r in self._reports if r['kind'] == 'page_error']
                if errors:
                    raise Failure(f'the page failed: {errors[0]["message"]}')
                found = [r for r in self._reports
                         if r['origin'] == origin and r['kind'] == kind and match(r)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f'no report that {what} within {WAIT_SECONDS} s; '
                                  'reports:\n' + '\n'.join(json.dumps(r) for r in self._reports))
                self._cond.wait(left)


def serve_pages(name, reports):
    """An HTTP server for this folder's page on a port of its own (an origin
    of its own) that hands the reports POSTed to /result to `reports`."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=HERE, **kwargs)

        def do_POST(self):
            if self.path != '/result':
                self.send_error(404)
                return
            body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
            reports.add(name, json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f'http://127.0.0.1:{server.server_address[1]}'


class Proxy:
    """Forwards 127.0.0.1:port to the door, remembers the head of each
    connection's first request, and can drop every connection at once, as a
    load balancer restarting would."""

    def __init__(self, target_port):
        self._target = ('127.0.0.1', target_port)
        self._listener = socket.create_server(('127.0.0.1', 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open = set()  # the sockets of every connection, both ends
        self.request_heads = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, server))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source, sink, from_browser):
        head = b''
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if from_browser and head is not None:
                    head += data
                    if b'\r\n\r\n' in head:
                        with self._lock:
                            self.request_heads.append(head.split(b'\r\n\r\n')[0].decode('latin-1'))
                        head = None
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            self._close(sock)

    def _close(self, sock):
        with self._lock:
            self._open.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def drop_all(self):
        with self._lock:
            socks = list(self._open)
        for sock in socks:
            self._close(sock)
        return len(socks) // 2

    def close(self):
        # shutdown wakes the accept in progress; close alone would not.
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self.drop_all()


class Door:
    """Calls to the door with urllib, straight to its port."""

    def __init__(self, port):
        self.base = f'http://127.0.0.1:{port}'

    def call(self, method, path, body=None, headers=None):
        request = urllib.request.Request(
            self.base + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={'Content-Type': 'application/json', **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
                return response.status, response.headers, json.loads(response.read() or b'{}')
        except urllib.error.HTTPError as e:
            return e.code, e.headers, json.loads(e.read() or b'{}')

    def write(self, method, path, body):
        """A write that must succeed; its revision."""
        status, headers, answer = self.call(method, path, body)
        if status != 200:
            raise Failure(f'{method} {path}: HTTP {status} {answer}')
        return headers['x-forum-registry-revision']


def header(head, name):
    """The value of header `name` in a request's head; None without it."""
    for line in head.split('\r\n')[1:]:
        key, _, value = line.partition(':')
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def start_server(binary, url, cors_origins, work, extra_args=()):
    """The server on a database at `url`, its door on a port of its own;
    returns the process and the door's port. tests/export/http_test.py uses it
    too."""
    log = open(os.path.join(work, 'server.log'), 'wb')
    process = subprocess.Popen(
        [binary, 'serve', '--database-url', url, '--listen-address', '127.0.0.1:0',
         '--metrics-address', '', '--http-address', '127.0.0.1:0', '--no-auth',
         '--http-cors-origins', cors_origins, '--drain-period', '0s',
         '--shutdown-timeout', '2s', *extra_args],
        stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with open(log.name, encoding='utf-8', errors='replace') as f:
            for line in f:
                if '"http_listening"' in line:
                    return process, json.loads(line)['port']
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise Failure('the server did not say http_listening:\n' + open(log.name).read())


def start_chromium(url, work):
    profile = os.path.join(work, 'chromium-profile')
    log = open(os.path.join(work, 'chromium.log'), 'wb')
    # A session of its own, so that every process it starts goes with it.
    return subprocess.Popen(
        ['chromium', '--headless=new', '--no-sandbox', '--disable-gpu',
         '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
         '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--disable-extensions', f'--user-data-dir={profile}', url],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=die_with_parent)


def stop_group(process):
    """SIGTERM, then SIGKILL, to the process group `process` leads."""
    for sig, grace in ((signal.SIGTERM, 3), (signal.SIGKILL, 3)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; its children may not be yet.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        break


def seed_database(binary, source_dir, prefix, cleanups):
    """A database of its own (dropped by `cleanups`), migrated and loaded
    with data/; its URL. tests/export/http_test.py uses it too."""
    admin = os.environ.get('FORUM_REGISTRY_TEST_ADMIN_URL')
    if not admin:
        raise Failure('FORUM_REGISTRY_TEST_ADMIN_URL is not set: run through script/test')
    database = f'{prefix}_{os.getpid()}'
    url = admin.replace('///postgres?', f'///{database}?')
    subprocess.run(['psql', '-X', '-q', admin, '-c', f'CREATE DATABASE {database}'], check=True)
    cleanups.append(lambda: subprocess.run(
        ['psql', '-X', '-q', admin, '-c', f'DROP DATABASE IF EXISTS {database} WITH (FORCE)'],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    subprocess.run([binary, 'migrate', '--database-url', url], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([binary, 'import', '--database-url', url,
                    *sorted(glob.glob(os.path.join(source_dir, 'data', '*.textproto')))],
                   check=True, stdout=subprocess.DEVNULL)
    return url


def run(binary, source_dir, work, cleanups):
    url = seed_database(binary, source_dir, 'fr_browser', cleanups)

    reports = Reports()
    page_server, page_origin = serve_pages('page', reports)
    foreign_server, foreign_origin = serve_pages('foreign', reports)
    cleanups += [page_server.shutdown, foreign_server.shutdown]

    server, port = start_server(binary, url, page_origin, work)
    cleanups.append(lambda: (server.send_signal(signal.SIGTERM), server.wait(10)))
    door = Door(port)
    proxy = Proxy(port)
    cleanups.append(proxy.close)
    api = f'http://127.0.0.1:{proxy.port}'

    chromium = start_chromium(
        f'{page_origin}/page.html?role=follow&api={urllib.parse.quote(api)}'
        f'&foreign={urllib.parse.quote(foreign_origin)}', work)
    cleanups.append(lambda: stop_group(chromium))

    checks = []

    def check(name, ok, detail=''):
        checks.append((name, ok))
        print(f'{"ok" if ok else "FAILED"}: {name}' + ('' if ok else f'\n  {detail}'))

    # (a) The list, as the door answers it to urllib.
    listed = reports.wait('the page listed forums', 'page', 'list')[0]
    _, _, first = door.call('GET', '/v1/forums?page_size=2')
    _, _, second = door.call(
        'GET', '/v1/forums?page_size=2&page_token=' + urllib.parse.quote(first['nextPageToken']))
    expected = [[f['name'] for f in page['forums']] for page in (first, second)]
    check('fetch lists two pages of forums, the second by the first\'s token',
          listed['pages'] == expected and len(set(sum(expected, []))) == 4,
          f'page saw {listed["pages"]}, urllib {expected}')

    created = reports.wait('the page created a forum', 'page', 'created')[0]
    check('a preflighted POST from the page creates a forum and reads its revision',
          created['name'] == 'forums/browser-page' and (created['revision'] or '').isdigit(),
          str(created))

    # (b) Changes while the page watches.
    reports.wait('the watch opened', 'page', 'open')
    revision_a = door.write('POST', f'/v1/forums?forum_id=browser-a&request_id={uuid.uuid4()}',
                            {'kind': 'FORUM_KIND_SUMMIT', 'displayName': 'Browser A'})
    reports.wait('the watch saw the create', 'page', 'change',
                 match=lambda r: r['id'] == revision_a)

    # The stream dropped under the browser; a change written while it is away.
    dropped = proxy.drop_all()
    error = reports.wait('EventSource saw the stream end', 'page', 'error')[0]
    revision_b = door.write('PATCH', '/v1/forums/browser-a?update_mask=displayName',
                            {'displayName': 'Browser A, renamed'})
    reports.wait('EventSource reconnected', 'page', 'open', count=2)
    revision_c = door.write('PATCH', '/v1/forums/browser-a?update_mask=displayName',
                            {'displayName': 'Browser A, renamed again'})
    reports.wait('the watch saw the last change', 'page', 'change',
                 match=lambda r: r['id'] == revision_c)

    check(f'dropping the proxy\'s {dropped} connections ends the stream; EventSource reconnects',
          dropped >= 1 and error['readyState'] == 0, str(error))  # 0: CONNECTING
    # The first watch may share a connection with the fetches before it (the
    # proxy sees only each connection's first request); the reconnect, the
    # one watch request with Last-Event-ID, comes on a new one.
    resumes = [header(h, 'Last-Event-ID') for h in proxy.request_heads
               if h.startswith('GET /v1/changes:watch') and header(h, 'Last-Event-ID')]
    check('the reconnect sends Last-Event-ID, the last id the page received',
          resumes == [error['lastEventId']]
          and int(revision_a) <= int(error['lastEventId']) < int(revision_b),
          f'last id {error["lastEventId"]}, Last-Event-IDs sent {resumes}')
    # A change repeated after the reconnect would come before the later ones,
    # so once the last has arrived the list is complete. A message may carry
    # several changes (a replay does); its id is the revision of its last.
    events = reports.all('page', 'change')
    seen = [(c['revision'], c['resource'], c['operation']) for r in events for c in r['changes']]
    want = [(revision_a, 'forums/browser-a', 'CHANGE_OPERATION_CREATE'),
            (revision_b, 'forums/browser-a', 'CHANGE_OPERATION_UPDATE'),
            (revision_c, 'forums/browser-a', 'CHANGE_OPERATION_UPDATE')]
    check('every change arrives once, in order', seen == want, f'saw {seen}\n  wanted {want}')
    check('each event\'s id is the revision of its message and of its last change',
          all(r['id'] == r['revision'] == r['changes'][-1]['revision'] for r in events),
          json.dumps(events))
    statuses = reports.all('page', 'status')
    check('no stream ended with a status', not statuses, str(statuses))

    # (c) Another origin.
    foreign = reports.wait('the foreign page tried its calls', 'foreign', 'foreign')[0]
    check('from an origin not listed, the browser refuses fetch, a preflighted POST and '
          'EventSource',
          foreign['get'].startswith('refused: TypeError')
          and foreign['post'].startswith('refused: TypeError')
          and foreign['watch'] == 'refused', str(foreign))
    status, _, _ = door.call('GET', '/v1/forums/browser-foreign')
    check('the refused POST created nothing', status == 404, f'HTTP {status}')

    failed = [name for name, ok in checks if not ok]
    print(f'{len(checks) - len(failed)} passed, {len(failed)} failed')
    return not failed


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    if shutil.which('chromium') is None:
        sys.exit('chromium is not installed: run script/bootstrap')
    binary, source_dir = sys.argv[1], sys.argv[2]
    # ctest's timeout and ^C end the test through its cleanups.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit('stopped by signal'))
    work = tempfile.mkdtemp(prefix='fr-browser-')
    cleanups = []
    ok = False
    try:
        ok = run(binary, source_dir, work, cleanups)
    except Failure as e:
        print(f'FAILED: {e}')
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as e:  # the others still run
                print(f'cleanup: {e}')
        if not ok:
            for name in ('server.log', 'chromium.log'):
                path = os.path.join(work, name)
                if os.path.exists(path):
                    print(f'--- {name} (last lines)')
                    print(''.join(open(path, errors='replace').readlines()[-30:]))
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
