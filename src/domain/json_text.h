#ifndef FORUM_REGISTRY_DOMAIN_JSON_TEXT_H_
#define FORUM_REGISTRY_DOMAIN_JSON_TEXT_H_

// Text inside JSON, for the places that write JSON by hand (the log's lines,
// the HTTP door's errors and query parameters) rather than through
// protobuf's JSON printer.

#include <string>

#include "absl/strings/string_view.h"

namespace forum_registry::domain {

// `text` as the inside of a JSON string (without the quotes): quotes,
// backslashes and control characters escaped, UTF-8 passed through.
std::string JsonEscape(absl::string_view text);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_JSON_TEXT_H_
