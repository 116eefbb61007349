#ifndef FORUM_REGISTRY_SERVER_SERVER_H_
#define FORUM_REGISTRY_SERVER_SERVER_H_

// `forum-registry serve`: the gRPC server and its life cycle.
//
// Start: connect the pool lazily, register the services, reflection and
// health, listen. Health turns SERVING once the database answers and holds
// every migration (see health_monitor.h).
//
// Stop, on SIGTERM or SIGINT: health NOT_SERVING at once, so load balancers
// and probes stop sending new work; then the drain period, while RPCs already
// sent still arrive and are served; then Shutdown with a deadline, which
// refuses new RPCs and lets running ones finish until the deadline, then
// cancels what is left. A second signal skips the rest of the drain. The
// signal is taken by a normal thread (sigwait), never in a signal handler.

#include <string>

#include "absl/time/time.h"

namespace forum_registry::server {

struct ServeConfig {
  std::string database_url;
  // Where read-only RPCs (Get, List) go, e.g. a replica; empty: the primary.
  std::string read_database_url;
  // Prometheus /metrics on this address; empty disables it.
  std::string metrics_address = "0.0.0.0:9090";
  // gRPC A9: connections are closed after this age (plus a grace for RPCs
  // in flight), so clients reconnect and new replicas get load. 0: never.
  absl::Duration max_connection_age = absl::Minutes(5);
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  // HTTP/2 keepalive pings to idle clients, and how long to wait for the ack.
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  std::string listen_address = "0.0.0.0:50051";
  // The edge's door (deploy/edge): a loopback address served with gRPC's
  // local credentials, where the client identity and address the edge sends
  // are believed (auth/edge.h); empty: none.
  std::string edge_address;
  int pool_size = 4;
  absl::Duration statement_timeout = absl::Seconds(5);
  absl::Duration drain_period = absl::Seconds(5);
  absl::Duration shutdown_timeout = absl::Seconds(10);
  absl::Duration health_check_interval = absl::Seconds(2);
  // How long the change log keeps a change (0: forever), and how often the
  // older ones are purged.
  absl::Duration change_retention = absl::Hours(24 * 30);
  absl::Duration change_purge_interval = absl::Minutes(1);
  // How long a write's request id (AIP-155) is remembered; purged with the
  // changes, every change_purge_interval.
  absl::Duration request_id_retention = absl::Hours(24);
  // WatchChanges: changes a stream may have waiting to be written before it
  // is ended as too slow, and how often an idle one gets a bookmark.
  int watch_buffer = 1000;
  int watch_buffer_bytes = 64 << 20;
  absl::Duration watch_bookmark_interval = absl::Seconds(5);
  // WatchChanges streams open at once: in all, on one connection, of one
  // caller (an anonymous caller is known by its address).
  int max_watches = 1000;
  int max_watches_per_connection = 32;
  int max_watches_per_caller = 100;
  // A watch whose client takes nothing for this long while pages read for
  // it wait is cancelled (0: never).
  absl::Duration watch_stall_timeout = absl::Seconds(30);
  int max_message_bytes = 4 * 1024 * 1024;
  // Decoded records Get may reuse while their version is current; 0: none.
  int record_cache_size = 10000;
  // Threads that run unary calls (api/dispatcher.h).
  int worker_threads = 32;
  // Admission: unary calls queued or running (more get RESOURCE_EXHAUSTED
  // at once), HTTP/2 streams per connection (also the calls one connection
  // may have queued or running), bytes of answers clients have not taken
  // yet, and lists the planner expects to cost more than costly_list_cost
  // run at most max_costly_lists at a time (0: half the pool, at least 1).
  int max_rpcs_in_flight = 256;
  int max_streams_per_connection = 100;
  int max_unsent_bytes = 32 << 20;
  // Calls a connection may cancel in one second before it is closed.
  int max_cancels_per_connection = 200;
  // Heap in use, in MiB, past which the heaviest sender's connection is
  // closed (0: never).
  int max_heap_mib = 128;
  int max_costly_lists = 0;
  int costly_list_cost = 10000;
  // Callers (src/auth): bearer tokens verified against these PEM public key
  // files (comma-separated), from this issuer for this audience, with their
  // roles in this claim (a dotted path).
  std::string jwt_public_keys;
  std::string jwt_issuer;
  std::string jwt_audience;
  std::string jwt_roles_claim = "roles";
  // Callers without credentials may read (Get, List, changes).
  bool allow_anonymous_reads = false;
  // Every write is refused, whatever the caller's role.
  bool read_only = false;
  // Every caller may do everything: for local development only.
  bool no_auth = false;
  // TLS on the gRPC port: PEM certificate chain and key, re-read every
  // tls_refresh_interval; with tls_client_ca, mutual TLS, and a verified
  // client certificate names its caller with tls_client_role.
  // The largest record a write may store, encoded; at most 3/4 of
  // max_message_bytes, and 0 means that much.
  int max_record_bytes = 0;
  // A file holding the key that signs page tokens (a mounted Secret);
  // empty: the key `migrate` stored in the database.
  std::string page_token_key_file;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  absl::Duration tls_refresh_interval = absl::Minutes(1);
  std::string tls_client_role = "reader";
  // gRPC health alone, in plaintext, for probes that cannot speak TLS;
  // empty: none.
  std::string probe_address;
  std::string log_level = "info";
};

// Runs until stopped by a signal; returns the process exit code.
int RunServer(const ServeConfig& config);

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_SERVER_H_
