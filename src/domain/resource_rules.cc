#include "src/domain/resource_rules.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/domain/partial_date.h"
#include "src/domain/resource_name.h"
#include "src/domain/status_macros.h"
#include "src/domain/validation.h"

namespace forum_registry::domain {
namespace {

using forumregistry::v1::ActionPlan;
using forumregistry::v1::Chairmanship;
using forumregistry::v1::Forum;
using forumregistry::v1::Membership;
using forumregistry::v1::Participant;
using forumregistry::v1::Session;
using forumregistry::v1::Source;
using forumregistry::v1::Statement;

constexpr int kMaxTopics = 100;
constexpr int kMaxInitiators = 100;
constexpr int kMaxRoles = 100;
constexpr int kMaxChairs = 10;
constexpr int kMaxSessionParticipants = 200;
constexpr int kMaxPlanForums = 20;
constexpr int kMaxParties = 100;
constexpr int kMaxPlanItems = 500;
constexpr int kMaxFacts = 200;
constexpr int kMaxFactSubjects = 20;

constexpr TextRule kDescription = {.max_chars = 10000};
constexpr TextRule kTopic = {.required = true, .max_chars = 200};

absl::Status CheckEnum(bool valid, bool required_set, absl::string_view field) {
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": is not a known value"));
  }
  if (!required_set) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
  }
  return absl::OkStatus();
}

absl::Status CheckKnown(bool valid, absl::string_view field) {
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": is not a known value"));
  }
  return absl::OkStatus();
}

absl::Status CheckFinite(double value, absl::string_view field) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be a finite number"));
  }
  return absl::OkStatus();
}

absl::Status CheckOptionalDate(bool present,
                               const forumregistry::v1::PartialDate& date,
                               absl::string_view field) {
  if (!present || IsEmpty(date)) return absl::OkStatus();
  return ValidatePartialDate(date, field);
}

}  // namespace

absl::Status ValidateForum(const Forum& forum, absl::string_view field) {
  const auto at = [&](absl::string_view sub) {
    return absl::StrCat(field, ".", sub);
  };
  FR_RETURN_IF_ERROR(
      CheckEnum(forumregistry::v1::ForumKind_IsValid(forum.kind()),
                forum.kind() != 0, at("kind")));
  FR_RETURN_IF_ERROR(CheckText(forum.display_name(), at("display_name"),
                               {.required = true, .max_chars = 300}));
  FR_RETURN_IF_ERROR(CheckNames(forum.names(), at("names")));
  FR_RETURN_IF_ERROR(ValidateName(forum.parent(), "forums", at("parent"),
                                  /*required=*/false));
  if (!forum.name().empty() && forum.parent() == forum.name()) {
    return absl::InvalidArgumentError(
        absl::StrCat(at("parent"), ": a forum cannot be its own parent"));
  }
  FR_RETURN_IF_ERROR(
      CheckOptionalDate(forum.has_founded(), forum.founded(), at("founded")));
  FR_RETURN_IF_ERROR(CheckOptionalDate(forum.has_dissolved(), forum.dissolved(),
                                       at("dissolved")));
  if (forum.has_founded() && !IsEmpty(forum.founded()) &&
      forum.has_dissolved() && !IsEmpty(forum.dissolved()) &&
      *CoveredDays(forum.dissolved()).last <
          *CoveredDays(forum.founded()).first) {
    return absl::InvalidArgumentError(absl::StrCat(
        at("dissolved"), ": ", FormatPartialDate(forum.dissolved()),
        " is before founded ", FormatPartialDate(forum.founded())));
  }
  FR_RETURN_IF_ERROR(CheckReferences(forum.initiated_by(), "participants",
                                     at("initiated_by"), kMaxInitiators));
  if (!forumregistry::v1::MeetingLevel_IsValid(forum.meeting_level())) {
    return absl::InvalidArgumentError(
        absl::StrCat(at("meeting_level"), ": is not a known value"));
  }
  if (!forumregistry::v1::Cadence_IsValid(forum.cadence())) {
    return absl::InvalidArgumentError(
        absl::StrCat(at("cadence"), ": is not a known value"));
  }
  if (!forumregistry::v1::ForumStatus_IsValid(forum.status())) {
    return absl::InvalidArgumentError(
        absl::StrCat(at("status"), ": is not a known value"));
  }
  FR_RETURN_IF_ERROR(
      CheckText(forum.description(), at("description"), {.max_chars = 10000}));
  FR_RETURN_IF_ERROR(
      CheckMaxItems(forum.topics_size(), kMaxTopics, at("topics")));
  for (int i = 0; i < forum.topics_size(); ++i) {
    FR_RETURN_IF_ERROR(CheckText(forum.topics(i), Indexed(at("topics"), i),
                                 {.required = true, .max_chars = 200}));
  }
  FR_RETURN_IF_ERROR(
      CheckExternalIds(forum.external_ids(), at("external_ids")));
  FR_RETURN_IF_ERROR(CheckCitations(forum.citations(), at("citations")));
  return absl::OkStatus();
}

void NormalizeForum(Forum* forum) {
  if (forum->status() == forumregistry::v1::FORUM_STATUS_UNSPECIFIED) {
    forum->set_status(forumregistry::v1::FORUM_STATUS_ACTIVE);
  }
}

absl::Status ValidateParticipant(const Participant& participant,
                                 absl::string_view field) {
  const auto at = [&](absl::string_view sub) {
    return absl::StrCat(field, ".", sub);
  };
  FR_RETURN_IF_ERROR(
      CheckEnum(forumregistry::v1::ParticipantKind_IsValid(participant.kind()),
                participant.kind() != 0, at("kind")));
  FR_RETURN_IF_ERROR(CheckText(participant.display_name(), at("display_name"),
                               {.required = true, .max_chars = 300}));
  FR_RETURN_IF_ERROR(CheckNames(participant.names(), at("names")));
  FR_RETURN_IF_ERROR(
      CheckMaxItems(participant.roles_size(), kMaxRoles, at("roles")));
  for (int i = 0; i < participant.roles_size(); ++i) {
    const auto& role = participant.roles(i);
    const std::string role_at = Indexed(at("roles"), i);
    FR_RETURN_IF_ERROR(CheckText(role.title(), absl::StrCat(role_at, ".title"),
                                 {.required = true, .max_chars = 300}));
    FR_RETURN_IF_ERROR(ValidateName(role.of(), "participants",
                                    absl::StrCat(role_at, ".of"),
                                    /*required=*/false));
    if (role.has_period()) {
      FR_RETURN_IF_ERROR(
          ValidatePeriod(role.period(), absl::StrCat(role_at, ".period")));
    }
  }
  FR_RETURN_IF_ERROR(ValidateName(participant.affiliation(), "participants",
                                  at("affiliation"), /*required=*/false));
  if (!participant.name().empty() &&
      participant.affiliation() == participant.name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        at("affiliation"), ": a participant cannot be affiliated to itself"));
  }
  FR_RETURN_IF_ERROR(CheckText(participant.description(), at("description"),
                               {.max_chars = 10000}));
  FR_RETURN_IF_ERROR(
      CheckExternalIds(participant.external_ids(), at("external_ids")));
  FR_RETURN_IF_ERROR(CheckCitations(participant.citations(), at("citations")));
  return absl::OkStatus();
}

void NormalizeSession(Session* session) {
  if (session->kind() == forumregistry::v1::SESSION_KIND_UNSPECIFIED) {
    session->set_kind(forumregistry::v1::SESSION_KIND_MEETING);
  }
  if (session->status() == forumregistry::v1::SESSION_STATUS_UNSPECIFIED) {
    session->set_status(forumregistry::v1::SESSION_STATUS_HELD);
  }
  for (auto& participant : *session->mutable_participants()) {
    if (participant.role() == forumregistry::v1::SESSION_ROLE_UNSPECIFIED) {
      participant.set_role(forumregistry::v1::SESSION_ROLE_PARTICIPANT);
    }
  }
}

void NormalizeChairmanship(Chairmanship* chairmanship) {
  if (chairmanship->status() ==
      forumregistry::v1::CHAIRMANSHIP_STATUS_UNSPECIFIED) {
    chairmanship->set_status(forumregistry::v1::CHAIRMANSHIP_STATUS_CURRENT);
  }
}

absl::Status ValidateMembership(const Membership& membership,
                                absl::string_view field) {
  const auto at = [&](absl::string_view sub) {
    return absl::StrCat(field, ".", sub);
  };
  FR_RETURN_IF_ERROR(
      CheckParticipantOrForumName(membership.member(), at("member")));
  if (!membership.name().empty()) {
    const absl::StatusOr<NestedName> own =
        ParseNestedName(membership.name(), "forums", "memberships", at("name"));
    if (own.ok() && own->parent == membership.member()) {
      return absl::InvalidArgumentError(
          absl::StrCat(at("member"), ": a forum cannot be a member of itself"));
    }
  }
  FR_RETURN_IF_ERROR(
      CheckEnum(forumregistry::v1::MembershipRole_IsValid(membership.role()),
                membership.role() != 0, at("role")));
  if (membership.has_period()) {
    FR_RETURN_IF_ERROR(ValidatePeriod(membership.period(), at("period")));
  }
  FR_RETURN_IF_ERROR(
      CheckText(membership.description(), at("description"), kDescription));
  FR_RETURN_IF_ERROR(CheckCitations(membership.citations(), at("citations")));
  FR_RETURN_IF_ERROR(
      CheckExternalIds(membership.external_ids(), at("external_ids")));
  return absl::OkStatus();
}

absl::Status ValidateChairmanship(const Chairmanship& chairmanship,
                                  absl::string_view field) {
  const auto at = [&](absl::string_view sub) {
    return absl::StrCat(field, ".", sub);
  };
  if (chairmanship.chairs_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(at("chairs"), ": is required"));
  }
  FR_RETURN_IF_ERROR(CheckReferences(chairmanship.chairs(), "participants",
                                     at("chairs"), kMaxChairs));
  if (!chairmanship.has_term()) {
    return absl::InvalidArgumentError(
        absl::StrCat(at("term"), ": is required"));
  }
  if (!chairmanship.term().has_start() ||
      IsEmpty(chairmanship.term().start())) {
    return absl::InvalidArgumentError(
        absl::StrCat(at("term.start"), ": is required"));
  }
  FR_RETURN_IF_ERROR(ValidatePeriod(chairmanship.term(), at("term")));
  FR_RETURN_IF_ERROR(ValidateNestedName(chairmanship.continues(), "forums",
                                        "chairmanships", at("continues"),
                                        /*required=*/false));
  if (!chairmanship.continues().empty() && !chairmanship.name().empty()) {
    const absl::StatusOr<NestedName> own = ParseNestedName(
        chairmanship.name(), "forums", "chairmanships", at("name"));
    if (own.ok()) {
      if (chairmanship.continues() == chairmanship.name()) {
        return absl::InvalidArgumentError(absl::StrCat(
            at("continues"), ": a chairmanship cannot continue itself"));
      }
      const absl::StatusOr<NestedName> continued = ParseNestedName(
          chairmanship.continues(), "forums", "chairmanships", at("continues"));
      if (continued.ok() && continued->parent != own->parent) {
        return absl::InvalidArgumentError(absl::StrCat(
            at("continues"), ": must be a chairmanship of the same forum, ",
            own->parent));
      }
    }
  }
  FR_RETURN_IF_ERROR(CheckKnown(
      forumregistry::v1::ChairmanshipStatus_IsValid(chairmanship.status()),
      at("status")));
  FR_RETURN_IF_ERROR(
      CheckText(chairmanship.description(), at("description"), kDescription));
  FR_RETURN_IF_ERROR(CheckCitations(chairmanship.citations(), at("citations")));
  FR_RETURN_IF_ERROR(
      CheckExternalIds(chairmanship.external_ids(), at("external_ids")));
  return absl::OkStatus();
}

absl::Status ValidateSession(const Session& session, absl::string_view field) {
  const auto at = [&](absl::string_view sub) {
    return absl::StrCat(field, ".", sub);
  };
  FR_RETURN_IF_ERROR(CheckText(session.display_name(), at("display_name"),
                               {.required = true, .max_chars = 300}));
  FR_RETURN_IF_ERROR(CheckKnown(
      forumregistry::v1::SessionKind_IsValid(session.kind()), at("kind")));
  if (session.ordinal() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(at("ordinal"), ": must not be negative"));
  }
  FR_RETURN_IF_ERROR(CheckKnown(
      forumregistry::v1::MeetingLevel_IsValid(session.level()), at("level")));
  FR_RETURN_IF_ERROR(ValidateNestedName(session.parent_session(), "forums",
                                        "sessions", at("parent_session"),
                                        /*required=*/false));
  if (!session.name().empty() && session.parent_session() == session.name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        at("parent_session"), ": a session cannot be its own parent session"));
  }
  if (!session.has_start_date() || IsEmpty(session.start_date())) {
    return absl::InvalidArgumentError(
        absl::StrCat(at("start_date"), ": is required"));
  }
  FR_RETURN_IF_ERROR(
      ValidatePartialDate(session.start_date(), at("start_date")));
  FR_RETURN_IF_ERROR(CheckOptionalDate(session.has_end_date(),
                                       session.end_date(), at("end_date")));
  if (session.has_end_date() && !IsEmpty(session.end_date()) &&
      *CoveredDays(session.end_date()).last <
          *CoveredDays(session.start_date()).first) {
    return absl::InvalidArgumentError(absl::StrCat(
        at("end_date"), ": ", FormatPartialDate(session.end_date()),
        " is before start_date ", FormatPartialDate(session.start_date())));
  }
  if (session.has_venue()) {
    const auto& venue = session.venue();
    FR_RETURN_IF_ERROR(
        CheckText(venue.city(), at("venue.city"), {.max_chars = 200}));
    FR_RETURN_IF_ERROR(ValidateName(venue.country(), "participants",
                                    at("venue.country"), /*required=*/false));
    FR_RETURN_IF_ERROR(
        CheckText(venue.site(), at("venue.site"), {.max_chars = 300}));
  }
  FR_RETURN_IF_ERROR(CheckKnown(
      forumregistry::v1::SessionMode_IsValid(session.mode()), at("mode")));
  FR_RETURN_IF_ERROR(
      CheckKnown(forumregistry::v1::SessionStatus_IsValid(session.status()),
                 at("status")));
  FR_RETURN_IF_ERROR(CheckMaxItems(session.participants_size(),
                                   kMaxSessionParticipants,
                                   at("participants")));
  std::set<absl::string_view> seen;
  for (int i = 0; i < session.participants_size(); ++i) {
    const auto& participant = session.participants(i);
    const std::string participant_at = Indexed(at("participants"), i);
    FR_RETURN_IF_ERROR(
        ValidateName(participant.participant(), "participants",
                     absl::StrCat(participant_at, ".participant")));
    FR_RETURN_IF_ERROR(
        CheckKnown(forumregistry::v1::SessionRole_IsValid(participant.role()),
                   absl::StrCat(participant_at, ".role")));
    FR_RETURN_IF_ERROR(ValidateName(
        participant.represented_by(), "participants",
        absl::StrCat(participant_at, ".represented_by"), /*required=*/false));
    if (!seen.insert(participant.participant()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(participant_at, ".participant: is listed twice"));
    }
  }
  FR_RETURN_IF_ERROR(
      CheckTexts(session.topics(), at("topics"), kMaxTopics, kTopic));
  FR_RETURN_IF_ERROR(
      CheckText(session.description(), at("description"), kDescription));
  FR_RETURN_IF_ERROR(CheckCitations(session.citations(), at("citations")));
  FR_RETURN_IF_ERROR(
      CheckExternalIds(session.external_ids(), at("external_ids")));
  return absl::OkStatus();
}

absl::Status ValidateActionPlan(const ActionPlan& action_plan,
                                absl::string_view field) {
  const auto at = [&](absl::string_view sub) {
    return absl::StrCat(field, ".", sub);
  };
  FR_RETURN_IF_ERROR(CheckText(action_plan.display_name(), at("display_name"),
                               {.required = true, .max_chars = 500}));
  FR_RETURN_IF_ERROR(CheckNames(action_plan.names(), at("names")));
  FR_RETURN_IF_ERROR(CheckReferences(action_plan.forums(), "forums",
                                     at("forums"), kMaxPlanForums));
  FR_RETURN_IF_ERROR(CheckReferences(action_plan.parties(), "participants",
                                     at("parties"), kMaxParties));
  if (action_plan.has_period()) {
    FR_RETURN_IF_ERROR(ValidatePeriod(action_plan.period(), at("period")));
  }
  FR_RETURN_IF_ERROR(CheckAdoption(action_plan.adoption(), at("adoption")));
  FR_RETURN_IF_ERROR(CheckEnum(
      forumregistry::v1::ActionPlanStatus_IsValid(action_plan.status()),
      action_plan.status() != 0, at("status")));
  FR_RETURN_IF_ERROR(CheckTexts(action_plan.priority_areas(),
                                at("priority_areas"), kMaxTopics, kTopic));
  FR_RETURN_IF_ERROR(CheckTexts(action_plan.items(), at("items"), kMaxPlanItems,
                                {.required = true, .max_chars = 2000}));
  FR_RETURN_IF_ERROR(ValidateName(action_plan.implements(), "actionPlans",
                                  at("implements"), /*required=*/false));
  if (!action_plan.name().empty() &&
      action_plan.implements() == action_plan.name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        at("implements"), ": an action plan cannot implement itself"));
  }
  FR_RETURN_IF_ERROR(
      CheckText(action_plan.description(), at("description"), kDescription));
  FR_RETURN_IF_ERROR(CheckCitations(action_plan.citations(), at("citations")));
  FR_RETURN_IF_ERROR(
      CheckExternalIds(action_plan.external_ids(), at("external_ids")));
  return absl::OkStatus();
}

absl::Status ValidateStatement(const Statement& statement,
                               absl::string_view field) {
  const auto at = [&](absl::string_view sub) {
    return absl::StrCat(field, ".", sub);
  };
  FR_RETURN_IF_ERROR(CheckText(statement.display_name(), at("display_name"),
                               {.required = true, .max_chars = 500}));
  FR_RETURN_IF_ERROR(CheckNames(statement.names(), at("names")));
  FR_RETURN_IF_ERROR(
      CheckEnum(forumregistry::v1::StatementKind_IsValid(statement.kind()),
                statement.kind() != 0, at("kind")));
  FR_RETURN_IF_ERROR(ValidateName(statement.forum(), "forums", at("forum"),
                                  /*required=*/false));
  FR_RETURN_IF_ERROR(CheckAdoption(statement.adoption(), at("adoption")));
  FR_RETURN_IF_ERROR(CheckReferences(statement.initiated_by(), "participants",
                                     at("initiated_by"), kMaxInitiators));
  FR_RETURN_IF_ERROR(
      CheckEnum(forumregistry::v1::StatementStatus_IsValid(statement.status()),
                statement.status() != 0, at("status")));
  FR_RETURN_IF_ERROR(
      CheckTexts(statement.topics(), at("topics"), kMaxTopics, kTopic));
  FR_RETURN_IF_ERROR(
      CheckText(statement.summary(), at("summary"), {.max_chars = 10000}));
  FR_RETURN_IF_ERROR(
      CheckText(statement.text(), at("text"), {.max_chars = 1000000}));
  FR_RETURN_IF_ERROR(CheckCitations(statement.citations(), at("citations")));
  FR_RETURN_IF_ERROR(
      CheckExternalIds(statement.external_ids(), at("external_ids")));
  return absl::OkStatus();
}

absl::Status ValidateSource(const Source& source, absl::string_view field) {
  const auto at = [&](absl::string_view sub) {
    return absl::StrCat(field, ".", sub);
  };
  FR_RETURN_IF_ERROR(CheckText(source.display_name(), at("display_name"),
                               {.required = true, .max_chars = 1000}));
  FR_RETURN_IF_ERROR(ValidateName(source.publisher(), "participants",
                                  at("publisher"), /*required=*/false));
  FR_RETURN_IF_ERROR(CheckText(source.document_number(), at("document_number"),
                               {.max_chars = 100}));
  FR_RETURN_IF_ERROR(CheckOptionalDate(
      source.has_publish_date(), source.publish_date(), at("publish_date")));
  FR_RETURN_IF_ERROR(CheckText(source.uri(), at("uri"), {.max_chars = 2000}));
  if (!source.uri().empty()) {
    const absl::string_view uri = source.uri();
    const bool http = absl::StartsWith(uri, "http://") && uri.size() > 7;
    const bool https = absl::StartsWith(uri, "https://") && uri.size() > 8;
    if (!http && !https) {
      return absl::InvalidArgumentError(
          absl::StrCat(at("uri"), ": must be an http:// or https:// address"));
    }
    for (char c : uri) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(
            absl::StrCat(at("uri"), ": must not contain whitespace"));
      }
    }
  }
  FR_RETURN_IF_ERROR(CheckLanguage(source.language(), at("language")));
  FR_RETURN_IF_ERROR(
      CheckMaxItems(source.facts_size(), kMaxFacts, at("facts")));
  for (int i = 0; i < source.facts_size(); ++i) {
    const auto& fact = source.facts(i);
    const std::string fact_at = Indexed(at("facts"), i);
    const auto in_fact = [&](absl::string_view sub) {
      return absl::StrCat(fact_at, ".", sub);
    };
    FR_RETURN_IF_ERROR(CheckParticipantOrForumReferences(
        fact.subjects(), in_fact("subjects"), kMaxFactSubjects));
    FR_RETURN_IF_ERROR(CheckText(fact.metric(), in_fact("metric"),
                                 {.required = true, .max_chars = 200}));
    if (fact.has_period()) {
      FR_RETURN_IF_ERROR(ValidatePeriod(fact.period(), in_fact("period")));
    }
    FR_RETURN_IF_ERROR(CheckFinite(fact.value(), in_fact("value")));
    FR_RETURN_IF_ERROR(
        CheckText(fact.unit(), in_fact("unit"), {.max_chars = 50}));
    FR_RETURN_IF_ERROR(CheckFinite(fact.change(), in_fact("change")));
    FR_RETURN_IF_ERROR(CheckText(fact.change_unit(), in_fact("change_unit"),
                                 {.max_chars = 50}));
    FR_RETURN_IF_ERROR(
        CheckText(fact.excerpt(), in_fact("excerpt"), {.max_chars = 5000}));
  }
  FR_RETURN_IF_ERROR(
      CheckText(source.description(), at("description"), kDescription));
  FR_RETURN_IF_ERROR(
      CheckExternalIds(source.external_ids(), at("external_ids")));
  return absl::OkStatus();
}

}  // namespace forum_registry::domain
