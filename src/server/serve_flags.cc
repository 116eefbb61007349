#include "src/server/serve_flags.h"

#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/auth/roles.h"
#include "src/domain/status_macros.h"

namespace forum_registry::server {
namespace {

using C = ServeConfig;
using Field = std::variant<std::string C::*, int64_t C::*, absl::Duration C::*,
                           bool C::*>;

struct Row {
  FlagSpec spec;
  Field field;
};

constexpr FlagType kString = FlagType::kString;
constexpr FlagType kPath = FlagType::kPath;
constexpr FlagType kInt = FlagType::kInt;
constexpr FlagType kSize = FlagType::kSize;
constexpr FlagType kDuration = FlagType::kDuration;
constexpr FlagType kBool = FlagType::kBool;

constexpr char kDatabase[] = "Database";
constexpr char kListeners[] = "Listeners";
constexpr char kConnections[] = "Connections";
constexpr char kAdmission[] = "Admission and limits";
constexpr char kShutdown[] = "Shutdown";
constexpr char kChanges[] = "The change log and watches";
constexpr char kCallers[] = "Callers";
constexpr char kTls[] = "TLS";
constexpr char kLogging[] = "Logging";

// Every flag of `serve`, by group; a row is everything there is to know of
// a flag. The help is Markdown: it is the docs' text too.
const std::vector<Row>& Rows() {
  static const std::vector<Row>* const rows = new std::vector<Row>{
      // Database.
      {{.name = "database-url",
        .type = kString,
        .group = kDatabase,
        .help = "PostgreSQL URL or libpq connection string (the primary). "
                "Required."},
       &C::database_url},
      {{.name = "read-database-url",
        .type = kString,
        .group = kDatabase,
        .help = "where Get and List go, e.g. a replica's read-only service; "
                "empty: the primary"},
       &C::read_database_url},
      {{.name = "pool-size",
        .type = kInt,
        .default_value = "4",
        .group = kDatabase,
        .help = "most database connections held open at once",
        .min = "1",
        .max = "10000"},
       &C::pool_size},
      {{.name = "statement-timeout",
        .type = kDuration,
        .default_value = "5s",
        .group = kDatabase,
        .help = "longest a statement may run; less when the call's deadline "
                "is nearer"},
       &C::statement_timeout},
      {{.name = "health-check-interval",
        .type = kDuration,
        .default_value = "2s",
        .group = kDatabase,
        .help = "how often the database is checked for the health service"},
       &C::health_check_interval},

      // Listeners.
      {{.name = "listen-address",
        .type = kString,
        .default_value = "0.0.0.0:50051",
        .group = kListeners,
        .help = "gRPC address for clients; port 0 picks a free one (the log's "
                "`listening` line names it); empty: none (behind the edge, "
                "the pod's setting)"},
       &C::listen_address},
      {{.name = "edge-address",
        .type = kString,
        .group = kListeners,
        .help = "a loopback address for the edge (\"The edge\" below) to "
                "forward to: gRPC with local credentials, where the client's "
                "address and verified certificate the edge sends are "
                "believed, and nowhere else; must be 127.0.0.0/8, `[::1]` or "
                "`localhost`; empty: none"},
       &C::edge_address},
      {{.name = "probe-address",
        .type = kString,
        .group = kListeners,
        .help = "a plaintext port serving gRPC health only (no reflection, "
                "no API; 4 streams a connection, 4 KiB of headers, idle "
                "connections closed after a minute), for the kubelet's "
                "probes; empty: none"},
       &C::probe_address},
      {{.name = "http-address",
        .type = kString,
        .group = kListeners,
        .help = "the HTTP door: the same API as JSON over HTTP/1.1 (the "
                "routes of the protos' google.api.http annotations), the "
                "Connect protocol, a watch as Server-Sent Events, and "
                "`/openapi.json` (docs/api.md, \"Over HTTP\"); port 0 picks a "
                "free one (the log's `http_listening` line names it); empty: "
                "none"},
       &C::http_address},
      {{.name = "http-edge-address",
        .type = kString,
        .group = kListeners,
        .help = "a loopback address where the edge sends its clients' plain "
                "HTTP requests (the HTTP door, as `--edge-address` is for "
                "gRPC): the client's address and verified certificate the "
                "edge sends are believed here; must be loopback; empty: none"},
       &C::http_edge_address},
      {{.name = "http-cors-origins",
        .type = kString,
        .group = kListeners,
        .help = "origins whose pages may call the HTTP door from a browser, "
                "comma-separated (`https://app.example.org`), credentials "
                "allowed; `*` for any origin, without credentials; empty: "
                "none"},
       &C::http_cors_origins},
      {{.name = "http-threads",
        .type = kInt,
        .default_value = "2",
        .group = kListeners,
        .help = "threads serving the HTTP door's connections (calls waiting "
                "on the API hold none)",
        .min = "1",
        .max = "64"},
       &C::http_threads},
      {{.name = "metrics-address",
        .type = kString,
        .default_value = "0.0.0.0:9090",
        .group = kListeners,
        .help = "Prometheus `/metrics`; empty turns it off"},
       &C::metrics_address},

      // Connections.
      {{.name = "max-connection-age",
        .type = kDuration,
        .default_value = "5m",
        .group = kConnections,
        .help = "close client connections after this age so new replicas "
                "get load (gRPC A9); 0: never"},
       &C::max_connection_age},
      {{.name = "max-connection-age-grace",
        .type = kDuration,
        .default_value = "30s",
        .group = kConnections,
        .help = "time RPCs in flight get on a connection closed for age"},
       &C::max_connection_age_grace},
      {{.name = "keepalive-time",
        .type = kDuration,
        .default_value = "1m",
        .group = kConnections,
        .help = "ping idle client connections this often"},
       &C::keepalive_time},
      {{.name = "keepalive-timeout",
        .type = kDuration,
        .default_value = "20s",
        .group = kConnections,
        .help = "close a connection whose ping goes unanswered this long"},
       &C::keepalive_timeout},
      {{.name = "max-streams-per-connection",
        .type = kInt,
        .default_value = "100",
        .group = kConnections,
        .help = "HTTP/2 streams a client may have open on one connection, "
                "and unary calls one connection may have queued or running "
                "(a client that resets its streams fills its own share)",
        .min = "1",
        .max = "1000000"},
       &C::max_streams_per_connection},
      {{.name = "max-cancels-per-connection",
        .type = kInt,
        .default_value = "200",
        .group = kConnections,
        .help = "calls a connection may cancel (reset, or let expire) in one "
                "second before the server closes it: the defence against "
                "HTTP/2 rapid reset; 0: never",
        .min = "0",
        .max = "1000000"},
       &C::max_cancels_per_connection},
      {{.name = "max-message-bytes",
        .type = kSize,
        .default_value = "4MiB",
        .group = kConnections,
        .help = "largest request or response message; a List page holds at "
                "most 3/4 of it in records, and continues on the next page",
        .min = "1KiB",
        .max = "1GiB"},
       &C::max_message_bytes},

      // Admission and limits.
      {{.name = "worker-threads",
        .type = kInt,
        .default_value = "32",
        .group = kAdmission,
        .help = "threads that run unary calls (every Get, List, Create, "
                "Update, Delete, ListChanges); a call holds one while it "
                "works, not while its answer waits for the client. Lists use "
                "at most 3/4 of them, and Gets and writes are taken first",
        .min = "1",
        .max = "10000"},
       &C::worker_threads},
      {{.name = "max-rpcs-in-flight",
        .type = kInt,
        .default_value = "256",
        .group = kAdmission,
        .help = "unary calls queued for a worker or running; one more is "
                "refused at once with `RESOURCE_EXHAUSTED` and "
                "`grpc-retry-pushback-ms: 100`",
        .min = "1",
        .max = "1000000"},
       &C::max_rpcs_in_flight},
      {{.name = "max-unsent-bytes",
        .type = kSize,
        .default_value = "32MiB",
        .group = kAdmission,
        .help = "bytes of answers handed to gRPC that their clients have not "
                "taken yet; past it Lists are refused with "
                "`RESOURCE_EXHAUSTED`, past twice it every call, so unread "
                "answers cost at most twice this",
        .min = "0"},
       &C::max_unsent_bytes},
      {{.name = "max-heap-mib",
        .type = kInt,
        .default_value = "128",
        .group = kAdmission,
        .help = "heap in use, in MiB, past which the server closes the "
                "connection that sent the most in the last 100 ms (at least "
                "16 KB), one every 200 ms: the last defence of memory against "
                "floods that gRPC 1.51 takes in before admission sees them; "
                "keep it at a quarter of the container's memory limit (a "
                "flood overshoots it by about 100 MiB); 0: never",
        .min = "0",
        .max = "1048576"},
       &C::max_heap_mib},
      {{.name = "max-costly-lists",
        .type = kInt,
        .default_value = "0",
        .group = kAdmission,
        .help = "costly reads that run at once (0: half `--pool-size`, at "
                "least 1): Lists and `ListChanges` the planner expects to be "
                "costly, and every `Search`; the next waits 250 ms, then "
                "`RESOURCE_EXHAUSTED` with `grpc-retry-pushback-ms: 250`",
        .min = "0",
        .max = "10000"},
       &C::max_costly_lists},
      {{.name = "costly-list-cost",
        .type = kInt,
        .default_value = "10000",
        .group = kAdmission,
        .help = "the planner cost above which a list with a filter or order "
                "(EXPLAIN's total), or a `ListChanges` with a filter (the "
                "largest cost of any node of its plan: a walk of the log that "
                "a LIMIT would not cut short), is costly",
        .min = "0"},
       &C::costly_list_cost},
      {{.name = "max-concurrent-exports",
        .type = kInt,
        .default_value = "2",
        .group = kAdmission,
        .help = "open-data exports (`ExportService`: calendars, Popolo, CSV; "
                "`/v1/sessions.ics` and the other export URLs) that run at "
                "once, each on a thread and a database connection of its own "
                "outside `--pool-size`; one more is refused at once with "
                "`RESOURCE_EXHAUSTED` and `grpc-retry-pushback-ms: 1000` "
                "(HTTP 429). An unchanged calendar answered 304 from "
                "`If-None-Match` takes no slot",
        .min = "1",
        .max = "1000"},
       &C::max_concurrent_exports},
      {{.name = "max-export-duration",
        .type = kDuration,
        .default_value = "15m",
        .group = kAdmission,
        .help = "an open-data export still running this long after its call "
                "began is ended with `DEADLINE_EXCEEDED` (its client gets a "
                "cut file), however steadily its client reads: no client "
                "holds an export slot longer",
        .min = "1s"},
       &C::max_export_duration},
      {{.name = "max-record-bytes",
        .type = kSize,
        .default_value = "0",
        .group = kAdmission,
        .help = "largest record a write may store, encoded; at most 3/4 of "
                "`--max-message-bytes`; 0: that much (a List page holds at "
                "most that much too)",
        .min = "0"},
       &C::max_record_bytes},
      {{.name = "record-cache-size",
        .type = kInt,
        .default_value = "10000",
        .group = kAdmission,
        .help = "records kept in memory, current by the change feed: a Get "
                "answers from them once the feed has applied the primary's "
                "current revision (never stale); 0 turns it off (every Get "
                "reads the database); about 1–2 KB a record",
        .min = "0"},
       &C::record_cache_size},
      {{.name = "list-cache-bytes",
        .type = kSize,
        .default_value = "64MiB",
        .group = kAdmission,
        .help = "every record of each kind that fits, in memory, current by "
                "the change feed: a List in name order with no filter "
                "answers from it once the feed has applied the revision it "
                "must see (never stale, as a Get); a kind that does not fit "
                "is read from the database; held beyond `--max-heap-mib`; "
                "about the size of the records' protobuf plus 100 bytes "
                "each; 0 turns it off",
        .min = "0"},
       &C::list_cache_bytes},

      // Shutdown.
      {{.name = "drain-period",
        .type = kDuration,
        .default_value = "5s",
        .group = kShutdown,
        .help = "after SIGTERM, time spent reporting NOT_SERVING while RPCs "
                "are still accepted, before shutdown starts"},
       &C::drain_period},
      {{.name = "shutdown-timeout",
        .type = kDuration,
        .default_value = "10s",
        .group = kShutdown,
        .help = "after the drain, time running RPCs get to finish before "
                "they are cancelled"},
       &C::shutdown_timeout},

      // The change log and watches.
      {{.name = "change-retention",
        .type = kDuration,
        .default_value = "0",
        .group = kChanges,
        .help = "0 (the default) keeps every change: the whole history "
                "stays readable (as_of_revision, Undelete). Otherwise how "
                "long the log keeps every change: older ones are compacted, "
                "one replica at a time, to each record's latest (its history "
                "and undelete then reach back that far)"},
       &C::change_retention},
      {{.name = "change-purge-interval",
        .type = kDuration,
        .default_value = "1m",
        .group = kChanges,
        .help = "how often the purges (changes and request ids) run; each "
                "deletes in batches until none older is left"},
       &C::change_purge_interval},
      {{.name = "change-purge-batch",
        .type = kInt,
        .default_value = "5000",
        .group = kChanges,
        .help = "rows one purge batch deletes at most, each batch its own "
                "short transaction (docs/operations.md, \"Retention\")",
        .min = "1",
        .max = "100000"},
       &C::change_purge_batch},
      {{.name = "request-id-retention",
        .type = kDuration,
        .default_value = "24h",
        .group = kChanges,
        .help = "how long a write's `request_id` is remembered, so that a "
                "retry with it is answered without writing again "
                "(docs/api.md, \"Retries\")",
        .min = "1m"},
       &C::request_id_retention},
      {{.name = "watch-buffer",
        .type = kInt,
        .default_value = "1000",
        .group = kChanges,
        .help = "changes a `WatchChanges` stream may have waiting to be "
                "written; a client further behind is ended with "
                "`RESOURCE_EXHAUSTED` and resumes (a single transaction that "
                "writes more records than this ends every watch that matches "
                "them, which then catch up from the database)",
        .min = "1",
        .max = "10000000"},
       &C::watch_buffer},
      {{.name = "watch-buffer-bytes",
        .type = kSize,
        .default_value = "64MiB",
        .group = kChanges,
        .help = "bytes of changes a `WatchChanges` stream may have waiting "
                "(encoded); past it, as past `--watch-buffer`: large records "
                "fill a buffer before its count does",
        .min = "1KiB"},
       &C::watch_buffer_bytes},
      {{.name = "watch-bookmark-interval",
        .type = kDuration,
        .default_value = "5s",
        .group = kChanges,
        .help = "how often an idle `WatchChanges` stream gets a bookmark"},
       &C::watch_bookmark_interval},
      {{.name = "watch-stall-timeout",
        .type = kDuration,
        .default_value = "30s",
        .group = kChanges,
        .help = "a `WatchChanges` stream whose client takes no message for "
                "this long while pages of records read for it wait (its "
                "initial state, a catch-up) is cancelled and its pages given "
                "back; 0: never"},
       &C::watch_stall_timeout},
      {{.name = "max-watches",
        .type = kInt,
        .default_value = "1000",
        .group = kChanges,
        .help = "`WatchChanges` streams open at once; one more is refused "
                "with `RESOURCE_EXHAUSTED` naming this flag and "
                "`grpc-retry-pushback-ms: 1000`",
        .min = "1",
        .max = "1000000"},
       &C::max_watches},
      {{.name = "max-watches-per-connection",
        .type = kInt,
        .default_value = "32",
        .group = kChanges,
        .help = "streams one connection may have open, the same way",
        .min = "1",
        .max = "1000000"},
       &C::max_watches_per_connection},
      {{.name = "max-watches-per-caller",
        .type = kInt,
        .default_value = "100",
        .group = kChanges,
        .help = "streams one caller may have open, the same way: a token's "
                "or certificate's subject, or for an anonymous caller its "
                "address (the edge's word for it behind the edge)",
        .min = "1",
        .max = "1000000"},
       &C::max_watches_per_caller},

      // Callers.
      {{.name = "jwt-public-keys",
        .type = kString,
        .group = kCallers,
        .help = "the keys that sign callers' bearer tokens: PEM public keys "
                "or JWK Sets, comma-separated files (docs/security.md), "
                "re-read every `--jwt-refresh-interval`; a token must verify "
                "with one of them"},
       &C::jwt_public_keys},
      {{.name = "jwt-issuer",
        .type = kString,
        .group = kCallers,
        .help = "the `iss` every token must carry; required with keys"},
       &C::jwt_issuer},
      {{.name = "jwt-audience",
        .type = kString,
        .group = kCallers,
        .help = "the `aud` every token must include; required with keys"},
       &C::jwt_audience},
      {{.name = "jwt-roles-claim",
        .type = kString,
        .default_value = "roles",
        .group = kCallers,
        .help = "the claim holding the caller's roles (reader, editor, "
                "admin), a dotted path such as `realm_access.roles`"},
       &C::jwt_roles_claim},
      {{.name = "jwt-refresh-interval",
        .type = kDuration,
        .default_value = "1m",
        .group = kCallers,
        .help = "how often the `--jwt-public-keys` files are read again: "
                "one that changed replaces its keys, or keeps them (with a "
                "warning) if it does not read",
        .min = "1s"},
       &C::jwt_refresh_interval},
      {{.name = "allow-anonymous-reads",
        .type = kBool,
        .default_value = "false",
        .group = kCallers,
        .help = "callers without credentials may Get, List and watch "
                "changes"},
       &C::allow_anonymous_reads},
      {{.name = "show-actors-to-anonymous",
        .type = kBool,
        .default_value = "false",
        .group = kCallers,
        .help = "anonymous readers (`--allow-anonymous-reads`) see who made "
                "each change (`Change.actor`) and its `request_id`; by "
                "default both are cleared for them, while callers with "
                "credentials, and every caller under `--no-auth`, see them "
                "(docs/security.md, \"Audit\"); needs "
                "`--allow-anonymous-reads`"},
       &C::show_actors_to_anonymous},
      {{.name = "read-only",
        .type = kBool,
        .default_value = "false",
        .group = kCallers,
        .help = "refuse every write (FAILED_PRECONDITION), whatever the "
                "role"},
       &C::read_only},
      {{.name = "no-auth",
        .type = kBool,
        .default_value = "false",
        .group = kCallers,
        .help = "every caller may do everything, without credentials: local "
                "development only. Refused with any other way to know "
                "callers (`--jwt-*`, `--allow-anonymous-reads`, `--tls-*`) "
                "and on a `--listen-address` that is not loopback or with "
                "`--edge-address` (unless `--no-auth-beyond-loopback`). "
                "Without it the server refuses "
                "to start with no way to know callers (none of "
                "`--jwt-public-keys`, `--tls-client-ca`, `--edge-address`, "
                "`--allow-anonymous-reads`)"},
       &C::no_auth},
      {{.name = "no-auth-beyond-loopback",
        .type = kBool,
        .default_value = "false",
        .group = kCallers,
        .help = "with `--no-auth`, listen on an address other machines "
                "reach, or behind the edge (`--edge-address`): everybody who "
                "reaches it may do everything (a sandbox on a private "
                "network, never production)"},
       &C::no_auth_beyond_loopback},
      {{.name = "page-token-key-file",
        .type = kPath,
        .group = kCallers,
        .help = "a file (a mounted Secret) with the key that signs page "
                "tokens, the same on every replica, at least 16 bytes; "
                "empty: the key `migrate` stored in the database"},
       &C::page_token_key_file},

      // TLS.
      {{.name = "tls-cert",
        .type = kPath,
        .group = kTls,
        .help = "PEM certificate chain: TLS on the gRPC port (with "
                "`--tls-key`), re-read every `--tls-refresh-interval`"},
       &C::tls_cert},
      {{.name = "tls-key",
        .type = kPath,
        .group = kTls,
        .help = "PEM private key of `--tls-cert`"},
       &C::tls_key},
      {{.name = "tls-client-ca",
        .type = kPath,
        .group = kTls,
        .help = "PEM CA bundle: clients must present a certificate it signed "
                "(mutual TLS); a verified certificate's URI or DNS name names "
                "its caller, with `--tls-client-role`"},
       &C::tls_client_ca},
      {{.name = "tls-client-role",
        .type = kString,
        .default_value = "reader",
        .group = kTls,
        .help = "the role of a caller known by its client certificate: "
                "reader, editor or admin"},
       &C::tls_client_role},
      {{.name = "tls-refresh-interval",
        .type = kDuration,
        .default_value = "1m",
        .group = kTls,
        .help = "how often the TLS files are re-read (less than 1s: 1s)"},
       &C::tls_refresh_interval},

      // Logging.
      {{.name = "log-level",
        .type = kString,
        .default_value = "info",
        .group = kLogging,
        .help = "debug, info, warn or error"},
       &C::log_level},
  };
  return *rows;
}

}  // namespace

void AddServeFlags(FlagSet* flags, ServeConfig* config) {
  for (const Row& row : Rows()) {
    std::visit([&](auto field) { flags->Add(row.spec, &(config->*field)); },
               row.field);
  }
}

ServeConfig DefaultServeConfig() {
  ServeConfig config;
  FlagSet flags("serve", "");
  AddServeFlags(&flags, &config);
  return config;
}

namespace {

// --no-auth fails closed: it grants everything before any credential is
// looked at, so with a way to know callers it would silently overrule it,
// and beyond loopback it opens writes to a network.
absl::Status ValidateNoAuth(const ServeConfig& config) {
  if (!config.no_auth) {
    if (config.no_auth_beyond_loopback) {
      return absl::InvalidArgumentError(
          "--no-auth-beyond-loopback goes with --no-auth only");
    }
    return absl::OkStatus();
  }
  const ServeConfig defaults = DefaultServeConfig();
  constexpr char kIgnored[] =
      "--no-auth lets every caller do everything without looking at "
      "credentials, so it would be silently ignored";
  constexpr char kReached[] =
      "TLS is for a server other machines reach, and --no-auth would let "
      "each of them do everything";
  const struct {
    const char* flag;
    bool given;
    const char* why;
  } others[] = {
      {"--jwt-public-keys", !config.jwt_public_keys.empty(), kIgnored},
      {"--jwt-issuer", config.jwt_issuer != defaults.jwt_issuer, kIgnored},
      {"--jwt-audience", config.jwt_audience != defaults.jwt_audience,
       kIgnored},
      {"--jwt-roles-claim", config.jwt_roles_claim != defaults.jwt_roles_claim,
       kIgnored},
      {"--allow-anonymous-reads", config.allow_anonymous_reads, kIgnored},
      {"--tls-client-ca", !config.tls_client_ca.empty(), kIgnored},
      {"--tls-client-role", config.tls_client_role != defaults.tls_client_role,
       kIgnored},
      {"--jwt-refresh-interval",
       config.jwt_refresh_interval != defaults.jwt_refresh_interval, kIgnored},
      {"--tls-refresh-interval",
       config.tls_refresh_interval != defaults.tls_refresh_interval, kIgnored},
      {"--tls-cert", !config.tls_cert.empty(), kReached},
      {"--tls-key", !config.tls_key.empty(), kReached},
  };
  for (const auto& other : others) {
    if (!other.given) continue;
    return absl::InvalidArgumentError(absl::StrCat("--no-auth cannot go with ",
                                                   other.flag, ": ", other.why,
                                                   "; drop one of the two"));
  }
  if (config.no_auth_beyond_loopback) return absl::OkStatus();
  if (!config.listen_address.empty() &&
      !IsLoopbackAddress(config.listen_address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--no-auth on --listen-address \"", config.listen_address,
        "\", which is not loopback: everybody who reaches it could do "
        "everything; listen on 127.0.0.1:PORT, [::1]:PORT or localhost:PORT, "
        "or add --no-auth-beyond-loopback if that is what you mean"));
  }
  if (!config.http_address.empty() && !IsLoopbackAddress(config.http_address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--no-auth on --http-address \"", config.http_address,
        "\", which is not loopback: everybody who reaches it could do "
        "everything; listen on 127.0.0.1:PORT, [::1]:PORT or localhost:PORT, "
        "or add --no-auth-beyond-loopback if that is what you mean"));
  }
  if (!config.edge_address.empty() || !config.http_edge_address.empty()) {
    return absl::InvalidArgumentError(
        "--no-auth with --edge-address: the edge is the door clients reach, "
        "and this server cannot tell whether it listens beyond loopback "
        "(deploy/edge listens on 0.0.0.0 by default); add "
        "--no-auth-beyond-loopback if everybody who reaches the edge may do "
        "everything");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateServeConfig(const ServeConfig& config) {
  const auto invalid = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat(parts...));
  };
  if (config.database_url.empty()) {
    return invalid(
        "--database-url (or FORUM_REGISTRY_DATABASE_URL) is required");
  }
  if (config.listen_address.empty() && config.edge_address.empty()) {
    return invalid(
        "--listen-address and --edge-address are both empty: nothing to "
        "listen on");
  }
  if (!config.edge_address.empty() && !config.listen_address.empty() &&
      !IsLoopbackAddress(config.listen_address)) {
    return invalid(
        "with --edge-address, --listen-address must be empty or on "
        "loopback: the edge is the door clients reach (\"",
        config.listen_address, "\" is not loopback)");
  }
  for (const auto& [flag, address] :
       {std::pair<const char*, const std::string*>{
           "--http-edge-address", &config.http_edge_address}}) {
    if (!address->empty() && !IsLoopbackAddress(*address)) {
      return invalid(flag, " \"", *address,
                     "\" must be a loopback address (127.0.0.1:PORT, "
                     "[::1]:PORT or localhost:PORT): the server believes "
                     "what arrives there");
    }
  }
  if ((!config.edge_address.empty() || !config.http_edge_address.empty()) &&
      !config.http_address.empty() && !IsLoopbackAddress(config.http_address)) {
    return invalid(
        "behind the edge, --http-address must be empty or on loopback: the "
        "edge is the door clients reach (\"",
        config.http_address, "\" is not loopback)");
  }
  for (absl::string_view origin :
       absl::StrSplit(config.http_cors_origins, ',', absl::SkipWhitespace())) {
    origin = absl::StripAsciiWhitespace(origin);
    if (origin == "*") continue;
    const size_t scheme = origin.find("://");
    if (scheme == absl::string_view::npos || scheme == 0 ||
        origin.size() == scheme + 3 ||
        origin.find('/', scheme + 3) != absl::string_view::npos) {
      return invalid("--http-cors-origins: \"", origin,
                     "\" is not an origin (scheme://host[:port], as a "
                     "browser sends it in Origin) or *");
    }
  }
  if (!config.edge_address.empty() && !IsLoopbackAddress(config.edge_address)) {
    return invalid("--edge-address \"", config.edge_address,
                   "\" must be a loopback address (127.0.0.1:PORT, "
                   "[::1]:PORT or localhost:PORT): the server believes what "
                   "arrives there");
  }
  if (config.max_record_bytes > config.max_message_bytes / 4 * 3) {
    return invalid(
        "--max-record-bytes must be between 0 and 3/4 of "
        "--max-message-bytes");
  }
  if (config.tls_cert.empty() != config.tls_key.empty() ||
      (!config.tls_client_ca.empty() && config.tls_cert.empty())) {
    return invalid(
        "--tls-cert and --tls-key go together, and --tls-client-ca needs "
        "them");
  }
  if (!auth::ParseRole(config.tls_client_role).has_value()) {
    return invalid("--tls-client-role: \"", config.tls_client_role,
                   "\" is not reader, editor or admin");
  }
  FR_RETURN_IF_ERROR(ValidateNoAuth(config));
  if (config.show_actors_to_anonymous && !config.allow_anonymous_reads) {
    return invalid(
        "--show-actors-to-anonymous needs --allow-anonymous-reads: without "
        "it no caller is anonymous");
  }
  // Behind the edge, callers may be known by the certificates the edge
  // verifies (FORUM_REGISTRY_EDGE_TLS_CLIENT_CA), which the server cannot
  // see from here; without them every call is refused, never allowed.
  if (!config.no_auth && config.jwt_public_keys.empty() &&
      config.tls_client_ca.empty() && !config.allow_anonymous_reads &&
      config.edge_address.empty() && config.http_edge_address.empty()) {
    return invalid(
        "no way to know callers: give --jwt-public-keys (with --jwt-issuer "
        "and --jwt-audience) or --tls-client-ca, or --edge-address behind an "
        "edge that verifies client certificates, or --allow-anonymous-reads "
        "for a public read-only mirror, or --no-auth for local development");
  }
  return absl::OkStatus();
}

}  // namespace forum_registry::server
