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

// A value a client sent, for an error message or a log line: escaped
// (absl::Utf8SafeCEscape: control characters and quotes, not letters) and
// cut after `max_bytes` bytes, at a character boundary, with "...", so that
// a huge value cannot make a huge message. Without quotes around it.
inline constexpr size_t kMaxQuotedBytes = 80;
std::string Quote(absl::string_view value, size_t max_bytes = kMaxQuotedBytes);

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

// An external id written as "scheme:value" ("wikidata:Q7768"), as filters
// and lookups take it: the scheme and the value as CheckExternalIds wants
// them in a record, but the scheme in any case ("Wikidata:Q7768").
absl::Status CheckExternalIdText(absl::string_view text,
                                 absl::string_view field);

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

// A BCP-47 language tag in the shape clients use: a 2-3 letter language, then
// subtags of 1-8 letters or digits ("en", "ru", "zh-Hant", "es-419"). An empty
// tag (language unknown) is allowed.
absl::Status CheckLanguage(absl::string_view tag, absl::string_view field);

// A name of either a participant or a forum: `participants/{id}` or
// `forums/{id}`. An empty name is allowed only when `required` is false.
absl::Status CheckParticipantOrForumName(absl::string_view name,
                                         absl::string_view field,
                                         bool required = true);

// A list of at most `max_items` names, each of a participant or a forum, none
// twice.
absl::Status CheckParticipantOrForumReferences(
    const google::protobuf::RepeatedPtrField<std::string>& names,
    absl::string_view field, int max_items);

// A list of at most `max_items` texts ("topics"), each checked by `rule`;
// errors name the item ("session.topics[3]").
absl::Status CheckTexts(
    const google::protobuf::RepeatedPtrField<std::string>& texts,
    absl::string_view field, int max_items, TextRule rule);

// An Adoption, whose fields are all optional: `session` a session name
// (`forums/{forum}/sessions/{session}`), `date` a valid partial date when set,
// `level` a known meeting level.
absl::Status CheckAdoption(const forumregistry::v1::Adoption& adoption,
                           absl::string_view field);

// `{field}[{index}]`.
std::string Indexed(absl::string_view field, int index);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_VALIDATION_H_
