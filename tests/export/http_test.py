#!/usr/bin/python3
"""The exports over the HTTP door (issue 28), against the real server on a
throwaway database loaded with data/, as a calendar program, curl and a
browser's download see them: the files themselves (not JSON envelopes), their
media types and names, entity tags and If-None-Match (304 while nothing
changed, 200 with a new tag after a change), exports pinned to a revision
cached for a day, and errors before the first byte as the door's JSON errors.

What the files say is the engine's to test (its own tests); this checks what
the transport promises, and only such content as every correct export has
(a calendar begins with BEGIN:VCALENDAR, Popolo is JSON, a zip begins "PK").

Usage: http_test.py BINARY SOURCE_DIR  (FORUM_REGISTRY_TEST_ADMIN_URL set,
as script/test does)
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
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

    def get(self, path, headers=None):
        """A plain GET, as a calendar program sends it."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as e:
            return Answer(e.code, e.headers, e.read())

    def write(self, method, path, body):
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode(),
            headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.headers['x-forum-registry-revision']


def revision_of(etag):
    match = ETAG.match(etag or '')
    return int(match.group(1)) if match else None


def run(binary, source_dir, work, cleanups):
    url = browser_test.seed_database(binary, source_dir, 'fr_export_http', cleanups)
    server, port = browser_test.start_server(
        binary, url, '', work, ['--max-concurrent-exports', '2'])
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
