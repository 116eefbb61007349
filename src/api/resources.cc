#include "src/api/resources.h"

#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "forumregistry/v1/statement.pb.h"
#include "src/domain/resource_rules.h"

namespace forum_registry::api {
namespace {

namespace v1 = forumregistry::v1;
using domain::filter::FieldSpec;
using domain::filter::FieldType;
using google::protobuf::EnumDescriptor;
using google::protobuf::Message;

FieldSpec Field(std::string name, FieldType type) {
  return {.name = std::move(name), .type = type};
}
FieldSpec Enum(std::string name, const EnumDescriptor* type) {
  return {.name = std::move(name), .type = FieldType::kEnum, .enum_type = type};
}
FieldSpec Reference(std::string name, std::string collection = "") {
  return {.name = std::move(name),
          .type = FieldType::kReference,
          .collection = std::move(collection)};
}

// Adapts a typed rule to the Message interface of ResourceApi.
template <typename R>
std::function<absl::Status(const Message&, absl::string_view)> Rules(
    absl::Status (*validate)(const R&, absl::string_view)) {
  return [validate](const Message& m, absl::string_view field) {
    return validate(static_cast<const R&>(m), field);
  };
}

template <typename R>
std::function<void(Message*)> Defaults(void (*normalize)(R*)) {
  return [normalize](Message* m) { normalize(static_cast<R*>(m)); };
}

}  // namespace

ResourceApi ParticipantApi() {
  return {.collection = "participants",
          .field = "participant",
          .id_field = "participant_id",
          .validate = Rules(&domain::ValidateParticipant),
          .filter_fields = {Enum("kind", v1::ParticipantKind_descriptor()),
                            Field("display_name", FieldType::kString),
                            Field("names", FieldType::kNames),
                            Reference("affiliation", "participants")},
          .order_fields = {"display_name", "create_time", "update_time"}};
}

ResourceApi ForumApi() {
  return {
      .collection = "forums",
      .field = "forum",
      .id_field = "forum_id",
      .validate = Rules(&domain::ValidateForum),
      .normalize = Defaults(&domain::NormalizeForum),
      .filter_fields = {Enum("kind", v1::ForumKind_descriptor()),
                        Field("display_name", FieldType::kString),
                        Field("names", FieldType::kNames),
                        Reference("parent", "forums"),
                        Enum("status", v1::ForumStatus_descriptor()),
                        Enum("meeting_level", v1::MeetingLevel_descriptor()),
                        Enum("cadence", v1::Cadence_descriptor()),
                        Field("founded", FieldType::kDate),
                        Field("dissolved", FieldType::kDate),
                        Field("topics", FieldType::kStringList),
                        Field("initiated_by", FieldType::kStringList)},
      .order_fields = {"display_name", "founded", "create_time",
                       "update_time"}};
}

ResourceApi SourceApi() {
  return {.collection = "sources",
          .field = "source",
          .id_field = "source_id",
          .validate = Rules(&domain::ValidateSource),
          .filter_fields = {Field("display_name", FieldType::kString),
                            Reference("publisher", "participants"),
                            Field("document_number", FieldType::kString),
                            Field("language", FieldType::kString),
                            Field("publish_date", FieldType::kDate)},
          .order_fields = {"display_name", "publish_date", "create_time",
                           "update_time"}};
}

ResourceApi MembershipApi() {
  return {.parent_collection = "forums",
          .collection = "memberships",
          .field = "membership",
          .id_field = "membership_id",
          .validate = Rules(&domain::ValidateMembership),
          .filter_fields = {Reference("forum", "forums"), Reference("member"),
                            Enum("role", v1::MembershipRole_descriptor()),
                            Field("active_on", FieldType::kDay),
                            Field("period", FieldType::kDate)},
          .order_fields = {"period", "create_time", "update_time"}};
}

ResourceApi SessionApi() {
  return {.parent_collection = "forums",
          .collection = "sessions",
          .field = "session",
          .id_field = "session_id",
          .validate = Rules(&domain::ValidateSession),
          .normalize = Defaults(&domain::NormalizeSession),
          .filter_fields = {Reference("forum", "forums"),
                            Field("display_name", FieldType::kString),
                            Enum("kind", v1::SessionKind_descriptor()),
                            Field("ordinal", FieldType::kInteger),
                            Enum("level", v1::MeetingLevel_descriptor()),
                            Reference("parent_session"),
                            Field("start_date", FieldType::kDate),
                            Field("end_date", FieldType::kDate),
                            Field("active_on", FieldType::kDay),
                            Enum("mode", v1::SessionMode_descriptor()),
                            Enum("status", v1::SessionStatus_descriptor()),
                            Field("venue.city", FieldType::kString),
                            Reference("venue.country", "participants"),
                            Field("participants", FieldType::kStringList),
                            Field("topics", FieldType::kStringList)},
          .order_fields = {"start_date", "ordinal", "display_name",
                           "create_time", "update_time"}};
}

ResourceApi ChairmanshipApi() {
  return {.parent_collection = "forums",
          .collection = "chairmanships",
          .field = "chairmanship",
          .id_field = "chairmanship_id",
          .validate = Rules(&domain::ValidateChairmanship),
          .normalize = Defaults(&domain::NormalizeChairmanship),
          .filter_fields = {Reference("forum", "forums"),
                            Field("chairs", FieldType::kStringList),
                            Field("active_on", FieldType::kDay),
                            Field("term", FieldType::kDate),
                            Enum("status", v1::ChairmanshipStatus_descriptor()),
                            Reference("continues")},
          .order_fields = {"term", "create_time", "update_time"}};
}

ResourceApi ActionPlanApi() {
  return {.collection = "actionPlans",
          .field = "action_plan",
          .id_field = "action_plan_id",
          .validate = Rules(&domain::ValidateActionPlan),
          .filter_fields = {Field("display_name", FieldType::kString),
                            Field("names", FieldType::kNames),
                            Enum("status", v1::ActionPlanStatus_descriptor()),
                            Field("forums", FieldType::kStringList),
                            Field("parties", FieldType::kStringList),
                            Field("active_on", FieldType::kDay),
                            Field("period", FieldType::kDate),
                            Field("start_date", FieldType::kDate),
                            Field("end_date", FieldType::kDate),
                            Field("adoption.date", FieldType::kDate),
                            Reference("adoption.session"),
                            Reference("implements", "actionPlans"),
                            Field("priority_areas", FieldType::kStringList)},
          .order_fields = {"display_name", "start_date", "end_date",
                           "adoption.date", "create_time", "update_time"}};
}

ResourceApi StatementApi() {
  return {.collection = "statements",
          .field = "statement",
          .id_field = "statement_id",
          .validate = Rules(&domain::ValidateStatement),
          .filter_fields = {Field("display_name", FieldType::kString),
                            Field("names", FieldType::kNames),
                            Enum("kind", v1::StatementKind_descriptor()),
                            Enum("status", v1::StatementStatus_descriptor()),
                            Reference("forum", "forums"),
                            Field("adoption.date", FieldType::kDate),
                            Reference("adoption.session"),
                            Field("initiated_by", FieldType::kStringList),
                            Field("topics", FieldType::kStringList)},
          .order_fields = {"display_name", "adoption.date", "create_time",
                           "update_time"}};
}

}  // namespace forum_registry::api
