// Page tokens as a client may send them. Properties: only tokens signed
// with the key decode; a token that decodes is the one canonical spelling
// (encoding what it carries gives it back); errors name `page_token`.

#include <cstdint>

#include "fuzz/fuzz_check.h"
#include "src/domain/page_token.h"

namespace fr = forum_registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fr::domain::PageTokens kTokens("the key of the fuzz target..");
  const std::string token = fr::fuzz::Text(data, size);
  const std::string fingerprint =
      fr::domain::QueryFingerprint({"forums", "", "name"});
  const auto key = kTokens.Decode(token, fingerprint);
  if (!key.ok()) {
    FUZZ_CHECK(key.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(std::string(key.status().message()).rfind("page_token: ", 0) ==
               0)
        << key.status();
    // Anything may also be a sort key: it must survive a round trip.
    const std::string made = kTokens.Encode(fingerprint, {token, "x"});
    const auto back = kTokens.DecodeKey(made, fingerprint, 2);
    FUZZ_CHECK(back.ok() && (*back)[0] == token && (*back)[1] == "x");
    return 0;
  }
  FUZZ_CHECK(kTokens.Encode(fingerprint, *key) == token)
      << "a token that decodes is the canonical spelling";
  return 0;
}
