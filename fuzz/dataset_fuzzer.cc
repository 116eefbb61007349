// Dataset files as `forum-registry import` reads them (protobuf text
// format, or JSON when the first byte is '{'), each record then normalized
// and checked as the API checks it. Properties: no crash, no sanitizer
// report, and every refusal names a field of the record.

#include <cstdint>

#include "forumregistry/v1/dataset.pb.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "src/domain/resource_registry.h"

namespace fr = forum_registry;

namespace {

class Quiet : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, int, const std::string&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fr::fuzz::Text(data, size);
  forumregistry::v1::Dataset dataset;
  if (!text.empty() && text[0] == '{') {
    if (!google::protobuf::util::JsonStringToMessage(text, &dataset).ok()) {
      return 0;
    }
  } else {
    google::protobuf::TextFormat::Parser parser;
    Quiet quiet;
    parser.RecordErrorsTo(&quiet);
    if (!parser.ParseFromString(text, &dataset)) return 0;
  }
  const auto* reflection = dataset.GetReflection();
  for (const fr::domain::ResourceType& type : fr::domain::Resources()) {
    const auto* field = dataset.GetDescriptor()->FindFieldByName(type.table);
    if (field == nullptr) continue;
    for (int i = 0; i < reflection->FieldSize(dataset, field); ++i) {
      google::protobuf::Message* record =
          reflection->MutableRepeatedMessage(&dataset, field, i);
      if (type.normalize) type.normalize(record);
      const absl::Status checked = type.validate(*record, type.field);
      if (!checked.ok()) {
        FUZZ_CHECK(std::string(checked.message()).rfind(type.field, 0) == 0)
            << checked;
      }
    }
  }
  return 0;
}
