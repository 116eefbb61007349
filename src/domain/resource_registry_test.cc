// The registry is read off the protos' annotations; these tests hold the
// annotations, the entries and the Dataset message together, so that a kind
// added or changed in one place and not another fails here first.

#include "src/domain/resource_registry.h"

#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/dataset.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/statement.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace forum_registry::domain {
namespace {

namespace v1 = forumregistry::v1;
using filter::FieldType;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

const ResourceType& Kind(const google::protobuf::Descriptor* message) {
  const ResourceType* type = FindByMessage(message);
  if (type == nullptr) {
    ADD_FAILURE() << message->full_name() << " is not in the registry";
    return Resources().front();
  }
  return *type;
}

const FilterField* Filter(const ResourceType& type, const std::string& name) {
  for (const FilterField& field : type.filters) {
    if (field.spec.name == name) return &field;
  }
  return nullptr;
}

std::vector<std::string> Tables(const std::vector<const ResourceType*>& types) {
  std::vector<std::string> tables;
  for (const ResourceType* type : types) tables.push_back(type->table);
  return tables;
}

TEST(ResourceRegistry, HoldsEveryKindOfTheDatasetInItsOrder) {
  const google::protobuf::Descriptor* dataset = v1::Dataset::descriptor();
  ASSERT_EQ(static_cast<size_t>(dataset->field_count()), Resources().size());
  for (int i = 0; i < dataset->field_count(); ++i) {
    const ResourceType& type = Resources()[i];
    EXPECT_EQ(dataset->field(i)->name(), type.table);
    EXPECT_TRUE(dataset->field(i)->is_repeated());
    EXPECT_EQ(dataset->field(i)->message_type(), type.descriptor)
        << dataset->field(i)->name();
  }
}

TEST(ResourceRegistry, ReadsTypePatternAndNamesFromTheAnnotation) {
  const ResourceType& plan = Kind(v1::ActionPlan::descriptor());
  EXPECT_EQ(plan.type, "forumregistry.org/ActionPlan");
  EXPECT_EQ(plan.pattern, "actionPlans/{action_plan}");
  EXPECT_EQ(plan.singular, "actionPlan");
  EXPECT_EQ(plan.plural, "actionPlans");
  EXPECT_EQ(plan.collection, "actionPlans");
  EXPECT_EQ(plan.parent_collection, "");
  EXPECT_EQ(plan.parent, nullptr);
  EXPECT_EQ(plan.field, "action_plan");
  EXPECT_EQ(plan.id_field, "action_plan_id");
  EXPECT_EQ(plan.table, "action_plans");
  EXPECT_EQ(plan.label, "action plan");
  EXPECT_EQ(plan.service->full_name(), "forumregistry.v1.ActionPlanService");
}

TEST(ResourceRegistry, NestedKindsKnowTheirParentAndParentsTheirChildren) {
  const ResourceType& session = Kind(v1::Session::descriptor());
  EXPECT_EQ(session.collection, "sessions");
  EXPECT_EQ(session.parent_collection, "forums");
  ASSERT_NE(session.parent, nullptr);
  EXPECT_EQ(session.parent, &Kind(v1::Forum::descriptor()));
  EXPECT_THAT(Tables(Kind(v1::Forum::descriptor()).children),
              ElementsAre("memberships", "sessions", "chairmanships"));
  for (const ResourceType& type : Resources()) {
    if (type.descriptor != v1::Forum::descriptor()) {
      EXPECT_TRUE(type.children.empty()) << type.type;
    }
  }
}

TEST(ResourceRegistry, KindsReferredToByTypeHaveAReferencesTable) {
  std::set<std::string> referenced;
  for (const ResourceType& type : Resources()) {
    if (type.referenced) {
      referenced.insert(type.ReferencesTable());
    } else {
      EXPECT_EQ(type.ReferencesTable(), "") << type.type;
    }
  }
  EXPECT_THAT(referenced,
              UnorderedElementsAre("participant_references", "forum_references",
                                   "source_references", "session_references",
                                   "chairmanship_references",
                                   "action_plan_references"));
}

TEST(ResourceRegistry, FindsReferenceFieldsInNestedAndRepeatedMessages) {
  const ResourceType& session = Kind(v1::Session::descriptor());
  std::vector<std::string> paths;
  for (const ReferenceField& reference : session.references) {
    paths.push_back(reference.path + " " + reference.json_path + " " +
                    reference.type);
  }
  EXPECT_THAT(
      paths,
      ElementsAre(
          "parent_session $.parent_session forumregistry.org/Session",
          "venue.country $.venue.country forumregistry.org/Participant",
          "participants.participant $.participants[*].participant "
          "forumregistry.org/Participant",
          "participants.represented_by $.participants[*].represented_by "
          "forumregistry.org/Participant",
          "citations.source $.citations[*].source forumregistry.org/Source"));
}

TEST(ResourceRegistry, ServerSetFieldsAreTheIdentifierOutputOnlyAndEtag) {
  for (const ResourceType& type : Resources()) {
    std::set<std::string> server_set;
    std::set<std::string> identifiers;
    for (int i = 0; i < type.descriptor->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* field =
          type.descriptor->field(i);
      if (IsServerSet(field)) server_set.insert(field->name());
      if (IsIdentifier(field)) identifiers.insert(field->name());
    }
    EXPECT_THAT(server_set, UnorderedElementsAre("name", "etag", "create_time",
                                                 "update_time"))
        << type.type;
    EXPECT_THAT(identifiers, ElementsAre("name")) << type.type;
  }
  // Not in a message that is not a resource.
  EXPECT_FALSE(IsServerSet(
      v1::DeleteForumRequest::descriptor()->FindFieldByName("etag")));
}

TEST(ResourceRegistry, FilterTypesComeFromTheProtoFields) {
  const ResourceType& forum = Kind(v1::Forum::descriptor());
  ASSERT_NE(Filter(forum, "status"), nullptr);
  EXPECT_EQ(Filter(forum, "status")->spec.type, FieldType::kEnum);
  EXPECT_EQ(Filter(forum, "status")->spec.enum_type,
            v1::ForumStatus_descriptor());
  EXPECT_EQ(Filter(forum, "founded")->spec.type, FieldType::kDate);
  EXPECT_EQ(Filter(forum, "topics")->spec.type, FieldType::kStringList);
  EXPECT_EQ(Filter(forum, "names")->spec.type, FieldType::kNames);
  EXPECT_EQ(Filter(forum, "parent")->spec.type, FieldType::kReference);
  EXPECT_EQ(Filter(forum, "parent")->spec.collection, "forums");

  const ResourceType& session = Kind(v1::Session::descriptor());
  const FilterField* country = Filter(session, "venue.country");
  ASSERT_NE(country, nullptr);
  EXPECT_EQ(country->spec.type, FieldType::kReference);
  EXPECT_EQ(country->spec.collection, "participants");
  EXPECT_EQ(country->storage, Storage::kBody);
  const FilterField* participants = Filter(session, "participants");
  ASSERT_NE(participants, nullptr);
  EXPECT_EQ(participants->spec.type, FieldType::kStringList);
  EXPECT_TRUE(participants->through_repeated);
  EXPECT_EQ(participants->json_path, "$.participants[*].participant");
  EXPECT_EQ(Filter(session, "ordinal")->spec.type, FieldType::kInteger);
  EXPECT_EQ(Filter(session, "active_on")->spec.type, FieldType::kDay);
  // A nested kind's names are not of one collection: no prefix check.
  EXPECT_EQ(Filter(session, "parent_session")->spec.type,
            FieldType::kReference);
  EXPECT_EQ(Filter(session, "parent_session")->spec.collection, "");
  // The parent in the name.
  const FilterField* forum_of_session = Filter(session, "forum");
  ASSERT_NE(forum_of_session, nullptr);
  EXPECT_EQ(forum_of_session->spec.type, FieldType::kReference);
  EXPECT_EQ(forum_of_session->spec.collection, "forums");
  EXPECT_EQ(forum_of_session->location, "forum");

  // A reference to a participant or a forum ("*").
  const FilterField* member =
      Filter(Kind(v1::Membership::descriptor()), "member");
  ASSERT_NE(member, nullptr);
  EXPECT_EQ(member->spec.type, FieldType::kReference);
  EXPECT_EQ(member->spec.collection, "");

  const FilterField* adopted =
      Filter(Kind(v1::Statement::descriptor()), "adoption.date");
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(adopted->spec.type, FieldType::kDate);
  EXPECT_EQ(adopted->location, "adoption_date");
}

TEST(ResourceRegistry, SchemaIsTheFiltersInOrder) {
  for (const ResourceType& type : Resources()) {
    ASSERT_EQ(type.schema.size(), type.filters.size()) << type.type;
    for (size_t i = 0; i < type.schema.size(); ++i) {
      EXPECT_EQ(type.schema[i].name, type.filters[i].spec.name);
      if (type.schema[i].type == FieldType::kEnum) {
        EXPECT_NE(type.schema[i].enum_type, nullptr) << type.schema[i].name;
      }
    }
  }
}

TEST(ResourceRegistry, OrderByFieldsAreFiltersOrTimes) {
  for (const ResourceType& type : Resources()) {
    ASSERT_GE(type.order_by.size(), 2u);
    EXPECT_EQ(type.order_by[type.order_by.size() - 2], "create_time");
    EXPECT_EQ(type.order_by.back(), "update_time");
    for (size_t i = 0; i + 2 < type.order_by.size(); ++i) {
      EXPECT_NE(Filter(type, type.order_by[i]), nullptr)
          << type.type << " " << type.order_by[i];
    }
  }
}

TEST(ResourceRegistry, FindsKindsByTypeAndMessage) {
  EXPECT_EQ(FindByType("forumregistry.org/Statement"),
            FindByMessage(v1::Statement::descriptor()));
  EXPECT_EQ(FindByType("forumregistry.org/Nothing"), nullptr);
  EXPECT_EQ(FindByMessage(v1::Dataset::descriptor()), nullptr);
  EXPECT_EQ(FindByName("forums/arf/sessions/30"),
            FindByMessage(v1::Session::descriptor()));
  EXPECT_EQ(FindByName("actionPlans/x"),
            FindByMessage(v1::ActionPlan::descriptor()));
  EXPECT_EQ(FindByName("forums/arf"), FindByMessage(v1::Forum::descriptor()));
  EXPECT_EQ(FindByName("forums/arf/treaties/1"), nullptr);
  EXPECT_EQ(FindByName("sessions/30"), nullptr);
}

TEST(ResourceRegistry, EveryReferenceNamesAKnownTypeOrAny) {
  for (const ResourceType& type : Resources()) {
    for (const ReferenceField& reference : type.references) {
      EXPECT_TRUE(reference.type == "*" ||
                  FindByType(reference.type) != nullptr)
          << type.type << "." << reference.path << " -> " << reference.type;
    }
  }
}

// Where a string value stands in a record: a field of a message, and its
// index if the field is repeated (-1 otherwise).
struct Slot {
  google::protobuf::Message* message;
  const google::protobuf::FieldDescriptor* field;
  int index;
};

// Every non-empty value at the dotted path in `message`.
void SlotsAt(google::protobuf::Message* message, absl::string_view path,
             std::vector<Slot>* out) {
  const size_t dot = path.find('.');
  const std::string head(path.substr(0, dot));
  const auto* field = message->GetDescriptor()->FindFieldByName(head);
  ASSERT_NE(field, nullptr) << head;
  const auto* reflection = message->GetReflection();
  if (dot == absl::string_view::npos) {
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
        if (!reflection->GetRepeatedString(*message, field, i).empty()) {
          out->push_back({message, field, i});
        }
      }
    } else if (!reflection->GetString(*message, field).empty()) {
      out->push_back({message, field, -1});
    }
    return;
  }
  const absl::string_view rest = path.substr(dot + 1);
  if (field->is_repeated()) {
    for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
      SlotsAt(reflection->MutableRepeatedMessage(message, field, i), rest, out);
    }
  } else if (reflection->HasField(*message, field)) {
    SlotsAt(reflection->MutableMessage(message, field), rest, out);
  }
}

void Set(const Slot& slot, const std::string& value) {
  const auto* reflection = slot.message->GetReflection();
  if (slot.index < 0) {
    reflection->SetString(slot.message, slot.field, value);
  } else {
    reflection->SetRepeatedString(slot.message, slot.field, slot.index, value);
  }
}

std::string Get(const Slot& slot) {
  const auto* reflection = slot.message->GetReflection();
  return slot.index < 0 ? reflection->GetString(*slot.message, slot.field)
                        : reflection->GetRepeatedString(*slot.message,
                                                        slot.field, slot.index);
}

// The rules (resource_rules.cc) check the kind of each name a record holds;
// the annotations say which kind it must be. For every reference field of
// every kind that the seed data sets: the seed's value, a name of the
// annotated kind, passes the rules, and a well-formed name of another kind
// in its place is refused, naming the field. A field the seed never sets
// fails the test, so every annotated reference is held to its rule.
TEST(ResourceRegistry, RulesCheckEveryReferenceAgainstItsAnnotatedKind) {
  v1::Dataset seed;
  std::ifstream in(FR_SOURCE_DIR "/data/asean-2023.textproto");
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text.str(), &seed));
  const auto* seed_reflection = seed.GetReflection();
  for (const ResourceType& type : Resources()) {
    const auto* records =
        v1::Dataset::descriptor()->FindFieldByName(type.table);
    for (const ReferenceField& reference : type.references) {
      if (reference.type == "*") continue;
      SCOPED_TRACE(absl::StrCat(type.type, " ", reference.path));
      const ResourceType* target = FindByType(reference.type);
      ASSERT_NE(target, nullptr);
      // Any well-formed name of another kind.
      const std::string wrong = target->collection == "statements"
                                    ? "sources/not-a-statement"
                                    : "statements/not-a-" + target->field;
      bool exercised = false;
      for (int r = 0; r < seed_reflection->FieldSize(seed, records); ++r) {
        std::unique_ptr<google::protobuf::Message> record(
            seed_reflection->GetRepeatedMessage(seed, records, r).New());
        record->CopyFrom(seed_reflection->GetRepeatedMessage(seed, records, r));
        if (type.normalize) type.normalize(record.get());
        std::vector<Slot> slots;
        SlotsAt(record.get(), reference.path, &slots);
        if (slots.empty()) continue;
        exercised = true;
        const std::string value = Get(slots[0]);
        EXPECT_TRUE(absl::StartsWith(
            value,
            absl::StrCat(target->parent == nullptr ? target->collection
                                                   : target->parent_collection,
                         "/")))
            << value;
        EXPECT_TRUE(type.validate(*record, type.field).ok()) << value;
        Set(slots[0], wrong);
        const absl::Status refused = type.validate(*record, type.field);
        EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument)
            << wrong << " in " << reference.path << " was not refused";
        const std::string last(
            reference.path.substr(reference.path.rfind('.') + 1));
        EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr(last));
        break;
      }
      EXPECT_TRUE(exercised) << "no record of the seed sets " << reference.path;
    }
  }
}

}  // namespace
}  // namespace forum_registry::domain
