#ifndef FORUM_REGISTRY_EXPORT_EXPORT_H_
#define FORUM_REGISTRY_EXPORT_EXPORT_H_

// Open-data exports of the registry: Popolo JSON, CSV (one file per kind,
// in a directory or a zip) and an iCalendar of sessions. Each export reads
// one snapshot, as the registry stands or as it stood after a revision of
// the change log, and streams: memory is bounded by a batch of records,
// whatever the registry's size.
//
//   exports::ExportOptions options;
//   options.format = exports::Format::kIcs;
//   options.forum = "forums/arf";
//   exports::FileSink out(stdout);
//   absl::StatusOr<exports::ExportSummary> done =
//       exports::RunExport(source, options, &out);

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/export/sink.h"

namespace forum_registry::store {
class Exporter;
}

namespace forum_registry::exports {

enum class Format { kPopolo, kCsv, kIcs };

// "popolo", "csv", "ics"; INVALID_ARGUMENT naming the choices otherwise.
absl::StatusOr<Format> ParseFormat(absl::string_view text);
// What an answer of the format is: "application/json", "application/zip"
// (CSV over HTTP), "text/calendar; charset=utf-8".
const char* ContentType(Format format);

struct ExportOptions {
  Format format = Format::kPopolo;
  // A full date (YYYY-MM-DD): memberships, chairmanships, names and roles
  // are those that hold on that day. Empty for all.
  std::string as_of;
  // The registry as it stood after this revision of the change log; 0 for
  // as it stands.
  int64_t as_of_revision = 0;
  // One forum ("forums/arf") and what belongs to it; empty or "forums/-"
  // for the whole registry.
  std::string forum;
  // Calendar only: sessions whose start is known only to the month or year
  // are left out (false) or listed as events spanning it (true).
  bool span_imprecise = false;
};

// Checks the options alone (the date's form, the forum's name, the
// revision's sign): INVALID_ARGUMENT naming the field and the rule.
absl::Status ValidateOptions(const ExportOptions& options);

struct ExportSummary {
  // The revision the export shows: the newest in its snapshot, or
  // as_of_revision.
  int64_t revision = 0;
  // Records written, by kind ("sessions").
  std::map<std::string, int64_t> records;
};

// Called now and then while an export runs (records so far, bytes so far).
using Progress = std::function<void(int64_t records, int64_t bytes)>;

// Writes one export of `source`'s snapshot. Popolo and calendar go to
// `out`; CSV goes to `files` (either may be null for the other formats).
// OUT_OF_RANGE when as_of_revision is outside the log's history, NOT_FOUND
// when `forum` did not exist then.
absl::StatusOr<ExportSummary> RunExport(store::Exporter& source,
                                        const ExportOptions& options, Sink* out,
                                        FileSet* files,
                                        const Progress& progress = nullptr);

}  // namespace forum_registry::exports

#endif  // FORUM_REGISTRY_EXPORT_EXPORT_H_
