// Command peer is the Go peer of issue 29: a grpc-go + pgx service that
// reads forum-registry's forums table, to measure our server against. It
// answers three RPCs of the API and nothing else:
//
//   - grpc.health.v1.Health/Check: SERVING (grpc-go's health server);
//   - ForumService/GetForum: one row by its primary key, NOT_FOUND when
//     there is none;
//   - ForumService/ListForums: a page in name order (page_size 0 means 50,
//     more than 1000 reads as 1000), keyset-paged, the page token being the
//     last name of the page.
//
// It reads a few typed columns (name, display_name, kind, version and the
// two times), never the JSON body, and answers a Forum with those fields
// only: the least a Go service would do for these reads. Every other
// ForumService method is UNIMPLEMENTED, as are ListForums' filter, order_by
// and as_of_revision.
//
// Built by bench/peer.sh (script/lib/go.sh: GOPATH mode, Debian's packages,
// pgx v4 from golang-github-jackc-pgx-v4-dev).
//
// Usage: peer -database-url URL [-listen 127.0.0.1:50152] [-pool 4]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"strings"
	"time"

	frpb "forumregistry.org/forum-registry/gen/go/forumregistry/v1"
	"github.com/jackc/pgx/v4"
	"github.com/jackc/pgx/v4/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The generated columns display_name and kind are body->>'display_name' and
// body->>'kind', stored (migrations/0001_foundation.sql).
const (
	columns     = "name, display_name, kind, version, create_time, update_time"
	getForum    = "SELECT " + columns + " FROM forums WHERE name = $1"
	listForums  = "SELECT " + columns + " FROM forums WHERE name > $1 ORDER BY name LIMIT $2"
	defaultPage = 50
	maxPage     = 1000
)

type forumServer struct {
	frpb.UnimplementedForumServiceServer
	pool *pgxpool.Pool
}

// scan reads one row of columns into a Forum.
func scan(row pgx.Row) (*frpb.Forum, error) {
	var name, displayName, kind string
	var version int64
	var created, updated time.Time
	if err := row.Scan(&name, &displayName, &kind, &version, &created, &updated); err != nil {
		return nil, err
	}
	return &frpb.Forum{
		Name:        name,
		DisplayName: displayName,
		Kind:        frpb.ForumKind(frpb.ForumKind_value[kind]),
		Etag:        fmt.Sprintf(`W/"%d"`, version),
		CreateTime:  timestamppb.New(created),
		UpdateTime:  timestamppb.New(updated),
	}, nil
}

func (s *forumServer) GetForum(ctx context.Context, req *frpb.GetForumRequest) (*frpb.Forum, error) {
	if req.GetAsOfRevision() != 0 {
		return nil, status.Error(codes.Unimplemented, "the peer reads only the present")
	}
	forum, err := scan(s.pool.QueryRow(ctx, getForum, req.GetName()))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, status.Errorf(codes.NotFound, "forum %s does not exist", req.GetName())
	}
	if err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return forum, nil
}

func (s *forumServer) ListForums(ctx context.Context, req *frpb.ListForumsRequest) (*frpb.ListForumsResponse, error) {
	if req.GetFilter() != "" || req.GetOrderBy() != "" || req.GetAsOfRevision() != 0 {
		return nil, status.Error(codes.Unimplemented, "the peer lists all forums by name only")
	}
	size := int(req.GetPageSize())
	switch {
	case size < 0:
		return nil, status.Error(codes.InvalidArgument, "page_size must not be negative")
	case size == 0:
		size = defaultPage
	case size > maxPage:
		size = maxPage
	}
	// One row more than the page tells whether another page follows.
	rows, err := s.pool.Query(ctx, listForums, req.GetPageToken(), size+1)
	if err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	defer rows.Close()
	resp := &frpb.ListForumsResponse{Forums: make([]*frpb.Forum, 0, size)}
	more := false
	for rows.Next() {
		if len(resp.Forums) == size {
			more = true
			break
		}
		forum, err := scan(rows)
		if err != nil {
			return nil, status.Error(codes.Unavailable, err.Error())
		}
		resp.Forums = append(resp.Forums, forum)
	}
	if err := rows.Err(); err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	if more {
		resp.NextPageToken = resp.Forums[size-1].Name
	}
	return resp, nil
}

func main() {
	databaseURL := flag.String("database-url", "", "PostgreSQL connection URL (required)")
	listen := flag.String("listen", "127.0.0.1:50152", "address to serve gRPC on")
	poolSize := flag.Int("pool", 4, "most PostgreSQL connections")
	flag.Parse()
	if *databaseURL == "" || flag.NArg() != 0 {
		flag.Usage()
		log.Fatal("usage: peer -database-url URL [-listen HOST:PORT] [-pool N]")
	}

	config, err := pgxpool.ParseConfig(*databaseURL)
	if err != nil {
		log.Fatal(err)
	}
	config.MaxConns = int32(*poolSize)
	ctx := context.Background()
	pool, err := pgxpool.ConnectConfig(ctx, config)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		log.Fatal(err)
	}

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	server := grpc.NewServer()
	healthpb.RegisterHealthServer(server, health.NewServer())
	frpb.RegisterForumServiceServer(server, &forumServer{pool: pool})
	log.Printf("peer: serving on %s, %d connections to %s", listener.Addr(), *poolSize,
		strings.SplitN(*databaseURL, "?", 2)[0])
	log.Fatal(server.Serve(listener))
}
