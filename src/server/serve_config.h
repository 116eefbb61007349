#ifndef FORUM_REGISTRY_SERVER_SERVE_CONFIG_H_
#define FORUM_REGISTRY_SERVER_SERVE_CONFIG_H_

// What `forum-registry serve` is told: one field per flag. The defaults and
// the meaning of each are in the table of serve_flags.cc (and, rendered from
// it, in docs/operations.md); DefaultServeConfig() fills a config with them.

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace forum_registry::server {

struct ServeConfig {
  // Database.
  std::string database_url;
  std::string read_database_url;
  int64_t pool_size = 0;
  absl::Duration statement_timeout;
  absl::Duration health_check_interval;

  // Listeners.
  std::string listen_address;
  std::string edge_address;
  std::string probe_address;
  std::string metrics_address;
  std::string http_address;
  std::string http_edge_address;
  std::string http_cors_origins;
  int64_t http_threads = 0;

  // Connections.
  absl::Duration max_connection_age;
  absl::Duration max_connection_age_grace;
  absl::Duration keepalive_time;
  absl::Duration keepalive_timeout;
  int64_t max_streams_per_connection = 0;
  int64_t max_cancels_per_connection = 0;
  int64_t max_message_bytes = 0;

  // Admission and limits.
  int64_t worker_threads = 0;
  int64_t max_rpcs_in_flight = 0;
  int64_t max_unsent_bytes = 0;
  int64_t max_heap_mib = 0;
  int64_t max_costly_lists = 0;
  int64_t costly_list_cost = 0;
  int64_t max_concurrent_exports = 0;
  absl::Duration max_export_duration;
  int64_t max_record_bytes = 0;
  int64_t record_cache_size = 0;
  int64_t list_cache_bytes = 0;

  // Shutdown.
  absl::Duration drain_period;
  absl::Duration shutdown_timeout;

  // The change log and watches.
  absl::Duration change_retention;
  absl::Duration change_purge_interval;
  int64_t change_purge_batch = 0;
  absl::Duration request_id_retention;
  int64_t watch_buffer = 0;
  int64_t watch_buffer_bytes = 0;
  absl::Duration watch_bookmark_interval;
  absl::Duration watch_stall_timeout;
  int64_t max_watches = 0;
  int64_t max_watches_per_connection = 0;
  int64_t max_watches_per_caller = 0;

  // Callers.
  std::string jwt_public_keys;
  std::string jwt_issuer;
  std::string jwt_audience;
  std::string jwt_roles_claim;
  absl::Duration jwt_refresh_interval;
  bool allow_anonymous_reads = false;
  bool show_actors_to_anonymous = false;
  bool read_only = false;
  bool no_auth = false;
  bool no_auth_beyond_loopback = false;
  std::string page_token_key_file;

  // TLS.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  std::string tls_client_role;
  absl::Duration tls_refresh_interval;

  // Logging.
  std::string log_level;
};

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_SERVE_CONFIG_H_
