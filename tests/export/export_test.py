#!/usr/bin/python3
"""The open-data exports (Popolo JSON, CSV, iCalendar) of the real binary,
on a throwaway database loaded with data/, checked by independent readers:

  - Popolo validates against the vendored Popolo 1.0.1 schemas (draft 3,
    Debian's python3-jsonschema), and the ARF ICT-security mechanism's chair
    post holds Russia and Indonesia for 2023-2024;
  - the calendar parses with Debian's python3-icalendar, the sessions of
    14 July 2023 are all-day events on that day, every line is at most 75
    octets and UIDs are unique;
  - every CSV file reads back with Python's csv module, each row as wide as
    its header; a participant named with a comma, a quote and a newline,
    with a Russian name and a Wikidata id, comes back exactly;
  - exports as of 2023-10-01 and 2022-01-01 differ exactly in the
    memberships and chairmanships the API lists as active on each day;
  - an export at an older revision is byte for byte the export taken then,
    after updates, a deletion and a creation; a revision not yet written
    fails with OUT_OF_RANGE and writes nothing.

Writes go through the server's HTTP door (--no-auth), as any client's would.

Usage: export_test.py BINARY SOURCE_DIR  (FORUM_REGISTRY_TEST_ADMIN_URL set,
as script/test does)
"""
import csv
import filecmp
import glob
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from datetime import date

import icalendar
import jsonschema

WAIT_SECONDS = 15


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'browser'))
import browser_test  # noqa: E402  (the harness: a seeded database, the server)

Failure = browser_test.Failure


class Door:
    def __init__(self, port):
        self.base = f'http://127.0.0.1:{port}'

    def call(self, method, path, body=None):
        request = urllib.request.Request(
            self.base + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
                return response.status, json.loads(response.read() or b'{}')
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b'{}')

    def ok(self, method, path, body=None):
        status, answer = self.call(method, path, body)
        if status != 200:
            raise Failure(f'{method} {path}: HTTP {status} {answer}')
        return answer

    def list_all(self, path, filter_text):
        names, token = [], ''
        while True:
            query = urllib.parse.urlencode(
                {'filter': filter_text, 'pageSize': 1000, 'pageToken': token})
            answer = self.ok('GET', f'{path}?{query}')
            key = [k for k in answer if k != 'nextPageToken'][0] if answer else None
            names += [r['name'] for r in answer.get(key, [])] if key else []
            token = answer.get('nextPageToken', '')
            if not token:
                return names


class Exports:
    """Runs `forum-registry export` against the test's database."""

    def __init__(self, binary, url, work):
        self.binary, self.url, self.work = binary, url, work
        self.count = 0

    def run(self, fmt, *args, output=None, expect_ok=True):
        self.count += 1
        if output is None:
            output = os.path.join(self.work, f'export-{self.count}.{fmt}')
            if fmt == 'csv':
                output = os.path.join(self.work, f'export-{self.count}')
        result = subprocess.run(
            [self.binary, 'export', '--database-url', self.url, '--format', fmt,
             '--output', output, '--progress', 'never', *args],
            capture_output=True, text=True)
        if expect_ok and result.returncode != 0:
            raise Failure(f'export --format {fmt} {args}: exit {result.returncode}\n'
                          f'{result.stderr}')
        return output, result


def popolo_validator(source_dir):
    schemas = os.path.join(source_dir, 'third_party', 'popolo', 'schemas')
    store = {}
    for path in glob.glob(os.path.join(schemas, '*.json')):
        schema = json.load(open(path, encoding='utf-8'))
        store[schema['id'].rstrip('#')] = schema
    def validator(name):
        schema = store[f'http://www.popoloproject.com/schemas/{name}.json']
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        return jsonschema.Draft3Validator(schema, resolver=resolver)
    return validator


DATE = re.compile(r'^[0-9]{4}(-[0-9]{2}){0,2}$')


def read_csv_dir(directory):
    """Every file of an export: {name: (header, rows)}, checking widths."""
    files = {}
    for path in sorted(glob.glob(os.path.join(directory, '*.csv'))):
        with open(path, encoding='utf-8', newline='') as f:
            raw = f.read()
        if raw and not raw.endswith('\r\n'):
            raise Failure(f'{path}: does not end with CRLF')
        rows = list(csv.reader(io.StringIO(raw, newline='')))
        header, body = rows[0], rows[1:]
        for i, row in enumerate(body):
            if len(row) != len(header):
                raise Failure(f'{os.path.basename(path)} row {i + 2}: {len(row)} '
                              f'fields, header has {len(header)}')
        files[os.path.basename(path)] = (header, body)
    return files


def run(binary, source_dir, work):
    cleanups = []
    failures = []

    def check(name, ok, detail=''):
        print(f'{"ok  " if ok else "FAIL"} {name}' + ('' if ok else f': {detail}'))
        if not ok:
            failures.append(name)

    try:
        url = browser_test.seed_database(binary, source_dir, 'fr_export', cleanups)
        server, port = browser_test.start_server(binary, url, '', work)
        cleanups.append(lambda: (server.send_signal(signal.SIGTERM), server.wait(10)))
        door = Door(port)
        exports = Exports(binary, url, work)

        # A participant whose name and id test quoting.
        tricky = 'Comma, "quote"\nnewline'
        door.ok('POST', '/v1/participants?participantId=tricky', {
            'kind': 'PARTICIPANT_KIND_ORGANIZATION', 'displayName': tricky,
            'names': [{'text': 'Запятая, "кавычки"', 'language': 'ru',
                       'kind': 'NAME_KIND_OFFICIAL'}],
            'externalIds': [{'scheme': 'wikidata', 'value': 'Q1'}]})

        # --- Popolo
        path, _ = exports.run('popolo')
        document = json.load(open(path, encoding='utf-8'))
        validator = popolo_validator(source_dir)
        errors = []
        for key, schema in (('organizations', 'organization'), ('persons', 'person'),
                            ('posts', 'post'), ('memberships', 'membership'),
                            ('events', 'event')):
            for item in document[key]:
                for error in validator(schema).iter_errors(item):
                    errors.append(f'{key} {item.get("id")}: {error.message}')
                for field in ('founding_date', 'dissolution_date', 'start_date', 'end_date'):
                    if field in item and not DATE.match(item[field]):
                        errors.append(f'{key} {item["id"]}: {field} {item[field]}')
                for name in item.get('other_names', []):
                    for error in validator('other_name').iter_errors(name):
                        errors.append(f'{key} {item["id"]} other_name: {error.message}')
                for link in item.get('sources', []):
                    for error in validator('link').iter_errors(link):
                        errors.append(f'{key} {item["id"]} source: {error.message}')
        check('popolo validates against the Popolo schemas', not errors, errors[:5])
        counts = {k: len(document[k]) for k in
                  ('organizations', 'persons', 'posts', 'memberships', 'events')}
        check('popolo holds every kind', all(counts.values()) or counts['persons'] == 0
              and all(v for k, v in counts.items() if k != 'persons'), counts)
        post = 'forums/arf-ism-ict/posts/chair'
        check('the mechanism has a chair post',
              any(p['id'] == post and p['organization_id'] == 'forums/arf-ism-ict'
                  for p in document['posts']), document['posts'])
        current = sorted(m['member']['id'] for m in document['memberships']
                         if m.get('post_id') == post and m.get('start_date') == '2023'
                         and m.get('end_date') == '2024')
        check('its 2023-2024 holders are Russia and Indonesia, co-chairs',
              current == ['participants/indonesia', 'participants/russia'], current)
        roles = {m['role'] for m in document['memberships']
                 if m.get('post_id') == post and m.get('start_date') == '2023'}
        check('co-chairs are named so', roles == {'co-chair'}, roles)
        arf = [e for e in document['events'] if e['id'] == 'forums/arf/sessions/30']
        check('a session is an event of its forum, at its precision',
              arf and arf[0]['organization_id'] == 'forums/arf'
              and arf[0]['start_date'] == '2023-07-14', arf)
        check('citations are sources with the quoted passage',
              arf and any('\u201c' in s.get('note', '') for s in arf[0].get('sources', [])), arf)
        block = document['forum_registry']
        check('the extension block keeps action plans and statements',
              block['action_plans'] and block['statements'] and block['sources']
              and block['format'] == 'forum-registry-popolo/1', list(block))

        # --- iCalendar
        path, _ = exports.run('ics')
        raw = open(path, 'rb').read()
        calendar = icalendar.Calendar.from_ical(raw)
        events = {str(e['UID']): e for e in calendar.walk('VEVENT')}
        lines = raw.split(b'\r\n')
        check('every line ends CRLF and is at most 75 octets',
              raw.endswith(b'\r\n') and all(len(l) <= 75 for l in lines),
              max(len(l) for l in lines))
        check('UIDs are unique', len(events) == len(calendar.walk('VEVENT')))
        for name in ('forums/arf/sessions/30', 'forums/eas/sessions/fmm-2023'):
            event = events.get(f'{name}@forumregistry.org')
            ok = (event is not None and event.decoded('DTSTART') == date(2023, 7, 14)
                  and event.decoded('DTEND') == date(2023, 7, 15)
                  and type(event.decoded('DTSTART')) is date)
            check(f'{name} is an all-day event on 14 July 2023', ok,
                  event and (event.decoded('DTSTART'), event.decoded('DTEND')))
        jakarta = events.get('forums/asean/sessions/ministerial-meetings-2023@forumregistry.org')
        check('a three-day session spans its days (DTEND exclusive)',
              jakarta is not None and jakarta.decoded('DTSTART') == date(2023, 7, 12)
              and jakarta.decoded('DTEND') == date(2023, 7, 15))
        arf = events.get('forums/arf/sessions/30@forumregistry.org')
        check('the description quotes the citation', arf is not None
              and '\u201c' in str(arf.get('DESCRIPTION', '')), arf and arf.get('DESCRIPTION'))
        day_precise = sorted(e['id'] for e in document['events'] if len(e['start_date']) == 10)
        check('sessions known only to the month are left out, and said so',
              sorted(u.removesuffix('@forumregistry.org') for u in events) == day_precise
              and len(day_precise) < len(document['events'])
              and 'not listed' in str(calendar.get('X-WR-CALDESC')), (len(events), day_precise))
        spanned, _ = exports.run('ics', '--calendar-imprecise', 'span')
        spanned = icalendar.Calendar.from_ical(open(spanned, 'rb').read()).walk('VEVENT')
        vague = [e for e in spanned if 'day unknown' in str(e['SUMMARY'])]
        check('with span they are transparent events over their month or year',
              len(spanned) == len(document['events']) and vague
              and all(str(e.get('TRANSP')) == 'TRANSPARENT' for e in vague), len(spanned))
        one, _ = exports.run('ics', '--forum', 'forums/arf')
        arf_only = icalendar.Calendar.from_ical(open(one, 'rb').read())
        uids = sorted(str(e['UID']) for e in arf_only.walk('VEVENT'))
        check('--forum forums/arf lists only its sessions',
              uids and all(u.startswith('forums/arf/sessions/') for u in uids), uids)

        # --- CSV
        directory, _ = exports.run('csv')
        files = read_csv_dir(directory)
        check('one file per kind', all(f'{t}.csv' in files for t in (
            'participants', 'forums', 'sources', 'memberships', 'sessions',
            'chairmanships', 'action_plans', 'statements')), sorted(files))
        header, rows = files['participants.csv']
        row = dict(zip(header, [r for r in rows if r[0] == 'participants/tricky'][0]))
        check('a name with a comma, a quote and a newline survives',
              row['display_name'] == tricky, repr(row['display_name']))
        check('names per language are columns',
              row.get('name:ru') == 'Запятая, "кавычки"', row)
        check('external ids per scheme are columns', row.get('wikidata') == 'Q1', row)
        header, rows = files['sessions.csv']
        row = dict(zip(header, [r for r in rows if r[0] == 'forums/arf/sessions/30'][0]))
        check('dates keep their precision and references are names',
              row['start_date'] == '2023-07-14' and row['start_date_inferred'] == 'true'
              and row['status'] == door.ok('GET', '/v1/forums/arf/sessions/30')['status']
              .removeprefix('SESSION_STATUS_')
              and row['citations'] == 'sources/mfa-1374-11-07-2023', row)
        zipped, _ = exports.run('csv', output=os.path.join(work, 'export.zip'))
        with zipfile.ZipFile(zipped) as z:
            same = sorted(z.namelist()) == sorted(files) and all(
                z.read(n) == open(os.path.join(directory, n), 'rb').read() for n in files)
        check('a .zip holds the same files', same)

        # --- As of a day
        def active(kind, day):
            return sorted(door.list_all(f'/v1/forums/-/{kind}', f'active_on = "{day}"'))
        later, _ = exports.run('csv', '--as-of', '2023-10-01')
        earlier, _ = exports.run('csv', '--as-of', '2022-01-01')
        later_files, earlier_files = read_csv_dir(later), read_csv_dir(earlier)
        for kind in ('memberships', 'chairmanships'):
            for day, got in (('2023-10-01', later_files), ('2022-01-01', earlier_files)):
                names = sorted(r[0] for r in got[f'{kind}.csv'][1])
                check(f'{kind} as of {day} are those active then', names == active(kind, day),
                      (names, active(kind, day)))
        differ = active('chairmanships', '2023-10-01') != active('chairmanships', '2022-01-01')
        check('the two days differ in chairmanships', differ)

        def without_names(table):
            header, rows = table
            keep = [i for i, h in enumerate(header) if not h.startswith('name:')]
            return [[r[i] for i in keep] for r in rows]
        for name in later_files:
            if name.startswith(('memberships', 'chairmanships')) or name.endswith('_names.csv') \
                    or name == 'participants_roles.csv':
                continue
            check(f'{name} differs only in names as of the day',
                  without_names(later_files[name]) == without_names(earlier_files[name]))
        status = subprocess.run([binary, 'export', '--database-url', url, '--format', 'csv',
                                 '--as-of', '2023-13-01', '--output',
                                 os.path.join(work, 'bad')], capture_output=True, text=True)
        check('a bad --as-of is refused naming the field, writing nothing',
              status.returncode == 2 and 'as_of' in status.stderr
              and not os.path.exists(os.path.join(work, 'bad')), status.stderr)

        # --- As of a revision
        revision = int(json.load(open(exports.run('popolo')[0]))['forum_registry']['revision'])
        before = {fmt: exports.run(fmt)[0] for fmt in ('popolo', 'ics', 'csv')}
        door.ok('PATCH', '/v1/forums/arf/sessions/30?updateMask=description',
                {'description': 'Changed after the revision.'})
        door.ok('DELETE', '/v1/participants/tricky')
        door.ok('POST', '/v1/participants?participantId=later', {
            'kind': 'PARTICIPANT_KIND_STATE', 'displayName': 'Created later'})
        for fmt in ('popolo', 'ics', 'csv'):
            after, _ = exports.run(fmt, '--revision', str(revision))
            if fmt == 'csv':
                match = filecmp.dircmp(before[fmt], after)
                same = not (match.diff_files or match.left_only or match.right_only)
                same = same and all(filecmp.cmp(os.path.join(before[fmt], f),
                                                os.path.join(after, f), shallow=False)
                                    for f in os.listdir(before[fmt]))
            else:
                same = open(before[fmt], 'rb').read() == open(after, 'rb').read()
            check(f'{fmt} at revision {revision} equals the export taken then', same)
            now, _ = exports.run(fmt)
            if fmt == 'ics':
                def sequence(path):
                    calendar = icalendar.Calendar.from_ical(open(path, 'rb').read())
                    return [int(e['SEQUENCE']) for e in calendar.walk('VEVENT')
                            if str(e['UID']) == 'forums/arf/sessions/30@forumregistry.org'][0]
                check('an updated session is the same event with SEQUENCE + 1',
                      sequence(now) == sequence(before[fmt]) + 1,
                      (sequence(before[fmt]), sequence(now)))
            if fmt != 'csv':
                check(f'{fmt} now differs from then',
                      open(before[fmt], 'rb').read() != open(now, 'rb').read())
        target = os.path.join(work, 'future.json')
        _, result = exports.run('popolo', '--revision', str(revision + 1000),
                                output=target, expect_ok=False)
        check('a revision not yet written is OUT_OF_RANGE and writes nothing',
              result.returncode == 1 and 'has not been written yet' in result.stderr
              and not os.path.exists(target) and not os.path.exists(target + '.tmp'),
              result.stderr)
        _, result = exports.run('ics', '--forum', 'forums/nowhere', expect_ok=False)
        check('an unknown --forum is NOT_FOUND', result.returncode == 1
              and 'forums/nowhere does not exist' in result.stderr, result.stderr)
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as e:
                print(f'cleanup: {e}')
    return not failures


def main():
    binary, source_dir = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix='fr-export-')
    ok = False
    try:
        ok = run(binary, source_dir, work)
    except Failure as e:
        print(f'FAILED: {e}')
    finally:
        if not ok and os.path.exists(os.path.join(work, 'server.log')):
            print(''.join(open(os.path.join(work, 'server.log')).readlines()[-30:]))
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
