#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "forumregistry/v1/dataset.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "src/domain/resource_registry.h"
#include "src/domain/status_macros.h"
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
  flags.String("format", &format, "textproto or json.");
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
  if (database_url.empty() || !positional.empty() ||
      (format != "textproto" && format != "json")) {
    std::fprintf(stderr,
                 "forum-registry export: takes --database-url, optionally "
                 "--output and --format=textproto|json, and no arguments\n");
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
