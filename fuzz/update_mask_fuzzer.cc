// Update masks: paths separated by commas, applied from a patch to a forum.
// Properties: a refused mask leaves the target as it was; errors name
// `update_mask` and stay short; an accepted mask never writes a field the
// server sets (name, etag, times).

#include <cstdint>

#include "absl/strings/str_split.h"
#include "forumregistry/v1/forum.pb.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/util/message_differencer.h"
#include "src/domain/update_mask.h"

namespace fr = forum_registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  google::protobuf::FieldMask mask;
  for (absl::string_view path :
       absl::StrSplit(fr::fuzz::Text(data, size), ',')) {
    mask.add_paths(std::string(path));
  }
  forumregistry::v1::Forum patch;
  patch.set_name("forums/patch");
  patch.set_etag("v9.patch");
  patch.set_display_name("Patched");
  patch.set_description("From the patch");
  patch.add_topics("patched");
  forumregistry::v1::Forum target;
  target.set_name("forums/target");
  target.set_etag("v1.target");
  target.set_display_name("Target");
  const forumregistry::v1::Forum before = target;
  const absl::Status applied =
      fr::domain::ApplyUpdateMask(mask, patch, &target);
  if (!applied.ok()) {
    FUZZ_CHECK(
        google::protobuf::util::MessageDifferencer::Equals(target, before))
        << "a refused mask changed the target";
    const std::string message(applied.message());
    FUZZ_CHECK(message.rfind("update_mask: ", 0) == 0) << message;
    FUZZ_CHECK(message.size() < 2000) << message.size() << " bytes";
    return 0;
  }
  FUZZ_CHECK(target.name() == "forums/target" && target.etag() == "v1.target")
      << "a mask wrote a field the server sets";
  return 0;
}
