#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "forumregistry/v1/dataset.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "src/domain/resource_registry.h"
#include "src/domain/status_macros.h"
#include "src/export/export.h"
#include "src/export/zip_writer.h"
#include "src/server/flags.h"
#include "src/server/log.h"
#include "src/store/exporter.h"
#include "src/tools/commands.h"

namespace forum_registry::tools {
namespace {

using forumregistry::v1::Dataset;
using google::protobuf::TextFormat;

// Reads every record of every kind into `dataset`, in one snapshot. The
// fields the server sets, but for the name, are left out: the database sets
// them again on import.
absl::Status Export(const std::string& database_url, Dataset* dataset) {
  FR_ASSIGN_OR_RETURN(std::unique_ptr<store::Exporter> exporter,
                      store::Exporter::Open(database_url));
  const auto* reflection = dataset->GetReflection();
  for (const domain::ResourceType& type : domain::Resources()) {
    const auto* field = Dataset::descriptor()->FindFieldByName(type.table);
    FR_RETURN_IF_ERROR(exporter->ReadTable(
        type.table, [&] { return reflection->AddMessage(dataset, field); }));
    for (int i = 0; i < reflection->FieldSize(*dataset, field); ++i) {
      google::protobuf::Message* record =
          reflection->MutableRepeatedMessage(dataset, field, i);
      const google::protobuf::Descriptor* descriptor = record->GetDescriptor();
      for (int f = 0; f < descriptor->field_count(); ++f) {
        const google::protobuf::FieldDescriptor* field = descriptor->field(f);
        if (domain::IsServerSet(field) && !domain::IsIdentifier(field)) {
          record->GetReflection()->ClearField(record, field);
        }
      }
    }
  }
  return absl::OkStatus();
}

// At most four times a second, when stderr is a terminal (or `always`):
// "\rexport: 412,310 records, 181.4 MB, 31,200 records/s".
class ProgressLine {
 public:
  explicit ProgressLine(bool on) : on_(on), start_(absl::Now()) {}
  void Update(int64_t records, int64_t bytes) {
    if (!on_) return;
    const absl::Time now = absl::Now();
    if (now - last_ < absl::Milliseconds(250)) return;
    last_ = now;
    Print(records, bytes, now);
  }
  void Done(int64_t records, int64_t bytes) {
    if (!on_) return;
    Print(records, bytes, absl::Now());
    std::fputc('\n', stderr);
  }

 private:
  static std::string Grouped(int64_t n) {
    std::string digits = absl::StrCat(n);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
      digits.insert(i, ",");
    }
    return digits;
  }
  void Print(int64_t records, int64_t bytes, absl::Time now) const {
    const double seconds = absl::ToDoubleSeconds(now - start_);
    std::fprintf(
        stderr, "\rexport: %s records, %.1f MB, %s records/s   ",
        Grouped(records).c_str(), bytes / 1e6,
        Grouped(seconds > 0 ? static_cast<int64_t>(records / seconds) : 0)
            .c_str());
    std::fflush(stderr);
  }
  bool on_;
  absl::Time start_;
  absl::Time last_ = absl::InfinitePast();
};

// Popolo, CSV or the calendar; CSV to a directory, a .zip, or a zip on
// stdout ("-"). A file is written beside its name and renamed when
// complete, so a reader never sees half an export.
int OpenDataExport(const std::string& database_url,
                   const exports::ExportOptions& options,
                   const std::string& output, const std::string& progress) {
  if (absl::Status valid = exports::ValidateOptions(options); !valid.ok()) {
    std::fprintf(stderr, "forum-registry export: %s\n",
                 std::string(valid.message()).c_str());
    return 2;
  }
  const auto fail = [](const absl::Status& status) {
    server::LogEvent(spdlog::level::err, "export_failed",
                     {{"reason", std::string(status.message())},
                      {"code", absl::StatusCodeToString(status.code())}});
    std::fprintf(stderr, "forum-registry export: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  };
  absl::StatusOr<std::unique_ptr<store::Exporter>> source =
      store::Exporter::Open(database_url, options.as_of_revision);
  if (!source.ok()) return fail(source.status());
  const bool zip = options.format == exports::Format::kCsv &&
                   (output == "-" || absl::EndsWith(output, ".zip"));
  const bool directory = options.format == exports::Format::kCsv && !zip;
  std::FILE* file = stdout;
  const std::string partial = absl::StrCat(output, ".tmp");
  if (directory) {
    // The files go to a directory beside it, renamed when all are written:
    // a reader sees the whole export or none. Into an empty directory or a
    // new one only, so no earlier export is mixed in or removed.
    std::error_code error;
    if (std::filesystem::exists(output, error) &&
        !std::filesystem::is_empty(output, error)) {
      std::fprintf(stderr,
                   "forum-registry export: output: %s exists and is not an "
                   "empty directory; name a new one\n",
                   output.c_str());
      return 2;
    }
    std::filesystem::remove_all(partial, error);
  }
  if (output != "-" && !directory) {
    file = std::fopen(partial.c_str(), "wb");
    if (file == nullptr) {
      return fail(absl::UnavailableError(
          absl::StrCat("cannot write ", partial, ": ", std::strerror(errno))));
    }
  }
  exports::FileSink sink(file);
  std::unique_ptr<exports::FileSet> files;
  if (zip) files = std::make_unique<exports::ZipFileSet>(&sink);
  if (directory) files = std::make_unique<exports::DirectoryFileSet>(partial);
  ProgressLine line(progress == "always" ||
                    (progress == "auto" && isatty(fileno(stderr))));
  int64_t records = 0, bytes = 0;
  absl::StatusOr<exports::ExportSummary> summary =
      exports::RunExport(**source, options, files == nullptr ? &sink : nullptr,
                         files.get(), [&](int64_t r, int64_t b) {
                           records = r;
                           bytes = b;
                           line.Update(r, b);
                         });
  line.Done(records, bytes);
  if (file != stdout) {
    if (std::fclose(file) != 0 && summary.ok()) {
      summary = absl::UnavailableError(absl::StrCat("cannot write ", partial));
    }
  } else {
    std::fflush(stdout);
  }
  if (directory || file != stdout) {
    // The whole export takes its name, or what was written goes.
    std::error_code error;
    if (summary.ok()) {
      std::filesystem::rename(partial, output, error);
      if (error) {
        summary = absl::UnavailableError(absl::StrCat(
            "cannot rename ", partial, " to ", output, ": ", error.message()));
      }
    } else {
      std::filesystem::remove_all(partial, error);
    }
  }
  if (!summary.ok()) return fail(summary.status());
  server::LogFields fields = {{"revision", absl::StrCat(summary->revision)}};
  for (const auto& [kind, count] : summary->records) {
    fields.push_back({kind, absl::StrCat(count)});
  }
  server::LogEvent(spdlog::level::info, "export_done", fields);
  return 0;
}

}  // namespace

int ExportCommand(const std::vector<std::string>& args) {
  std::string database_url;
  std::string output = "-";
  std::string format = "textproto";
  server::FlagSet flags(
      "export",
      "Writes the whole registry as a forumregistry.v1.Dataset that `import` "
      "loads into an empty database to the same state. Reads one consistent "
      "snapshot.");
  flags.String("database-url", &database_url,
               "PostgreSQL connection URL or libpq connection string. "
               "Required.");
  flags.String("output", &output, "File to write, or - for stdout.");
  flags.String("format", &format,
               "textproto or json (a Dataset, for import), or the open-data "
               "formats: popolo (Popolo JSON), csv (one file per kind) or "
               "ics (an iCalendar of sessions).");
  std::string as_of, forum, imprecise = "omit", progress = "auto";
  int64_t revision = 0;
  flags.String("as-of", &as_of,
               "popolo, csv, ics: only the memberships, chairmanships, names "
               "and roles that hold on this day (YYYY-MM-DD).");
  flags.Int("revision", &revision,
            "popolo, csv, ics: the registry as it stood right after this "
            "revision of the change log (within its history); 0 for now.");
  flags.String("forum", &forum,
               "popolo, csv, ics: only this forum (forums/x), its mechanisms "
               "and what they refer to.");
  flags.String("calendar-imprecise", &imprecise,
               "ics: sessions known only to the month or year are left out "
               "(omit) or listed as events spanning it (span).");
  flags.String("progress", &progress,
               "A progress line on stderr: auto (when it is a terminal), "
               "always or never.");
  std::vector<std::string> positional;
  bool help = false;
  if (absl::Status s = flags.Parse(args, &positional, &help); !s.ok()) {
    std::fprintf(stderr, "forum-registry export: %s\n",
                 std::string(s.message()).c_str());
    return 2;
  }
  if (help) {
    std::fputs(flags.Usage("forum-registry").c_str(), stdout);
    return 0;
  }
  if (database_url.empty() || !positional.empty()) {
    std::fprintf(stderr,
                 "forum-registry export: takes --database-url, optionally "
                 "--output, --format and its options, and no arguments\n");
    return 2;
  }
  if (format != "textproto" && format != "json") {
    absl::StatusOr<exports::Format> parsed = exports::ParseFormat(format);
    if (!parsed.ok() || (imprecise != "omit" && imprecise != "span") ||
        (progress != "auto" && progress != "always" && progress != "never")) {
      std::fprintf(stderr, "forum-registry export: %s\n",
                   !parsed.ok() ? std::string(parsed.status().message()).c_str()
                   : (imprecise != "omit" && imprecise != "span")
                       ? "calendar-imprecise: must be omit or span"
                       : "progress: must be auto, always or never");
      return 2;
    }
    exports::ExportOptions options;
    options.format = *parsed;
    options.as_of = as_of;
    options.as_of_revision = revision;
    options.forum = forum;
    options.span_imprecise = imprecise == "span";
    if (options.format == exports::Format::kCsv && output == "-" &&
        isatty(fileno(stdout))) {
      std::fprintf(stderr,
                   "forum-registry export: csv: --output is a directory or a "
                   ".zip (- writes a zip, not to a terminal)\n");
      return 2;
    }
    return OpenDataExport(database_url, options, output, progress);
  }
  if (!as_of.empty() || revision != 0 || !forum.empty()) {
    std::fprintf(stderr,
                 "forum-registry export: --as-of, --revision and --forum are "
                 "for popolo, csv and ics; a Dataset is the whole registry "
                 "now\n");
    return 2;
  }
  Dataset dataset;
  if (absl::Status status = Export(database_url, &dataset); !status.ok()) {
    server::LogEvent(spdlog::level::err, "export_failed",
                     {{"reason", std::string(status.message())}});
    return 1;
  }
  std::string text;
  if (format == "json") {
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(dataset, &text, options)
             .ok()) {
      return 1;
    }
  } else {
    text =
        "# proto-file: proto/forumregistry/v1/dataset.proto\n"
        "# proto-message: forumregistry.v1.Dataset\n";
    std::string body;
    TextFormat::Printer printer;
    printer.SetUseUtf8StringEscaping(true);  // Cyrillic stays readable
    printer.PrintToString(dataset, &body);
    text += body;
  }
  if (output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream out(output);
  out << text;
  if (!out.good()) {
    std::fprintf(stderr, "forum-registry export: cannot write %s\n",
                 output.c_str());
    return 1;
  }
  return 0;
}

}  // namespace forum_registry::tools
