#ifndef FORUM_REGISTRY_DOMAIN_RULES_TEST_SUPPORT_H_
#define FORUM_REGISTRY_DOMAIN_RULES_TEST_SUPPORT_H_

// What the unit tests of resource_rules.cc (the *_rules_test.cc files beside
// it) share: text of a given length in code points, a check that a status is
// INVALID_ARGUMENT naming a field, and the parts several kinds of record have
// in common (partial dates, citations, external ids). Header-only: every
// function is inline.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "forumregistry/v1/common.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "gtest/gtest.h"

namespace forum_registry::domain::rules_test {

// `count` Cyrillic letters: 2 * `count` bytes of UTF-8, `count` code points.
inline std::string Cyrillic(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += "д";
  return out;
}

inline std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

// Expects INVALID_ARGUMENT whose message starts with `prefix`.
inline void ExpectInvalid(const absl::Status& status,
                          absl::string_view prefix) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(Message(status), ::testing::StartsWith(std::string(prefix)))
      << status;
}

inline void SetDate(forumregistry::v1::PartialDate* date, int year,
                    int month = 0, int day = 0) {
  date->set_year(year);
  date->set_month(month);
  date->set_day(day);
}

inline void AddCitation(
    google::protobuf::RepeatedPtrField<forumregistry::v1::Citation>* citations,
    absl::string_view source) {
  auto* citation = citations->Add();
  citation->set_source(std::string(source));
  citation->set_excerpt("The meeting was held.");
  citation->set_locator("paragraph 1");
}

inline void AddExternalId(
    google::protobuf::RepeatedPtrField<forumregistry::v1::ExternalId>* ids,
    absl::string_view scheme, absl::string_view value) {
  auto* id = ids->Add();
  id->set_scheme(std::string(scheme));
  id->set_value(std::string(value));
}

}  // namespace forum_registry::domain::rules_test

#endif  // FORUM_REGISTRY_DOMAIN_RULES_TEST_SUPPORT_H_
