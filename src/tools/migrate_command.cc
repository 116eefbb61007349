#include <cstdio>

#include "absl/strings/str_join.h"
#include "src/server/flags.h"
#include "src/server/log.h"
#include "src/store/migrator.h"
#include "src/tools/commands.h"

namespace forum_registry::tools {

int MigrateCommand(const std::vector<std::string>& args) {
  std::string database_url;
  std::string serving_role;
  server::FlagSet flags(
      "migrate",
      "Applies the database migrations built into this binary, each in its "
      "own transaction, under an advisory lock: safe to run twice, and at "
      "once from several places. Refuses to go on if an applied migration "
      "has changed.");
  flags.String("database-url", &database_url,
               "PostgreSQL connection URL or libpq connection string. "
               "Required.");
  flags.String("serving-role", &serving_role,
               "An existing role to let read and write rows, and nothing "
               "else: the role `serve` connects as (least privilege).");
  std::vector<std::string> positional;
  bool help = false;
  if (absl::Status s = flags.Parse(args, &positional, &help); !s.ok()) {
    std::fprintf(stderr, "forum-registry migrate: %s\n",
                 std::string(s.message()).c_str());
    return 2;
  }
  if (help) {
    std::fputs(flags.Usage("forum-registry").c_str(), stdout);
    return 0;
  }
  if (database_url.empty() || !positional.empty()) {
    std::fprintf(stderr,
                 "forum-registry migrate: takes --database-url (or "
                 "FORUM_REGISTRY_DATABASE_URL) and no arguments\n");
    return 2;
  }
  absl::StatusOr<store::MigrationReport> report = store::Migrate(database_url);
  if (!report.ok()) {
    server::LogEvent(spdlog::level::err, "migrate_failed",
                     {{"reason", std::string(report.status().message())}});
    return 1;
  }
  if (!serving_role.empty()) {
    if (absl::Status granted =
            store::GrantServingRole(database_url, serving_role);
        !granted.ok()) {
      server::LogEvent(spdlog::level::err, "migrate_failed",
                       {{"reason", std::string(granted.message())}});
      return 1;
    }
  }
  // Records written without stored bytes (before migration 0016, or by
  // psql) get them, so reads need not decode their JSON.
  absl::StatusOr<int64_t> filled = store::FillStoredBytes(database_url);
  if (!filled.ok()) {
    server::LogEvent(spdlog::level::err, "migrate_failed",
                     {{"reason", std::string(filled.status().message())}});
    return 1;
  }
  server::LogEvent(spdlog::level::info, "migrated",
                   {{"applied", absl::StrJoin(report->applied, ",")},
                    {"already_applied",
                     static_cast<int64_t>(report->already_applied.size())},
                    {"stored_bytes_filled", *filled}});
  return 0;
}

}  // namespace forum_registry::tools
