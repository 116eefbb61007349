// The page browser_test.py opens in headless Chromium. It calls the HTTP door
// as a web application would, from an origin of its own, and tells the test
// what it saw by POSTing reports to /result on that same origin.
//
//   page.html?role=follow&api=API&foreign=ORIGIN
//       lists forums with fetch (two pages), creates one (a preflighted
//       POST), then follows the change feed with EventSource from the
//       revision of its create; and opens foreign.html in an iframe.
//   page.html?role=foreign&api=API
//       served from an origin the server does not list: every call must be
//       refused by the browser.
//
// Reports go out one at a time, in the order they were made.
'use strict';

const params = new URLSearchParams(location.search);
const api = params.get('api');

let reports = Promise.resolve();
let seq = 0;
function report(kind, detail = {}) {
  const body = JSON.stringify({seq: seq++, kind, ...detail});
  reports = reports
    .then(() => fetch('/result', {method: 'POST', body}))
    .catch(() => {});
}
window.addEventListener('error', (e) => report('page_error', {message: String(e.message)}));
window.addEventListener('unhandledrejection',
  (e) => report('page_error', {message: String(e.reason)}));

async function json(response) {
  const body = await response.json();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

async function follow() {
  const frame = document.createElement('iframe');
  frame.src = `${params.get('foreign')}/page.html?role=foreign&api=${encodeURIComponent(api)}`;
  document.body.appendChild(frame);

  // (a) Two pages of forums, the second by the first's token.
  const first = await json(await fetch(`${api}/v1/forums?page_size=2`, {credentials: 'include'}));
  const second = await json(await fetch(
    `${api}/v1/forums?page_size=2&page_token=${encodeURIComponent(first.nextPageToken)}`,
    {credentials: 'include'}));
  report('list', {pages: [first, second].map((page) => page.forums.map((f) => f.name))});

  // A write from the page: JSON is not a "simple" content type, so the
  // browser asks the server first (preflight), and may read the revision
  // header only if the server exposes it.
  const created = await fetch(
    `${api}/v1/forums?forum_id=browser-page&request_id=${crypto.randomUUID()}`,
    {method: 'POST', credentials: 'include', headers: {'Content-Type': 'application/json'},
     body: JSON.stringify({kind: 'FORUM_KIND_SUMMIT', displayName: 'Created by a page'})});
  const forum = await json(created);
  const revision = created.headers.get('x-forum-registry-revision');
  report('created', {name: forum.name, revision});

  // (b) The change feed from that revision. The URL stays as it is: after a
  // reconnect, Last-Event-ID must win over its after_revision.
  let lastEventId = '';
  const watch = new EventSource(`${api}/v1/changes:watch?after_revision=${revision}`,
                                {withCredentials: true});
  watch.onopen = () => report('open');
  watch.onerror = () => report('error', {readyState: watch.readyState, lastEventId});
  watch.onmessage = (e) => {
    lastEventId = e.lastEventId;
    const message = JSON.parse(e.data);
    report('change', {
      id: e.lastEventId,
      revision: message.revision,
      changes: message.changes.map((c) => ({
        revision: c.revision, resource: c.resource, operation: c.operation})),
    });
  };
  watch.addEventListener('bookmark', (e) => {
    lastEventId = e.lastEventId;
    report('bookmark', {id: e.lastEventId});
  });
  watch.addEventListener('status', (e) => report('status', {data: e.data}));
}

// The same calls from an origin not in --http-cors-origins.
async function trespass() {
  const outcome = {};
  const attempt = async (what, call) => {
    try {
      const response = await call();
      outcome[what] = `answered ${response.status}`;
    } catch (e) {
      outcome[what] = `refused: ${e}`;
    }
  };
  await attempt('get', () => fetch(`${api}/v1/forums?page_size=1`));
  await attempt('post', () => fetch(
    `${api}/v1/forums?forum_id=browser-foreign&request_id=${crypto.randomUUID()}`,
    {method: 'POST', headers: {'Content-Type': 'application/json'},
     body: JSON.stringify({kind: 'FORUM_KIND_SUMMIT', displayName: 'Created from afar'})}));
  outcome.watch = await new Promise((resolve) => {
    const watch = new EventSource(`${api}/v1/changes:watch`);
    watch.onopen = () => { watch.close(); resolve('open'); };
    watch.onerror = () => {
      const state = watch.readyState;
      watch.close();
      resolve(state === EventSource.CLOSED ? 'refused' : `error in state ${state}`);
    };
  });
  report('foreign', outcome);
}

(params.get('role') === 'foreign' ? trespass : follow)().catch(
  (e) => report('page_error', {message: String(e)}));
