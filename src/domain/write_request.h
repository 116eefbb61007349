#ifndef FORUM_REGISTRY_DOMAIN_WRITE_REQUEST_H_
#define FORUM_REGISTRY_DOMAIN_WRITE_REQUEST_H_

// What makes a write safe to retry and lossless across versions (issue 13):
// request ids (AIP-155), the fingerprint that tells a retry from another
// request reusing an id, and the refusal of records with fields this
// version cannot store.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace forum_registry::domain {

// A request id as the API takes it: empty (none), or a UUID in its textual
// form, 8-4-4-4-12 hex digits of either case, and not the nil UUID. Returns
// it in lower case; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::string> ParseRequestId(absl::string_view id,
                                           absl::string_view field);

// 32 bytes (SHA-256) that identify a write: the method's full name, the
// caller's identity and the request's deterministic encoding, which the
// caller makes without the request id itself.
std::string RequestFingerprint(absl::string_view method,
                               absl::string_view caller,
                               const google::protobuf::Message& request);

// FAILED_PRECONDITION if `record` (or a message inside it) carries fields
// this version of the program does not know — sent by a newer client — which
// it could not store and would silently drop. The message names where
// (`field`, then the path inside it) and the field numbers.
absl::Status CheckNoUnknownFields(const google::protobuf::Message& record,
                                  absl::string_view field);

// The same for an update, which stores only the top-level fields `names`
// (those its mask names): unknown fields elsewhere in `record` are not
// written, and so not refused.
absl::Status CheckNoUnknownFields(const google::protobuf::Message& record,
                                  absl::string_view field,
                                  const std::vector<std::string>& names);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_WRITE_REQUEST_H_
