#ifndef FORUM_REGISTRY_DOMAIN_UPDATE_MASK_H_
#define FORUM_REGISTRY_DOMAIN_UPDATE_MASK_H_

// Applying an Update request's field mask (AIP-134) and etags (AIP-154).
//
// The mask names the fields to change, as proto field names ("display_name",
// "founded.month") or camelCase JSON names as grpcurl sends them; `*` means
// every writable field. Fields named in the mask take the request's value —
// an absent one clears the field; repeated fields are replaced whole. Fields
// the server sets (domain::IsServerSet: name, etag, create_time, update_time,
// as their annotations say) in a mask are ignored, as AIP-203 asks. A path
// that names no field is INVALID_ARGUMENT.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"

namespace forum_registry::domain {

// Copies the fields named by `mask` from `patch` into `target`, which must be
// of the same type. On error `target` is unchanged.
absl::Status ApplyUpdateMask(const google::protobuf::FieldMask& mask,
                             const google::protobuf::Message& patch,
                             google::protobuf::Message* target);

// The top-level fields `mask` names, as proto field names, in the same
// reading as ApplyUpdateMask ("displayName" and "founded.month" name
// "display_name" and "founded"); nullopt when it names `*`, every field.
std::optional<std::vector<std::string>> MaskedFields(
    const google::protobuf::FieldMask& mask);

// The etag of the stored version `version` of the incarnation of a record
// created at `create_micros` (microseconds since the epoch):
// "v3.5f2a9c0e1b2d0". The incarnation makes it unique: a record deleted and
// created again restarts at version 1, and a stale etag of the one deleted must
// not match. Without a known incarnation (0: changes logged before migration
// 0008), "v3".
std::string FormatEtag(int64_t version, int64_t create_micros);

// OK if `given` is empty or is FormatEtag(version, create_micros); ABORTED
// otherwise.
absl::Status CheckEtag(absl::string_view given, int64_t version,
                       int64_t create_micros, absl::string_view resource_name);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_UPDATE_MASK_H_
