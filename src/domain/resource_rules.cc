#include "src/domain/resource_rules.h"

#include "absl/strings/str_cat.h"
#include "src/domain/partial_date.h"
#include "src/domain/resource_name.h"
#include "src/domain/status_macros.h"
#include "src/domain/validation.h"

namespace forum_registry::domain {
namespace {

using forumregistry::v1::Forum;
using forumregistry::v1::Participant;

constexpr int kMaxTopics = 100;
constexpr int kMaxInitiators = 100;
constexpr int kMaxRoles = 100;

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

}  // namespace forum_registry::domain
