#!/usr/bin/python3
"""The exports over the HTTP door (issue 28), against the real server on a
throwaway database loaded with data/, as a calendar program, curl and a
browser's download see them: the files themselves (not JSON envelopes), their
media types and names, entity tags and If-None-Match (304 while nothing
changed, 200 with a new tag after a change), exports pinned to a revision
cached for a day, errors before the first byte as the door's JSON errors,
HEAD answered with the headers alone, and the export slots: 429 with
Retry-After past --max-concurrent-exports, slots given back by clients that
leave, and running exports ended 503 at the drain (exports held in the
database by a lock on a table, however small the registry).

What the files say is the engine's to test (its own tests); this checks what
the transport promises, and only such content as every correct export has
(a calendar begins with BEGIN:VCALENDAR, Popolo is JSON, a zip begins "PK").

Usage: http_test.py BINARY SOURCE_DIR  (FORUM_REGISTRY_TEST_ADMIN_URL set,
as script/test does)
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'browser'))
import browser_test  # noqa: E402  (the harness: a seeded database, the server)

Failure = browser_test.Failure
TIMEOUT = 30
# `"r<revision>-<12 hex digits>"` (api/export_service.h).
ETAG = re.compile(r'^"r([0-9]+)-[0-9a-f]{12}"$')


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name)

    def __repr__(self):
        return f'HTTP {self.status} {dict(self.headers)} {self.body[:300]!r}'


class Door:
    def __init__(self, port):
        self.base = f'http://127.0.0.1:{port}'
        self.host, self.port = '127.0.0.1', port

    def get(self, path, headers=None):
        """A plain GET, as a calendar program sends it."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as e:
            return Answer(e.code, e.headers, e.read())

    def request(self, method, path, header_lines=()):
        """A request with its header lines as given (a name may repeat)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            connection.putrequest(method, path)
            for name, value in header_lines:
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def send_only(self, path):
        """A GET whose client then reads nothing (a socket, left open)."""
        sock = socket.create_connection((self.host, self.port), timeout=TIMEOUT)
        sock.sendall(f'GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.encode())
        return sock

    def write(self, method, path, body):
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode(),
            headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.headers['x-forum-registry-revision']


class TableLock:
    """A transaction of psql's holding `table` in ACCESS EXCLUSIVE mode."""

    def __init__(self, url, table):
        self.process = subprocess.Popen(
            ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', url],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            text=True)
        self.process.stdin.write(f'BEGIN;\nLOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\n')
        self.process.stdin.flush()
        query = ("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                 f"WHERE c.relname = '{table}' AND l.mode = 'AccessExclusiveLock' AND l.granted")
        if not wait_for(lambda: psql_count(url, query) == 1):
            raise Failure(f'psql did not lock {table}')

    def release(self):
        if self.process.poll() is None:
            self.process.communicate('COMMIT;\n', timeout=TIMEOUT)


def psql_count(url, query):
    result = subprocess.run(['psql', '-X', '-q', '-A', '-t', url, '-c', query],
                            capture_output=True, text=True, timeout=TIMEOUT)
    return int(result.stdout.strip() or -1)


def waiting_on(url, table):
    """Sessions of the registry's database waiting for a lock, reading `table`."""
    return psql_count(url, "SELECT count(*) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                           f"AND query ILIKE '%{table}%'")


def wait_for(condition, seconds=TIMEOUT):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def rpc_codes(log, method):
    """The codes of the `rpc` lines of `method` in the server's log."""
    codes = []
    with open(log, encoding='utf-8', errors='replace') as f:
        for line in f:
            if '"rpc"' in line and method in line:
                try:
                    codes.append(json.loads(line).get('code'))
                except ValueError:
                    pass
    return codes


def read_answer(sock):
    """The status line, headers and body a raw socket receives, up to its
    close or TIMEOUT; None if nothing came."""
    sock.settimeout(TIMEOUT)
    data = b''
    try:
        while True:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
            head, _, body = data.partition(b'\r\n\r\n')
            length = re.search(rb'(?im)^content-length: *([0-9]+)', head)
            if length and len(body) >= int(length.group(1)):
                break
    except OSError:
        pass
    finally:
        sock.close()
    head, _, body = data.partition(b'\r\n\r\n')
    match = re.match(rb'HTTP/1\.[01] ([0-9]{3})', head)
    if not match:
        return None
    headers = {}
    for line in head.split(b'\r\n')[1:]:
        name, _, value = line.decode('latin-1').partition(':')
        headers[name.strip()] = value.strip()
    return Answer(int(match.group(1)), headers, body)


def revision_of(etag):
    match = ETAG.match(etag or '')
    return int(match.group(1)) if match else None


def run(binary, source_dir, work, cleanups):
    url = browser_test.seed_database(binary, source_dir, 'fr_export_http', cleanups)
    server, port = browser_test.start_server(
        binary, url, '', work, ['--max-concurrent-exports', '2', '--drain-period', '3s'])
    cleanups.append(lambda: (server.send_signal(signal.SIGTERM), server.wait(10)))
    door = Door(port)
    checks = []

    def check(name, ok, detail=''):
        checks.append((name, ok))
        print(f'{"ok" if ok else "FAILED"}: {name}' + ('' if ok else f'\n  {detail}'))

    # (a) A forum's calendar, and a poll that finds nothing changed.
    calendar = door.get('/v1/forums/arf/sessions.ics')
    etag = calendar.header('ETag')
    check('GET /v1/forums/arf/sessions.ics is a calendar with a strong entity tag',
          calendar.status == 200
          and (calendar.header('Content-Type') or '').startswith('text/calendar')
          and revision_of(etag) is not None
          and calendar.body.startswith(b'BEGIN:VCALENDAR'), repr(calendar))
    check('it is revalidated every time, and named',
          calendar.header('Cache-Control') == 'private, no-cache'
          and 'sessions.ics' in (calendar.header('Content-Disposition') or ''),
          repr(calendar))
    again = door.get('/v1/forums/arf/sessions.ics')
    # A strong tag promises the same bytes (RFC 9110 §8.8.1).
    check('the same calendar of the same state: the same tag and the same bytes',
          again.status == 200 and again.header('ETag') == etag
          and again.body == calendar.body, repr(again))

    unchanged = door.get('/v1/forums/arf/sessions.ics', {'If-None-Match': etag})
    check('If-None-Match with its tag: 304 with the tag and no body',
          unchanged.status == 304 and unchanged.body == b''
          and unchanged.header('ETag') == etag
          and unchanged.header('Cache-Control') == 'private, no-cache', repr(unchanged))
    listed = door.get('/v1/forums/arf/sessions.ics',
                      {'If-None-Match': f'"r1-000000000000", W/{etag}'})
    check('a list of tags, the weak form of ours among them: 304', listed.status == 304,
          repr(listed))
    other = door.get('/v1/forums/arf/sessions.ics', {'If-None-Match': '"r1-000000000000"'})
    check('another tag: 200 and the calendar',
          other.status == 200 and other.body == calendar.body, repr(other))

    split = door.request('GET', '/v1/forums/arf/sessions.ics',
                         [('If-None-Match', '"r1-000000000000"'), ('If-None-Match', etag)])
    check('a list of tags over two If-None-Match lines, ours on the second: 304',
          split.status == 304 and split.header('ETag') == etag, repr(split))

    # HEAD: the headers a GET has, for what a 304 costs (no slot, no file).
    head = door.request('HEAD', '/v1/forums/arf/sessions.ics')
    check('HEAD of the calendar: 200, its tag, type, caching and name, no body',
          head.status == 200 and head.body == b''
          and head.header('ETag') == etag
          and (head.header('Content-Type') or '').startswith('text/calendar')
          and head.header('Cache-Control') == 'private, no-cache'
          and 'sessions.ics' in (head.header('Content-Disposition') or '')
          and head.header('Content-Length') is None, repr(head))
    head_csv = door.request('HEAD', '/v1/exports/csv.zip')
    check('HEAD of the CSV download: application/zip, named, tagged',
          head_csv.status == 200 and head_csv.header('Content-Type') == 'application/zip'
          and 'csv.zip' in (head_csv.header('Content-Disposition') or '')
          and revision_of(head_csv.header('ETag')) is not None, repr(head_csv))
    head_match = door.request('HEAD', '/v1/forums/arf/sessions.ics', [('If-None-Match', etag)])
    check('HEAD with If-None-Match naming the tag: 304',
          head_match.status == 304 and head_match.header('ETag') == etag, repr(head_match))
    head_bad = door.request('HEAD', '/v1/exports/popolo.json?as_of=2023-13-40')
    check('HEAD of a bad request: 400', head_bad.status == 400, repr(head_bad))

    # (b) A session changes: a new tag, and the old one no longer matches.
    revision = door.write('PATCH', '/v1/forums/arf/sessions/30?update_mask=displayName',
                          {'displayName': 'The 30th ARF, renamed by the export test'})
    changed = door.get('/v1/forums/arf/sessions.ics', {'If-None-Match': etag})
    new_etag = changed.header('ETag')
    check('after a PATCH of forums/arf/sessions/30, the old tag gets 200 and a new tag',
          changed.status == 200 and new_etag not in (None, etag)
          and changed.body.startswith(b'BEGIN:VCALENDAR'), repr(changed))
    check('the new tag names the revision of the change (or a later one)',
          (revision_of(new_etag) or 0) >= int(revision) > revision_of(etag),
          f'{etag} -> {new_etag}, the PATCH made revision {revision}')
    check('and is matched in turn',
          door.get('/v1/forums/arf/sessions.ics', {'If-None-Match': new_etag}).status == 304)

    # (c) Every forum's calendar; a calendar pinned to a revision.
    everyone = door.get('/v1/sessions.ics')
    check('/v1/sessions.ics is the calendar of every forum, with a tag of its own',
          everyone.status == 200
          and (everyone.header('Content-Type') or '').startswith('text/calendar')
          and revision_of(everyone.header('ETag')) is not None
          and everyone.header('ETag') != new_etag, repr(everyone))
    dash = door.get('/v1/forums/-/sessions.ics')
    check('forums/- is the same calendar', dash.status == 200
          and dash.header('ETag') == everyone.header('ETag'), repr(dash))
    pinned_revision = revision_of(new_etag)
    pinned = door.get(f'/v1/forums/arf/sessions.ics?as_of_revision={pinned_revision}')
    check('a calendar as of a revision is cached for a day, its tag naming that revision',
          pinned.status == 200 and pinned.header('Cache-Control') == 'private, max-age=86400'
          and revision_of(pinned.header('ETag')) == pinned_revision, repr(pinned))
    door.write('PATCH', '/v1/forums/arf/sessions/30?update_mask=displayName',
               {'displayName': 'The 30th ARF, renamed again'})
    still = door.get(f'/v1/forums/arf/sessions.ics?as_of_revision={pinned_revision}',
                     {'If-None-Match': pinned.header('ETag') or ''})
    check('after a later change, the pinned calendar is still not modified',
          still.status == 304, repr(still))

    # (d) The downloads.
    popolo = door.get('/v1/exports/popolo.json')
    try:
        json.loads(popolo.body)
        parsed = True
    except ValueError:
        parsed = False
    check('/v1/exports/popolo.json is one JSON document, a download named popolo.json',
          popolo.status == 200 and popolo.header('Content-Type') == 'application/json'
          and parsed and (popolo.header('Content-Disposition') or '').startswith('attachment')
          and 'popolo.json' in popolo.header('Content-Disposition')
          and revision_of(popolo.header('ETag')) is not None, repr(popolo))
    csv = door.get('/v1/exports/csv.zip')
    check('/v1/exports/csv.zip is a zip, a download named csv.zip',
          csv.status == 200 and csv.header('Content-Type') == 'application/zip'
          and csv.body.startswith(b'PK')
          and 'csv.zip' in (csv.header('Content-Disposition') or ''), repr(csv))
    one = door.get('/v1/exports/popolo.json?forum=forums/arf')
    check('an export of one forum has a tag of its own',
          one.status == 200 and one.header('ETag') != popolo.header('ETag'), repr(one))

    # (e) Errors before the first byte are the door's JSON errors.
    bad = door.get('/v1/exports/popolo.json?as_of=2023-13-40')
    error = json.loads(bad.body or b'{}') if bad.header('Content-Type') == 'application/json' else {}
    check('a bad as_of: 400, a JSON error naming as_of, no file and no tag',
          bad.status == 400 and error.get('code') == 3 and 'as_of' in error.get('message', '')
          and bad.header('ETag') is None and bad.header('Content-Disposition') is None,
          repr(bad))
    missing = door.get('/v1/forums/no-such-forum/sessions.ics')
    check('the calendar of a forum that does not exist: 404, a JSON error',
          missing.status == 404 and missing.header('Content-Type') == 'application/json'
          and json.loads(missing.body).get('code') == 5, repr(missing))
    imprecise = door.get('/v1/sessions.ics?imprecise=round')
    check('imprecise other than omit or span: 400 naming it',
          imprecise.status == 400 and b'imprecise' in imprecise.body, repr(imprecise))

    # (f) Plain curl, and a calendar program's Accept.
    if shutil.which('curl'):
        out = os.path.join(work, 'curl.ics')
        result = subprocess.run(
            ['curl', '-sS', '-o', out, '-w', '%{http_code} %{content_type}',
             f'{door.base}/v1/forums/arf/sessions.ics'],
            capture_output=True, text=True, timeout=TIMEOUT)
        check('plain curl downloads the calendar',
              result.stdout.startswith('200 text/calendar')
              and open(out, 'rb').read().startswith(b'BEGIN:VCALENDAR'),
              result.stdout + result.stderr)
    for accept in ('text/calendar', '*/*'):
        answer = door.get('/v1/sessions.ics', {'Accept': accept, 'User-Agent': 'CalendarAgent/1'})
        check(f'Accept: {accept} is served', answer.status == 200, repr(answer))

    # (g) The slots, with exports held in the database: a lock on the forums
    # table stops each export at its first read of it (after its snapshot
    # opened and it took its slot), however small the registry.
    log = os.path.join(work, 'server.log')
    lock = TableLock(url, 'forums')
    cleanups.append(lock.release)
    held = [door.send_only('/v1/exports/popolo.json') for _ in range(2)]
    check('two exports wait on the lock, each holding a slot',
          wait_for(lambda: waiting_on(url, 'forums') == 2), 'waiting')
    refused = door.get('/v1/exports/popolo.json')
    check('a third while both slots are held: 429 with Retry-After',
          refused.status == 429 and refused.header('Retry-After') == '1'
          and refused.header('ETag') is None, repr(refused))
    head_busy = door.request('HEAD', '/v1/exports/popolo.json')
    check('a HEAD meanwhile takes no slot: 200',
          head_busy.status == 200 and revision_of(head_busy.header('ETag')) is not None,
          repr(head_busy))
    ended = len(rpc_codes(log, 'ExportPopolo'))
    for client in held:
        client.close()  # the clients leave mid-export
    lock.release()
    # (The door learns that a client left only once its answer begins: a
    # connection waiting for its first byte is suspended, not polled. So
    # whether these end CANCELLED or OK depends on the export's size.)
    check('the exports of the clients that left end',
          wait_for(lambda: len(rpc_codes(log, 'ExportPopolo')) >= ended + 2),
          rpc_codes(log, 'ExportPopolo'))
    again = door.get('/v1/exports/popolo.json')
    check('and give back their slots: the next export is served',
          again.status == 200 and again.body.startswith(b'{'), repr(again))

    # (h) The drain ends a running export at once, with UNAVAILABLE, instead
    # of waiting for its next write (the shutdown, 3 s later, would cancel
    # it).
    lock = TableLock(url, 'forums')
    cleanups.append(lock.release)
    running = door.send_only('/v1/exports/popolo.json')
    check('an export waits on the lock',
          wait_for(lambda: waiting_on(url, 'forums') == 1), 'waiting')
    server.send_signal(signal.SIGTERM)
    drained = read_answer(running)
    check('SIGTERM: the running export is answered 503 (shutting down) while '
          'it still waits on the database',
          drained is not None and drained.status == 503
          and b'shutting down' in drained.body, repr(drained))
    lock.release()
    server.wait(TIMEOUT)

    failed = [name for name, ok in checks if not ok]
    print(f'{len(checks) - len(failed)} passed, {len(failed)} failed')
    return not failed


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, source_dir = sys.argv[1], sys.argv[2]
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit('stopped by signal'))
    work = tempfile.mkdtemp(prefix='fr-export-http-')
    cleanups = []
    ok = False
    try:
        ok = run(binary, source_dir, work, cleanups)
    except (Failure, OSError, subprocess.CalledProcessError) as e:
        print(f'FAILED: {e}')
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as e:  # the others still run
                print(f'cleanup: {e}')
        if not ok:
            path = os.path.join(work, 'server.log')
            if os.path.exists(path):
                print('--- server.log (last lines)')
                print(''.join(open(path, errors='replace').readlines()[-30:]))
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
