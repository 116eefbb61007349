#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/base/call_once.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "forumregistry/v1/dataset.pb.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "src/domain/resource_name.h"
#include "src/domain/resource_registry.h"
#include "src/domain/status_macros.h"
#include "src/server/flags.h"
#include "src/server/log.h"
#include "src/store/importer.h"
#include "src/tools/commands.h"

namespace forum_registry::tools {
namespace {

using forumregistry::v1::Dataset;
using google::protobuf::TextFormat;

// Collects the first parse error of a text-format file with its position.
class ErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (error_.empty()) {
      error_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
    }
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

// A file read into a Dataset (on an arena: a large file's records are
// freed at once). The line of each record of a text-format file is found
// only when an error names one: the parser's locations cost as much as the
// parse, and an import that succeeds never needs them.
class LoadedFile {
 public:
  absl::Status Load(const std::string& path) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
    std::stringstream buffer;
    buffer << in.rdbuf();
    path_ = path;
    text_ = buffer.str();
    if (absl::EndsWith(path, ".json")) {
      if (auto s = google::protobuf::util::JsonStringToMessage(text_, dataset_);
          !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": ", s.message().as_string()));
      }
      text_.clear();
      return absl::OkStatus();
    }
    text_format_ = true;
    TextFormat::Parser parser;
    ErrorCollector errors;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(text_, dataset_)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", errors.error()));
    }
    return absl::OkStatus();
  }

  Dataset& dataset() { return *dataset_; }

  // "path:line" of the record `index` of `field` ("path: field[index]" in
  // JSON). Safe from any thread.
  std::string Origin(const char* field, int index) const {
    if (!text_format_) return absl::StrCat(path_, ": ", field, "[", index, "]");
    absl::call_once(located_, [this] {
      // The same text parsed again, with its locations; it parsed before.
      Dataset scratch;
      TextFormat::Parser parser;
      parser.WriteLocationsTo(&locations_);
      parser.ParseFromString(text_, &scratch);
    });
    const auto* descriptor = Dataset::descriptor()->FindFieldByName(field);
    const auto location = locations_.GetLocation(descriptor, index);
    return absl::StrCat(path_, ":", location.line + 1);
  }

 private:
  std::string path_;
  std::string text_;  // of a text-format file, for Origin
  google::protobuf::Arena arena_;
  Dataset* dataset_ = google::protobuf::Arena::CreateMessage<Dataset>(&arena_);
  bool text_format_ = false;
  mutable absl::once_flag located_;
  mutable TextFormat::ParseInfoTree locations_;
};

// Checks one record as the API would check it on create, and adds it.
absl::Status Add(const LoadedFile& file, const domain::ResourceType& type,
                 int index, google::protobuf::Message* resource,
                 std::vector<store::ImportRecord>* records) {
  const auto origin = [&file, &type, index] {
    return file.Origin(type.table.c_str(), index);
  };
  const std::string name = resource->GetReflection()->GetString(
      *resource, resource->GetDescriptor()->FindFieldByName("name"));
  const std::string name_field = absl::StrCat(type.field, ".name");
  const absl::Status name_ok =
      type.parent_collection.empty()
          ? domain::ValidateName(name, type.collection, name_field)
          : domain::ValidateNestedName(name, type.parent_collection,
                                       type.collection, name_field);
  if (!name_ok.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin(), ": ", name_ok.message()));
  }
  if (type.normalize) type.normalize(resource);
  if (absl::Status s = type.validate(*resource, type.field); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin(), ": ", name, ": ", s.message()));
  }
  records->push_back({type.table, name, resource, origin});
  return absl::OkStatus();
}

absl::Status Run(const std::string& database_url,
                 const std::vector<std::string>& paths, bool prune,
                 bool keep_edits) {
  std::vector<std::unique_ptr<LoadedFile>> files;
  std::vector<store::ImportRecord> records;
  for (const std::string& path : paths) {
    files.push_back(std::make_unique<LoadedFile>());
    LoadedFile& file = *files.back();
    FR_RETURN_IF_ERROR(file.Load(path));
  }
  // Kind by kind across all files, parents first (the registry's order, which
  // is Dataset's).
  for (const domain::ResourceType& type : domain::Resources()) {
    const auto* field = Dataset::descriptor()->FindFieldByName(type.table);
    for (const auto& file : files) {
      Dataset& dataset = file->dataset();
      const auto* reflection = dataset.GetReflection();
      for (int i = 0; i < reflection->FieldSize(dataset, field); ++i) {
        FR_RETURN_IF_ERROR(Add(
            *file, type, i,
            reflection->MutableRepeatedMessage(&dataset, field, i), &records));
      }
    }
  }
  store::ImportOptions options;
  options.prune = prune;
  options.keep_edits = keep_edits;
  for (const domain::ResourceType& type : domain::Resources()) {
    options.prune_tables.push_back(type.table);
  }
  FR_ASSIGN_OR_RETURN(store::ImportReport report,
                      store::ImportRecords(database_url, records, options));
  server::LogEvent(spdlog::level::info, "imported",
                   {{"files", static_cast<int64_t>(paths.size())},
                    {"created", static_cast<int64_t>(report.created)},
                    {"updated", static_cast<int64_t>(report.updated)},
                    {"unchanged", static_cast<int64_t>(report.unchanged)},
                    {"deleted", static_cast<int64_t>(report.deleted)},
                    {"kept_edited", static_cast<int64_t>(report.kept.size())}});
  if (!report.kept.empty()) {
    std::fprintf(stderr,
                 "import: left %zu records as editors changed or deleted them "
                 "since the last import: %s\n",
                 report.kept.size(), absl::StrJoin(report.kept, ", ").c_str());
  }
  if (report.created == 0 && report.updated == 0 && report.deleted == 0) {
    std::fprintf(
        stderr,
        "import: nothing changed (%d records already as in the files)\n",
        report.unchanged);
  }
  return absl::OkStatus();
}

}  // namespace

int ImportCommand(const std::vector<std::string>& args) {
  std::string database_url;
  bool prune = false;
  bool keep_edits = false;
  server::FlagSet flags(
      "import",
      "Loads datasets (forumregistry.v1.Dataset in protobuf text format, or "
      "JSON for files ending in .json) in one transaction: every record or "
      "none. New records are created, changed ones updated, identical ones "
      "left alone.");
  flags.String("database-url", &database_url,
               "PostgreSQL connection URL or libpq connection string. "
               "Required.");
  flags.Bool("prune", &prune,
             "Also delete every record that is in the database but in none "
             "of the files, in the same transaction.");
  flags.Bool("keep-edits", &keep_edits,
             "Leave alone the records changed through the API since an "
             "import last wrote them, and do not bring back those deleted "
             "since: create what is new, update only what still holds what "
             "an import wrote. For a seed run on every deploy.");
  std::vector<std::string> paths;
  bool help = false;
  if (absl::Status s = flags.Parse(args, &paths, &help); !s.ok()) {
    std::fprintf(stderr, "forum-registry import: %s\n",
                 std::string(s.message()).c_str());
    return 2;
  }
  if (help) {
    std::fputs(flags.Usage("forum-registry", "FILE...").c_str(), stdout);
    return 0;
  }
  if (database_url.empty() || paths.empty()) {
    std::fprintf(stderr,
                 "forum-registry import: takes --database-url (or "
                 "FORUM_REGISTRY_DATABASE_URL) and one or more files\n");
    return 2;
  }
  if (prune && keep_edits) {
    std::fprintf(stderr,
                 "forum-registry import: --prune and --keep-edits do not go "
                 "together: one makes the files the whole truth, the other "
                 "lets editors' changes stand\n");
    return 2;
  }
  if (absl::Status s = Run(database_url, paths, prune, keep_edits); !s.ok()) {
    server::LogEvent(spdlog::level::err, "import_failed",
                     {{"reason", std::string(s.message())}});
    return 1;
  }
  return 0;
}

}  // namespace forum_registry::tools
