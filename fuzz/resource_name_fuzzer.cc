// Resource names and ids. Properties: a name that parses is rebuilt
// exactly from its parts; ValidateId agrees with IsValidId; errors stay
// short.

#include <cstdint>

#include "fuzz/fuzz_check.h"
#include "src/domain/resource_name.h"

namespace fr = forum_registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fr::fuzz::Text(data, size);
  const auto id = fr::domain::ParseName(text, "forums", "name");
  if (id.ok()) {
    FUZZ_CHECK(fr::domain::MakeName("forums", *id) == text);
    FUZZ_CHECK(fr::domain::IsValidId(*id));
  } else {
    FUZZ_CHECK(id.status().message().size() < 600) << id.status();
  }
  const auto nested =
      fr::domain::ParseNestedName(text, "forums", "sessions", "name");
  if (nested.ok()) {
    FUZZ_CHECK(fr::domain::MakeName(
                   nested->parent,
                   fr::domain::MakeName("sessions", nested->id)) == text);
  } else {
    FUZZ_CHECK(nested.status().message().size() < 600) << nested.status();
  }
  FUZZ_CHECK(fr::domain::ValidateId(text, "id").ok() ==
             fr::domain::IsValidId(text));
  return 0;
}
