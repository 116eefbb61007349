#include <cstdio>

#include "src/auth/roles.h"
#include "src/server/flags.h"
#include "src/server/log.h"
#include "src/server/server.h"
#include "src/tools/commands.h"

namespace forum_registry::tools {

int ServeCommand(const std::vector<std::string>& args) {
  server::ServeConfig config;
  server::FlagSet flags("serve",
                        "Serves the forum-registry gRPC API, with server "
                        "reflection and the gRPC health service.");
  flags.String("database-url", &config.database_url,
               "PostgreSQL connection URL or libpq connection string. "
               "Required.");
  flags.String("read-database-url", &config.read_database_url,
               "PostgreSQL URL for read-only RPCs (Get, List), e.g. a "
               "replica; empty sends them to --database-url.");
  flags.String("listen-address", &config.listen_address,
               "Address and port to serve gRPC on; port 0 picks a free one.");
  flags.String("edge-address", &config.edge_address,
               "A loopback address and port for the edge (deploy/edge) to "
               "forward to: calls there may carry the client's address and "
               "verified certificate, which no other listener believes; "
               "empty: none.");
  flags.String("metrics-address", &config.metrics_address,
               "Address and port of the Prometheus /metrics endpoint; empty "
               "turns it off.");
  flags.Duration("max-connection-age", &config.max_connection_age,
                 "Close client connections after this age so new replicas "
                 "get load (gRPC A9); 0 never.");
  flags.Duration("max-connection-age-grace", &config.max_connection_age_grace,
                 "Time RPCs in flight get on a connection closed for age.");
  flags.Duration("keepalive-time", &config.keepalive_time,
                 "Ping idle client connections this often.");
  flags.Duration("keepalive-timeout", &config.keepalive_timeout,
                 "Close a connection whose ping is not answered within this.");
  flags.Int("pool-size", &config.pool_size,
            "Most database connections held open at once.");
  flags.Duration("statement-timeout", &config.statement_timeout,
                 "Longest a database statement may run.");
  flags.Duration("drain-period", &config.drain_period,
                 "After SIGTERM: how long health reports NOT_SERVING while "
                 "RPCs are still accepted, before shutdown starts.");
  flags.Duration("shutdown-timeout", &config.shutdown_timeout,
                 "After the drain: how long running RPCs may take to finish "
                 "before they are cancelled.");
  flags.Duration("health-check-interval", &config.health_check_interval,
                 "How often the database is checked for the health service.");
  flags.Duration("change-retention", &config.change_retention,
                 "How long the change feed keeps a change; older ones are "
                 "purged (one replica at a time). 0 keeps every change.");
  flags.Duration("change-purge-interval", &config.change_purge_interval,
                 "How often changes and request ids older than their "
                 "retention are purged.");
  flags.Duration("request-id-retention", &config.request_id_retention,
                 "How long a write's request_id is remembered: a retry with "
                 "the same id within it gets the first answer and writes "
                 "nothing. At least 1m.");
  flags.Int("watch-buffer", &config.watch_buffer,
            "Changes a WatchChanges stream may have waiting to be written; a "
            "client that falls further behind is ended with "
            "RESOURCE_EXHAUSTED and resumes.");
  flags.Int("watch-buffer-bytes", &config.watch_buffer_bytes,
            "Bytes of changes a WatchChanges stream may have waiting, the "
            "same way: large records fill a buffer before its count does.");
  flags.Duration("watch-bookmark-interval", &config.watch_bookmark_interval,
                 "How often an idle WatchChanges stream gets a bookmark.");
  flags.Duration("watch-stall-timeout", &config.watch_stall_timeout,
                 "A WatchChanges stream whose client takes no message for "
                 "this long while pages of records read for it wait (its "
                 "initial state, a catch-up) is cancelled; 0: never.");
  flags.Int("max-watches", &config.max_watches,
            "WatchChanges streams open at once; one more is refused with "
            "RESOURCE_EXHAUSTED.");
  flags.Int("max-watches-per-connection", &config.max_watches_per_connection,
            "WatchChanges streams one connection may have open.");
  flags.Int("max-watches-per-caller", &config.max_watches_per_caller,
            "WatchChanges streams one caller may have open: a token's or "
            "certificate's subject, or for anonymous callers their "
            "address.");
  flags.Int("record-cache-size", &config.record_cache_size,
            "Records kept in memory, current by the change feed: a Get "
            "answers from them once the feed has applied the primary's "
            "current revision (never stale); 0 turns the cache off.");
  flags.Int("worker-threads", &config.worker_threads,
            "Threads that run unary calls; a call holds one while it works, "
            "not while its answer waits for the client.");
  flags.Int("max-rpcs-in-flight", &config.max_rpcs_in_flight,
            "Unary calls queued or running; more are refused at once with "
            "RESOURCE_EXHAUSTED rather than queued.");
  flags.Int("max-streams-per-connection", &config.max_streams_per_connection,
            "HTTP/2 streams a client may have open on one connection, and "
            "unary calls one connection may have queued or running.");
  flags.Int("max-unsent-bytes", &config.max_unsent_bytes,
            "Bytes of answers handed to gRPC that their clients have not "
            "taken yet; past it Lists are refused with RESOURCE_EXHAUSTED, "
            "past twice it every call.");
  flags.Int("max-cancels-per-connection", &config.max_cancels_per_connection,
            "Calls a connection may cancel (reset, or let expire) in one "
            "second before the server closes it: the defence against HTTP/2 "
            "rapid reset. 0: never.");
  flags.Int("max-heap-mib", &config.max_heap_mib,
            "Heap in use, in MiB, past which the server closes the connection "
            "that sent the most in the last 100 ms, one every 200 ms: the "
            "last defence of memory against floods gRPC 1.51 takes in before "
            "admission sees them. 0: never.");
  flags.Int("max-costly-lists", &config.max_costly_lists,
            "Lists the planner expects to be costly that run at once; the "
            "next waits up to 250 ms, then gets RESOURCE_EXHAUSTED. 0: half "
            "of --pool-size, at least 1.");
  flags.Int("costly-list-cost", &config.costly_list_cost,
            "The planner cost (EXPLAIN's total, about a page read each) "
            "above which a list with a filter or order is costly.");
  flags.Int("max-message-bytes", &config.max_message_bytes,
            "Largest request or response message, in bytes. A List page "
            "holds at most 3/4 of it in records, and continues on the next "
            "page.");
  flags.Int("max-record-bytes", &config.max_record_bytes,
            "Largest record a Create or Update may store, encoded, in bytes; "
            "at most 3/4 of --max-message-bytes; 0: that much.");
  flags.String("log-level", &config.log_level, "debug, info, warn or error.");
  flags.String("jwt-public-keys", &config.jwt_public_keys,
               "Files of the public keys that sign bearer tokens "
               "(comma-separated), each PEM or a JWK Set; a token must "
               "verify with one of them.");
  flags.String("jwt-issuer", &config.jwt_issuer,
               "The issuer (iss) every token must name; required with "
               "--jwt-public-keys.");
  flags.String("jwt-audience", &config.jwt_audience,
               "The audience (aud) every token must include; required with "
               "--jwt-public-keys.");
  flags.String("jwt-roles-claim", &config.jwt_roles_claim,
               "The claim holding the caller's roles (reader, editor, admin), "
               "a dotted path such as realm_access.roles.");
  flags.Bool("allow-anonymous-reads", &config.allow_anonymous_reads,
             "Callers without credentials may Get, List and watch changes.");
  flags.Bool("read-only", &config.read_only,
             "Refuse every write (FAILED_PRECONDITION), whatever the role.");
  flags.String("page-token-key-file", &config.page_token_key_file,
               "A file with the secret that signs page tokens, the same on "
               "every replica (at least 16 bytes; a mounted Secret); empty: "
               "the key `migrate` stored in the database.");
  flags.String("tls-cert", &config.tls_cert,
               "PEM certificate chain for TLS on the gRPC port (with "
               "--tls-key); re-read when it changes.");
  flags.String("tls-key", &config.tls_key, "PEM private key of --tls-cert.");
  flags.String("tls-client-ca", &config.tls_client_ca,
               "PEM CA bundle: clients must present a certificate it signed "
               "(mutual TLS); its URI or DNS name names the caller.");
  flags.Duration("tls-refresh-interval", &config.tls_refresh_interval,
                 "How often the TLS files are re-read.");
  flags.String("tls-client-role", &config.tls_client_role,
               "The role of a caller known by its client certificate: "
               "reader, editor or admin.");
  flags.String("probe-address", &config.probe_address,
               "Address and port of a plaintext port serving gRPC health "
               "only, for probes that cannot speak TLS; empty: none.");
  flags.Bool("no-auth", &config.no_auth,
             "Every caller may do everything, without credentials: for local "
             "development only.");
  std::vector<std::string> positional;
  bool help = false;
  if (absl::Status s = flags.Parse(args, &positional, &help); !s.ok()) {
    std::fprintf(stderr, "forum-registry serve: %s\n",
                 std::string(s.message()).c_str());
    return 2;
  }
  if (help) {
    std::fputs(flags.Usage("forum-registry").c_str(), stdout);
    return 0;
  }
  if (!positional.empty()) {
    std::fprintf(stderr, "forum-registry serve: unexpected argument '%s'\n",
                 positional[0].c_str());
    return 2;
  }
  if (config.database_url.empty()) {
    std::fprintf(stderr,
                 "forum-registry serve: --database-url (or "
                 "FORUM_REGISTRY_DATABASE_URL) is required\n");
    return 2;
  }
  if (config.listen_address.empty() && config.edge_address.empty()) {
    std::fprintf(stderr,
                 "forum-registry serve: --listen-address and --edge-address "
                 "are both empty: nothing to listen on\n");
    return 2;
  }
  if (!config.edge_address.empty() && !config.listen_address.empty() &&
      !server::IsLoopbackAddress(config.listen_address)) {
    std::fprintf(stderr,
                 "forum-registry serve: with --edge-address, --listen-address "
                 "must be empty or on loopback: the edge is the door clients "
                 "reach (\"%s\" is not loopback)\n",
                 config.listen_address.c_str());
    return 2;
  }
  if (!config.edge_address.empty() &&
      !server::IsLoopbackAddress(config.edge_address)) {
    std::fprintf(stderr,
                 "forum-registry serve: --edge-address \"%s\" must be a "
                 "loopback address (127.0.0.1:PORT, [::1]:PORT or "
                 "localhost:PORT): the server believes what arrives there\n",
                 config.edge_address.c_str());
    return 2;
  }
  if (config.max_watches < 1 || config.max_watches_per_connection < 1 ||
      config.max_watches_per_caller < 1) {
    std::fprintf(stderr,
                 "forum-registry serve: --max-watches, "
                 "--max-watches-per-connection and --max-watches-per-caller "
                 "must be at least 1\n");
    return 2;
  }
  if (config.pool_size < 1 || config.max_message_bytes < 1024) {
    std::fprintf(stderr,
                 "forum-registry serve: --pool-size must be at least 1 and "
                 "--max-message-bytes at least 1024\n");
    return 2;
  }
  if (config.max_record_bytes < 0 ||
      config.max_record_bytes > config.max_message_bytes / 4 * 3) {
    std::fprintf(stderr,
                 "forum-registry serve: --max-record-bytes must be between 0 "
                 "and 3/4 of --max-message-bytes\n");
    return 2;
  }
  if (config.request_id_retention < absl::Minutes(1)) {
    std::fprintf(stderr,
                 "forum-registry serve: --request-id-retention must be at "
                 "least 1m: a retry must find its request id\n");
    return 2;
  }
  if (config.tls_cert.empty() != config.tls_key.empty() ||
      (!config.tls_client_ca.empty() && config.tls_cert.empty())) {
    std::fprintf(stderr,
                 "forum-registry serve: --tls-cert and --tls-key go together, "
                 "and --tls-client-ca needs them\n");
    return 2;
  }
  if (!auth::ParseRole(config.tls_client_role).has_value()) {
    std::fprintf(stderr,
                 "forum-registry serve: --tls-client-role: \"%s\" is not "
                 "reader, editor or admin\n",
                 config.tls_client_role.c_str());
    return 2;
  }
  // Behind the edge, callers may be known by the certificates the edge
  // verifies (FORUM_REGISTRY_EDGE_TLS_CLIENT_CA), which the server cannot
  // see from here; without them every call is refused, never allowed.
  if (!config.no_auth && config.jwt_public_keys.empty() &&
      config.tls_client_ca.empty() && !config.allow_anonymous_reads &&
      config.edge_address.empty()) {
    std::fprintf(stderr,
                 "forum-registry serve: no way to know callers: give "
                 "--jwt-public-keys (with --jwt-issuer and --jwt-audience) or "
                 "--tls-client-ca, or --edge-address behind an edge that "
                 "verifies client certificates, "
                 "or --allow-anonymous-reads for a public read-only mirror, "
                 "or --no-auth for local development\n");
    return 2;
  }
  server::InitLogging(config.log_level);
  return server::RunServer(config);
}

}  // namespace forum_registry::tools
