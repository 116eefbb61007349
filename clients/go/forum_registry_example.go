// Command forum_registry_example is an example client of forum-registry,
// built with Debian's Go gRPC and protobuf packages (GOPATH mode, no module
// downloads). It does what a real client does, once each, and says what it
// saw:
//
//  1. reads a forum (GetForum);
//  2. lists sessions with a filter, a page at a time, following
//     next_page_token to the end;
//  3. asks for a forum that does not exist and gets NOT_FOUND with the
//     server's message;
//  4. creates a forum with a request_id, then sends the very same request
//     again, as a client would after losing the answer: the server returns
//     the first answer and records the forum once;
//  5. watches the change feed, stops, and resumes from the last revision it
//     saw: it sees each change exactly once.
//
// The package forumregistryv1 is generated from proto/ (see
// clients/README.md). Exits 1 on any unexpected answer, so
// tests/clients/clients_test.sh can run it against a real server.
//
// Usage: forum_registry_example HOST:PORT
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	frpb "forumregistry.org/forum-registry/gen/go/forumregistry/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

const (
	// Every unary call gets a deadline: a client without one waits forever
	// on a server that never answers.
	timeout = 10 * time.Second
	// A watch is long-lived; this one is bounded so that a lost change fails
	// the example instead of hanging it.
	watchTimeout = 20 * time.Second
	source       = "sources/mfa-1374-11-07-2023"
)

type client struct {
	forums   frpb.ForumServiceClient
	sessions frpb.SessionServiceClient
	changes  frpb.ChangeServiceClient
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: forum_registry_example HOST:PORT")
		os.Exit(2)
	}
	// The server under test runs with --no-auth on loopback. Against a
	// server with authentication, dial with TLS transport credentials and
	// per-RPC credentials carrying the bearer token (docs/operations.md).
	conn, err := grpc.Dial(os.Args[1], grpc.WithInsecure())
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	c := client{
		forums:   frpb.NewForumServiceClient(conn),
		sessions: frpb.NewSessionServiceClient(conn),
		changes:  frpb.NewChangeServiceClient(conn),
	}
	for _, step := range []func() error{
		c.getForum, c.listSessions, c.getMissingForum, c.createAndWatch,
	} {
		if err := step(); err != nil {
			fail(err)
		}
	}
	fmt.Println("ok")
}

func fail(err error) {
	if s, ok := status.FromError(err); ok {
		fmt.Fprintf(os.Stderr, "FAILED: %s: %s\n", s.Code(), s.Message())
	} else {
		fmt.Fprintf(os.Stderr, "FAILED: %v\n", err)
	}
	os.Exit(1)
}

func (c *client) getForum() error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	forum, err := c.forums.GetForum(ctx, &frpb.GetForumRequest{Name: "forums/arf"})
	if err != nil {
		return err
	}
	fmt.Printf("get: %s is %q (%s), etag %s\n", forum.GetName(), forum.GetDisplayName(),
		forum.GetKind(), forum.GetEtag())
	if forum.GetName() != "forums/arf" {
		return fmt.Errorf("GetForum returned %s", forum.GetName())
	}
	return nil
}

// listSessions lists every session the press release attests, five at a
// time.
func (c *client) listSessions() error {
	req := &frpb.ListSessionsRequest{
		Parent:   "forums/-",
		Filter:   fmt.Sprintf("citations.source = %q", source),
		PageSize: 5,
	}
	seen := map[string]bool{}
	var names []string
	pages := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		page, err := c.sessions.ListSessions(ctx, req)
		cancel()
		if err != nil {
			return err
		}
		pages++
		if len(page.GetSessions()) > int(req.PageSize) {
			return fmt.Errorf("page %d has %d sessions", pages, len(page.GetSessions()))
		}
		for _, s := range page.GetSessions() {
			if seen[s.GetName()] {
				return fmt.Errorf("%s came twice", s.GetName())
			}
			seen[s.GetName()] = true
			names = append(names, s.GetName())
		}
		// The token is bound to the request that made it: the next request
		// is the same one with the token set.
		if page.GetNextPageToken() == "" {
			break
		}
		req.PageToken = page.GetNextPageToken()
	}
	first := "none"
	if len(names) > 0 {
		first = names[0]
	}
	fmt.Printf("list: %d sessions over %d pages, first %s\n", len(names), pages, first)
	return nil
}

func (c *client) getMissingForum() error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := c.forums.GetForum(ctx, &frpb.GetForumRequest{Name: "forums/no-such-forum"})
	if err == nil {
		return errors.New("GetForum of a missing forum succeeded")
	}
	s := status.Convert(err)
	fmt.Printf("error: %s: %s\n", s.Code(), s.Message())
	if s.Code() != codes.NotFound {
		return fmt.Errorf("expected NotFound, got %s", s.Code())
	}
	return nil
}

// newRequestID returns a random (version 4) UUID, the form request_id takes.
func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// changesUntil reads the watch until a change of resource by op; it returns
// every change read and the revision to resume after.
func changesUntil(watch frpb.ChangeService_WatchChangesClient, resource string,
	op frpb.ChangeOperation) ([]*frpb.Change, int64, error) {
	var seen []*frpb.Change
	for {
		msg, err := watch.Recv()
		if err == io.EOF {
			return nil, 0, errors.New("the watch ended")
		} else if err != nil {
			return nil, 0, err
		}
		seen = append(seen, msg.GetChanges()...)
		for _, ch := range msg.GetChanges() {
			if ch.GetResource() == resource && ch.GetOperation() == op {
				return seen, msg.GetRevision(), nil
			}
		}
	}
}

func (c *client) createAndWatch() error {
	id := "go-example-" + newRequestID()[:8]
	name := "forums/" + id
	filter := fmt.Sprintf("resource = %q", name)

	// Watch from now on: the first message is a bookmark of the revision the
	// stream starts after, so once it has come no change can be missed.
	watchCtx, stopWatch := context.WithTimeout(context.Background(), watchTimeout)
	defer stopWatch()
	watch, err := c.changes.WatchChanges(watchCtx, &frpb.WatchChangesRequest{Filter: filter})
	if err != nil {
		return err
	}
	start, err := watch.Recv()
	if err != nil {
		return err
	}
	fmt.Printf("watch: started after revision %d\n", start.GetRevision())

	req := &frpb.CreateForumRequest{
		ForumId:   id,
		RequestId: newRequestID(),
		Forum: &frpb.Forum{
			Kind:        frpb.ForumKind_FORUM_KIND_DIALOGUE,
			DisplayName: "Go example dialogue",
			Parent:      "forums/asean",
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	first, err := c.forums.CreateForum(ctx, req)
	if err != nil {
		return err
	}
	fmt.Printf("create: %s etag %s (request_id %s)\n", first.GetName(), first.GetEtag(), req.RequestId)
	// The same request again, as after a lost answer: same request_id, so
	// the server answers what it answered the first time.
	again, err := c.forums.CreateForum(ctx, req)
	if err != nil {
		return err
	}
	fmt.Printf("create again: %s etag %s\n", again.GetName(), again.GetEtag())
	if !proto.Equal(first, again) {
		return errors.New("the retried create answered differently")
	}

	seen, resumeAfter, err := changesUntil(watch, name, frpb.ChangeOperation_CHANGE_OPERATION_CREATE)
	if err != nil {
		return err
	}
	stopWatch()
	for _, ch := range seen {
		fmt.Printf("watch: revision %d %s %s request_id %s\n", ch.GetRevision(), ch.GetOperation(),
			ch.GetResource(), ch.GetRequestId())
	}
	if len(seen) != 1 || seen[0].GetRequestId() != req.RequestId {
		return fmt.Errorf("%d changes for one create, or without its request_id", len(seen))
	}
	fmt.Printf("watch: cancelled at revision %d\n", resumeAfter)

	// Two changes while nobody watches; the resumed watch sees each once.
	updated := first
	for _, description := range []string{"Changed while nobody watched.", "Changed again."} {
		updated.Description = description
		updated, err = c.forums.UpdateForum(ctx, &frpb.UpdateForumRequest{
			Forum:      updated,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description"}},
			RequestId:  newRequestID(),
		})
		if err != nil {
			return err
		}
		fmt.Printf("update: %s description %q\n", updated.GetName(), description)
	}

	resumeCtx, stopResumed := context.WithTimeout(context.Background(), watchTimeout)
	defer stopResumed()
	resumed, err := c.changes.WatchChanges(resumeCtx,
		&frpb.WatchChangesRequest{AfterRevision: resumeAfter, Filter: filter})
	if err != nil {
		return err
	}
	seen = nil
	for len(seen) < 2 {
		msg, err := resumed.Recv()
		if err != nil {
			return err
		}
		seen = append(seen, msg.GetChanges()...)
	}
	stopResumed()
	revisions := map[int64]bool{}
	for _, ch := range seen {
		fmt.Printf("resumed: revision %d %s %s\n", ch.GetRevision(), ch.GetOperation(), ch.GetResource())
		if ch.GetRevision() <= resumeAfter || revisions[ch.GetRevision()] ||
			ch.GetOperation() != frpb.ChangeOperation_CHANGE_OPERATION_UPDATE {
			return errors.New("the resumed watch did not see the two updates once each")
		}
		revisions[ch.GetRevision()] = true
	}

	// Nothing was created twice: the forum's history is one create and two
	// updates.
	history, err := c.changes.ListChanges(ctx, &frpb.ListChangesRequest{Filter: filter})
	if err != nil {
		return err
	}
	ops := ""
	for _, ch := range history.GetChanges() {
		ops += " " + ch.GetOperation().String()
	}
	fmt.Printf("history:%s\n", ops)
	if ops != " CHANGE_OPERATION_CREATE CHANGE_OPERATION_UPDATE CHANGE_OPERATION_UPDATE" {
		return errors.New("the forum's history is not one create and two updates")
	}
	return nil
}
