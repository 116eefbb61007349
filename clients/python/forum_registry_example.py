#!/usr/bin/python3
"""An example client of forum-registry, using Debian's grpcio and protobuf.

It does what a real client does, once each, and says what it saw:

  1. reads a forum (GetForum);
  2. lists sessions with a filter, a page at a time, following
     next_page_token to the end;
  3. asks for a forum that does not exist and gets NOT_FOUND with the
     server's message;
  4. creates a forum with a request_id, then sends the very same request
     again, as a client would after losing the answer: the server returns the
     first answer and records the forum once;
  5. watches the change feed, stops, and resumes from the last revision it
     saw: it sees each change exactly once.

The stubs are generated from proto/ (see clients/README.md), and the
directory they are in must be on PYTHONPATH. Exits 1 on any unexpected
answer, so tests/clients/clients_test.sh can run it against a real server.

Usage: forum_registry_example.py HOST:PORT
"""

import sys
import uuid

import grpc
from google.protobuf import field_mask_pb2

from forumregistry.v1 import change_pb2, change_pb2_grpc
from forumregistry.v1 import forum_pb2, forum_pb2_grpc
from forumregistry.v1 import session_pb2, session_pb2_grpc

# Every unary call gets a deadline: a client without one waits forever on a
# server that never answers.
TIMEOUT_S = 10
# A watch is long-lived; this one is bounded so that a lost change fails the
# example instead of hanging it.
WATCH_TIMEOUT_S = 20

SOURCE = "sources/mfa-1374-11-07-2023"


class UnexpectedAnswer(Exception):
    """The server answered something this example did not expect."""


def expect(condition, what):
    if not condition:
        raise UnexpectedAnswer(what)


def get_forum(forums):
    forum = forums.GetForum(
        forum_pb2.GetForumRequest(name="forums/arf"), timeout=TIMEOUT_S)
    print(f"get: {forum.name} is {forum.display_name!r} "
          f"({forum_pb2.ForumKind.Name(forum.kind)}), etag {forum.etag}")
    expect(forum.name == "forums/arf", f"GetForum returned {forum.name}")


def list_sessions(sessions):
    """Lists every session the press release attests, five at a time."""
    request = session_pb2.ListSessionsRequest(
        parent="forums/-", filter=f'citations.source = "{SOURCE}"',
        page_size=5)
    names, pages = [], 0
    while True:
        page = sessions.ListSessions(request, timeout=TIMEOUT_S)
        pages += 1
        expect(len(page.sessions) <= request.page_size,
               f"page {pages} has {len(page.sessions)} sessions")
        names += [s.name for s in page.sessions]
        # The token is bound to the request that made it: the next request
        # is the same one with the token set.
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    expect(len(names) == len(set(names)), "a session came twice")
    print(f"list: {len(names)} sessions over {pages} pages, "
          f"first {names[0] if names else None}")


def get_missing_forum(forums):
    try:
        forums.GetForum(forum_pb2.GetForumRequest(name="forums/no-such-forum"),
                        timeout=TIMEOUT_S)
    except grpc.RpcError as error:
        print(f"error: {error.code().name}: {error.details()}")
        expect(error.code() == grpc.StatusCode.NOT_FOUND,
               f"expected NOT_FOUND, got {error.code().name}")
        expect("forums/no-such-forum" in error.details(),
               "the message does not name the forum")
        return
    raise UnexpectedAnswer("GetForum of a missing forum succeeded")


def next_message(watch):
    try:
        return next(watch)
    except StopIteration:
        raise UnexpectedAnswer("the watch ended")


def changes_until(watch, resource, operation):
    """Reads the watch until a change of `resource` by `operation`; returns
    every change read, and the revision to resume after."""
    seen = []
    while True:
        message = next_message(watch)
        seen += message.changes
        if any(c.resource == resource and c.operation == operation
               for c in message.changes):
            return seen, message.revision


def create_and_watch(forums, changes):
    forum_id = f"python-example-{uuid.uuid4().hex[:8]}"
    name = f"forums/{forum_id}"

    # Watch from now on: the first message is a bookmark of the revision the
    # stream starts after, so once it has come no change can be missed.
    watch = changes.WatchChanges(
        change_pb2.WatchChangesRequest(
            filter=f'resource = "{name}"'), timeout=WATCH_TIMEOUT_S)
    start = next_message(watch)
    print(f"watch: started after revision {start.revision}")

    request = forum_pb2.CreateForumRequest(
        forum_id=forum_id, request_id=str(uuid.uuid4()),
        forum=forum_pb2.Forum(
            kind=forum_pb2.FORUM_KIND_DIALOGUE,
            display_name="Python example dialogue", parent="forums/asean"))
    first = forums.CreateForum(request, timeout=TIMEOUT_S)
    print(f"create: {first.name} etag {first.etag} "
          f"(request_id {request.request_id})")
    # The same request again, as after a lost answer: same request_id, so
    # the server answers what it answered the first time.
    again = forums.CreateForum(request, timeout=TIMEOUT_S)
    print(f"create again: {again.name} etag {again.etag}")
    expect(again == first, "the retried create answered differently")

    seen, resume_after = changes_until(watch, name,
                                       change_pb2.CHANGE_OPERATION_CREATE)
    watch.cancel()
    for c in seen:
        print(f"watch: revision {c.revision} "
              f"{change_pb2.ChangeOperation.Name(c.operation)} {c.resource} "
              f"request_id {c.request_id}")
    expect(len(seen) == 1, f"{len(seen)} changes for one create")
    expect(seen[0].request_id == request.request_id,
           "the change does not carry the request_id")
    print(f"watch: cancelled at revision {resume_after}")

    # Two changes while nobody watches; the resumed watch sees each once.
    updated = first
    for description in ("Changed while nobody watched.", "Changed again."):
        updated.description = description
        updated = forums.UpdateForum(
            forum_pb2.UpdateForumRequest(
                forum=updated,
                update_mask=field_mask_pb2.FieldMask(paths=["description"]),
                request_id=str(uuid.uuid4())),
            timeout=TIMEOUT_S)
        print(f"update: {updated.name} description {description!r}")

    resumed = changes.WatchChanges(
        change_pb2.WatchChangesRequest(
            after_revision=resume_after, filter=f'resource = "{name}"'),
        timeout=WATCH_TIMEOUT_S)
    seen = []
    while len(seen) < 2:
        seen += next_message(resumed).changes
    resumed.cancel()
    for c in seen:
        print(f"resumed: revision {c.revision} "
              f"{change_pb2.ChangeOperation.Name(c.operation)} {c.resource}")
    revisions = [c.revision for c in seen]
    expect(all(r > resume_after for r in revisions),
           "the resumed watch repeated a change")
    expect(len(set(revisions)) == 2 and all(
        c.operation == change_pb2.CHANGE_OPERATION_UPDATE for c in seen),
           "the resumed watch did not see the two updates once each")

    # Nothing was created twice: the forum's history is one create and two
    # updates.
    history = changes.ListChanges(
        change_pb2.ListChangesRequest(filter=f'resource = "{name}"'),
        timeout=TIMEOUT_S)
    operations = [change_pb2.ChangeOperation.Name(c.operation)
                  for c in history.changes]
    print(f"history: {' '.join(operations)}")
    expect(operations == ["CHANGE_OPERATION_CREATE", "CHANGE_OPERATION_UPDATE",
                          "CHANGE_OPERATION_UPDATE"],
           "the forum's history is not one create and two updates")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    # The server under test runs with --no-auth on loopback. Against a server
    # with authentication, use grpc.secure_channel with call credentials
    # carrying the bearer token (docs/operations.md).
    with grpc.insecure_channel(argv[1]) as channel:
        forums = forum_pb2_grpc.ForumServiceStub(channel)
        try:
            get_forum(forums)
            list_sessions(session_pb2_grpc.SessionServiceStub(channel))
            get_missing_forum(forums)
            create_and_watch(forums, change_pb2_grpc.ChangeServiceStub(channel))
        except UnexpectedAnswer as error:
            print(f"FAILED: {error}", file=sys.stderr)
            return 1
        except grpc.RpcError as error:
            print(f"FAILED: {error.code().name}: {error.details()}",
                  file=sys.stderr)
            return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
