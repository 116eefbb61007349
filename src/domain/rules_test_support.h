#ifndef FORUM_REGISTRY_DOMAIN_RULES_TEST_SUPPORT_H_
#define FORUM_REGISTRY_DOMAIN_RULES_TEST_SUPPORT_H_

// What the unit tests of resource_rules.cc (the *_rules_test.cc files beside
// it) share: text of a given length in code points, a check that a status is
// INVALID_ARGUMENT naming a field, the parts several kinds of record have in
// common (partial dates, citations, external ids), and the smallest valid
// record of each kind. Header-only: every function is inline.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "forumregistry/v1/statement.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
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

// The smallest valid record of each kind: what a test changes one field of.

inline forumregistry::v1::Participant MinimalParticipant() {
  forumregistry::v1::Participant participant;
  participant.set_kind(forumregistry::v1::PARTICIPANT_KIND_STATE);
  participant.set_display_name("Russia");
  return participant;
}

inline forumregistry::v1::Forum MinimalForum() {
  forumregistry::v1::Forum forum;
  forum.set_kind(forumregistry::v1::FORUM_KIND_MINISTERIAL);
  forum.set_display_name("ASEAN Regional Forum");
  return forum;
}

inline forumregistry::v1::Source MinimalSource() {
  forumregistry::v1::Source source;
  source.set_display_name("Chairman's Statement of the 30th ARF");
  return source;
}

inline forumregistry::v1::Membership MinimalMembership() {
  forumregistry::v1::Membership membership;
  membership.set_member("participants/russia");
  membership.set_role(forumregistry::v1::MEMBERSHIP_ROLE_MEMBER);
  return membership;
}

inline forumregistry::v1::Session MinimalSession() {
  forumregistry::v1::Session session;
  session.set_display_name("30th ASEAN Regional Forum");
  SetDate(session.mutable_start_date(), 2023, 7, 14);
  return session;
}

inline forumregistry::v1::Chairmanship MinimalChairmanship() {
  forumregistry::v1::Chairmanship chairmanship;
  chairmanship.add_chairs("participants/indonesia");
  SetDate(chairmanship.mutable_term()->mutable_start(), 2023);
  return chairmanship;
}

inline forumregistry::v1::ActionPlan MinimalActionPlan() {
  forumregistry::v1::ActionPlan plan;
  plan.set_display_name("ASEAN-Russia Energy Work Plan 2021-2025");
  plan.set_status(forumregistry::v1::ACTION_PLAN_STATUS_ADOPTED);
  return plan;
}

inline forumregistry::v1::Statement MinimalStatement() {
  forumregistry::v1::Statement statement;
  statement.set_display_name("Chairman's Statement of the 30th ARF");
  statement.set_kind(forumregistry::v1::STATEMENT_KIND_CHAIRS_STATEMENT);
  statement.set_status(forumregistry::v1::STATEMENT_STATUS_ADOPTED);
  return statement;
}

// The smallest valid record of the kind whose message is `message`; null
// for a message that is no kind's (a kind added to the registry needs its
// line here, and common_rules_test says so).
inline std::unique_ptr<google::protobuf::Message> MinimalRecord(
    const google::protobuf::Descriptor* message) {
  const auto of = [](const google::protobuf::Message& record) {
    std::unique_ptr<google::protobuf::Message> copy(record.New());
    copy->CopyFrom(record);
    return copy;
  };
  namespace v1 = forumregistry::v1;
  if (message == v1::Participant::descriptor()) return of(MinimalParticipant());
  if (message == v1::Forum::descriptor()) return of(MinimalForum());
  if (message == v1::Source::descriptor()) return of(MinimalSource());
  if (message == v1::Membership::descriptor()) return of(MinimalMembership());
  if (message == v1::Session::descriptor()) return of(MinimalSession());
  if (message == v1::Chairmanship::descriptor()) {
    return of(MinimalChairmanship());
  }
  if (message == v1::ActionPlan::descriptor()) return of(MinimalActionPlan());
  if (message == v1::Statement::descriptor()) return of(MinimalStatement());
  return nullptr;
}

}  // namespace forum_registry::domain::rules_test

#endif  // FORUM_REGISTRY_DOMAIN_RULES_TEST_SUPPORT_H_
