#include "src/domain/validation.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/domain/partial_date.h"
#include "src/domain/resource_name.h"

namespace forum_registry::domain {

std::string Quote(absl::string_view value, size_t max_bytes) {
  if (value.size() <= max_bytes) return absl::Utf8SafeCEscape(value);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return absl::StrCat(absl::Utf8SafeCEscape(value.substr(0, cut)), "...");
}
namespace {

constexpr int kMaxNames = 100;
constexpr int kMaxExternalIds = 50;
constexpr int kMaxCitations = 100;

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

// BCP-47 in the shape clients use: a 2-3 letter language, then subtags of
// 1-8 letters or digits ("en", "ru", "zh-Hant", "id-ID").
bool IsLanguageTag(absl::string_view tag) {
  const std::vector<absl::string_view> parts = absl::StrSplit(tag, '-');
  if (parts[0].size() < 2 || parts[0].size() > 3) return false;
  for (char c : parts[0]) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty() || parts[i].size() > 8) return false;
    for (char c : parts[i]) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
    }
  }
  return true;
}

bool IsScheme(absl::string_view scheme) {
  if (scheme.empty() || scheme.size() > 32) return false;
  if (!absl::ascii_islower(static_cast<unsigned char>(scheme[0]))) return false;
  for (char c : scheme) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_islower(u) && !absl::ascii_isdigit(u) && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string Indexed(absl::string_view field, int index) {
  return absl::StrCat(field, "[", index, "]");
}

absl::Status CheckText(absl::string_view text, absl::string_view field,
                       TextRule rule) {
  if (text.empty()) {
    return rule.required ? Invalid(field, "is required") : absl::OkStatus();
  }
  size_t chars = 0;
  for (unsigned char c : text) {
    // Count code points: every byte that does not continue a UTF-8 sequence.
    if ((c & 0xC0) != 0x80) ++chars;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return Invalid(field, "must not contain control characters");
    }
  }
  if (rule.max_chars > 0 && chars > rule.max_chars) {
    return Invalid(field, absl::StrCat("must be at most ", rule.max_chars,
                                       " characters, got ", chars));
  }
  return absl::OkStatus();
}

absl::Status CheckMaxItems(int count, int max, absl::string_view field) {
  if (count > max) {
    return Invalid(
        field, absl::StrCat("must have at most ", max, " items, got ", count));
  }
  return absl::OkStatus();
}

absl::Status CheckNames(
    const google::protobuf::RepeatedPtrField<forumregistry::v1::Name>& names,
    absl::string_view field) {
  if (absl::Status s = CheckMaxItems(names.size(), kMaxNames, field); !s.ok()) {
    return s;
  }
  for (int i = 0; i < names.size(); ++i) {
    const forumregistry::v1::Name& name = names[i];
    const std::string at = Indexed(field, i);
    if (absl::Status s = CheckText(name.text(), absl::StrCat(at, ".text"),
                                   {.required = true, .max_chars = 500});
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            CheckLanguage(name.language(), absl::StrCat(at, ".language"));
        !s.ok()) {
      return s;
    }
    if (!forumregistry::v1::NameKind_IsValid(name.kind())) {
      return Invalid(absl::StrCat(at, ".kind"), "is not a known name kind");
    }
    if (name.has_validity()) {
      if (absl::Status s =
              ValidatePeriod(name.validity(), absl::StrCat(at, ".validity"));
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckExternalIds(const google::protobuf::RepeatedPtrField<
                                  forumregistry::v1::ExternalId>& ids,
                              absl::string_view field) {
  if (absl::Status s = CheckMaxItems(ids.size(), kMaxExternalIds, field);
      !s.ok()) {
    return s;
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < ids.size(); ++i) {
    const std::string at = Indexed(field, i);
    if (!IsScheme(ids[i].scheme())) {
      return Invalid(absl::StrCat(at, ".scheme"),
                     "must be a lower-case token of letters, digits and "
                     "hyphens, at most 32 characters, such as \"wikidata\"");
    }
    if (absl::Status s = CheckText(ids[i].value(), absl::StrCat(at, ".value"),
                                   {.required = true, .max_chars = 200});
        !s.ok()) {
      return s;
    }
    if (!seen.emplace(ids[i].scheme(), ids[i].value()).second) {
      return Invalid(at, "is listed twice");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckExternalIdText(absl::string_view text,
                                 absl::string_view field) {
  const size_t colon = text.find(':');
  // Schemes are compared ignoring case, as values are.
  if (colon == absl::string_view::npos ||
      !IsScheme(absl::AsciiStrToLower(text.substr(0, colon)))) {
    return Invalid(
        field,
        absl::StrCat(
            "\"", Quote(text),
            "\" is not an external id: write "
            "\"scheme:value\", with a lower-case scheme of letters, digits and "
            "hyphens, such as \"wikidata:Q7768\""));
  }
  return CheckText(text.substr(colon + 1), field,
                   {.required = true, .max_chars = 200});
}

absl::Status CheckCitations(const google::protobuf::RepeatedPtrField<
                                forumregistry::v1::Citation>& citations,
                            absl::string_view field) {
  if (absl::Status s = CheckMaxItems(citations.size(), kMaxCitations, field);
      !s.ok()) {
    return s;
  }
  for (int i = 0; i < citations.size(); ++i) {
    const std::string at = Indexed(field, i);
    if (absl::Status s = ValidateName(citations[i].source(), "sources",
                                      absl::StrCat(at, ".source"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            CheckText(citations[i].excerpt(), absl::StrCat(at, ".excerpt"),
                      {.max_chars = 5000});
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            CheckText(citations[i].locator(), absl::StrCat(at, ".locator"),
                      {.max_chars = 200});
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckReferences(
    const google::protobuf::RepeatedPtrField<std::string>& names,
    absl::string_view collection, absl::string_view field, int max_items) {
  if (absl::Status s = CheckMaxItems(names.size(), max_items, field); !s.ok()) {
    return s;
  }
  std::set<absl::string_view> seen;
  for (int i = 0; i < names.size(); ++i) {
    const std::string at = Indexed(field, i);
    if (absl::Status s = ValidateName(names[i], collection, at); !s.ok()) {
      return s;
    }
    if (!seen.insert(names[i]).second) return Invalid(at, "is listed twice");
  }
  return absl::OkStatus();
}

absl::Status CheckLanguage(absl::string_view tag, absl::string_view field) {
  if (tag.empty() || IsLanguageTag(tag)) return absl::OkStatus();
  return Invalid(field,
                 "must be a BCP-47 language tag such as \"en\" or \"ru\"");
}

absl::Status CheckParticipantOrForumName(absl::string_view name,
                                         absl::string_view field,
                                         bool required) {
  if (name.empty()) {
    return required ? Invalid(field, "is required") : absl::OkStatus();
  }
  absl::string_view id = name;
  if ((absl::ConsumePrefix(&id, "participants/") ||
       absl::ConsumePrefix(&id, "forums/")) &&
      IsValidId(id)) {
    return absl::OkStatus();
  }
  return Invalid(field,
                 absl::StrCat("\"", Quote(name),
                              "\" is not a valid name: use participants/{id} "
                              "or forums/{id} where the id is 1 to 63 "
                              "lower-case letters, digits and hyphens"));
}

absl::Status CheckParticipantOrForumReferences(
    const google::protobuf::RepeatedPtrField<std::string>& names,
    absl::string_view field, int max_items) {
  if (absl::Status s = CheckMaxItems(names.size(), max_items, field); !s.ok()) {
    return s;
  }
  std::set<absl::string_view> seen;
  for (int i = 0; i < names.size(); ++i) {
    const std::string at = Indexed(field, i);
    if (absl::Status s = CheckParticipantOrForumName(names[i], at); !s.ok()) {
      return s;
    }
    if (!seen.insert(names[i]).second) return Invalid(at, "is listed twice");
  }
  return absl::OkStatus();
}

absl::Status CheckTexts(
    const google::protobuf::RepeatedPtrField<std::string>& texts,
    absl::string_view field, int max_items, TextRule rule) {
  if (absl::Status s = CheckMaxItems(texts.size(), max_items, field); !s.ok()) {
    return s;
  }
  for (int i = 0; i < texts.size(); ++i) {
    if (absl::Status s = CheckText(texts[i], Indexed(field, i), rule);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAdoption(const forumregistry::v1::Adoption& adoption,
                           absl::string_view field) {
  if (absl::Status s =
          ValidateNestedName(adoption.session(), "forums", "sessions",
                             absl::StrCat(field, ".session"),
                             /*required=*/false);
      !s.ok()) {
    return s;
  }
  if (adoption.has_date() && !IsEmpty(adoption.date())) {
    if (absl::Status s =
            ValidatePartialDate(adoption.date(), absl::StrCat(field, ".date"));
        !s.ok()) {
      return s;
    }
  }
  if (!forumregistry::v1::MeetingLevel_IsValid(adoption.level())) {
    return Invalid(absl::StrCat(field, ".level"), "is not a known value");
  }
  return absl::OkStatus();
}

}  // namespace forum_registry::domain
