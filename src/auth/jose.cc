#include "src/auth/jose.h"

#include <openssl/err.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"

namespace forum_registry::auth {

bool Base64UrlDecode(absl::string_view in, std::string* out) {
  if (in.size() % 4 == 1) return false;
  for (const char c : in) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_') {
      return false;
    }
  }
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(in, &decoded)) return false;
  std::string again;
  absl::WebSafeBase64Escape(decoded, &again);  // unpadded
  if (again != in) return false;
  *out = std::move(decoded);
  return true;
}

OpenSslErrorScope::OpenSslErrorScope() { ERR_clear_error(); }

OpenSslErrorScope::~OpenSslErrorScope() { ERR_clear_error(); }

}  // namespace forum_registry::auth
