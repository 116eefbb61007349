#ifndef FORUM_REGISTRY_DOMAIN_VALIDATION_H_
#define FORUM_REGISTRY_DOMAIN_VALIDATION_H_

// Field rules shared by every resource.
//
// Each check returns OK or INVALID_ARGUMENT whose message starts with the
// field path as a client wrote it ("forum.names[2].text") and then states the
// rule ("must be at most 500 characters"). The first rule broken is reported.
//
//   if (absl::Status s = CheckText(forum.display_name(), "forum.display_name",
//                                  {.required = true, .max_chars = 300});
//       !s.ok()) return s;

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "forumregistry/v1/common.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace forum_registry::domain {

struct TextRule {
  bool required = false;
  // Characters, that is Unicode code points, not bytes.
  size_t max_chars = 0;
};

// Length is counted in code points; the text must also not hold control
// characters other than tab, line feed and carriage return.
absl::Status CheckText(absl::string_view text, absl::string_view field,
                       TextRule rule);

absl::Status CheckMaxItems(int count, int max, absl::string_view field);

absl::Status CheckNames(
    const google::protobuf::RepeatedPtrField<forumregistry::v1::Name>& names,
    absl::string_view field);

absl::Status CheckExternalIds(const google::protobuf::RepeatedPtrField<
                                  forumregistry::v1::ExternalId>& ids,
                              absl::string_view field);

absl::Status CheckCitations(const google::protobuf::RepeatedPtrField<
                                forumregistry::v1::Citation>& citations,
                            absl::string_view field);

// A list of references to `collection`: each a valid name, none twice.
absl::Status CheckReferences(
    const google::protobuf::RepeatedPtrField<std::string>& names,
    absl::string_view collection, absl::string_view field, int max_items);

// `{field}[{index}]`.
std::string Indexed(absl::string_view field, int index);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_VALIDATION_H_
