#ifndef FORUM_REGISTRY_DOMAIN_RESOURCE_REGISTRY_H_
#define FORUM_REGISTRY_DOMAIN_RESOURCE_REGISTRY_H_

// The resource registry: every kind of record the API serves, once.
//
// What a kind *is* comes from its proto: `google.api.resource` gives its type,
// name pattern, singular and plural; `google.api.field_behavior` which fields
// the server sets; `google.api.resource_reference` which fields name other
// records. From those the registry derives everything the layers need — the
// collection and parent in names, the table, the request fields, the Dataset
// field, the service, the children deleted by a forced delete, the kinds other
// records refer to. What no annotation can say is written in one entry per
// kind in resource_registry.cc: the rules and defaults of resource_rules.h,
// the fields a List filter and order_by accept, and where the database keeps
// each of them.
//
// Adding a kind: a proto (message with google.api.resource, a service with the
// five standard methods, a field in Dataset), a migration (its table), its
// rules (resource_rules.h) and one entry in resource_registry.cc.
// docs/adding-a-resource.md shows the steps.
//
//   for (const domain::ResourceType& type : domain::Resources()) {
//     // type.collection == "sessions", type.parent->collection == "forums"
//   }
//
// The registry is built once, on first use, from the generated descriptor
// pool; a kind whose annotations are missing or inconsistent stops the
// program at that point with a message naming it (and the unit tests catch
// it first).

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "src/domain/filter.h"

namespace forum_registry::domain {

struct ResourceType;

// Where the database keeps the value of a filter field. The store turns this
// into SQL; the domain only says where, never how.
enum class Storage {
  // A column of the resource's table, generated from the body by the
  // migrations (`location` is its name).
  kColumn,
  // Inside the body, at the dotted proto path `location` ("venue.city",
  // "participants.participant"); repeated fields on the way are walked.
  kBody,
};

// One field a List filter may name.
struct FilterField {
  // Name, type, enum and reference collection, as the filter parser needs.
  filter::FieldSpec spec;
  Storage storage = Storage::kColumn;
  std::string location;
  // For kBody: the path as a SQL/JSON path ("$.participants[*].participant")
  // and whether a repeated field lies on the way (other than the last).
  std::string json_path;
  bool through_repeated = false;
  // Every field on the path is REQUIRED (google.api.field_behavior) and the
  // value is not a Period (whose start may be open): every stored record
  // has a value, so a column of it is NOT NULL (schema_test checks), and
  // the store orders by it as it is, where an index on it can serve.
  bool required = false;
};

// A field that names another record (google.api.resource_reference).
struct ReferenceField {
  // The dotted proto path from the resource ("citations.source").
  std::string path;
  // The same as a SQL/JSON path ("$.citations[*].source").
  std::string json_path;
  // The type referred to ("forumregistry.org/Source"), or "*" for several.
  std::string type;
};

struct ResourceType {
  // The message (forumregistry.v1.Forum) and its standard-method service
  // (forumregistry.v1.ForumService).
  const google::protobuf::Descriptor* descriptor = nullptr;
  const google::protobuf::ServiceDescriptor* service = nullptr;

  // From google.api.resource.
  std::string type;      // "forumregistry.org/ActionPlan"
  std::string pattern;   // "actionPlans/{action_plan}"
  std::string singular;  // "actionPlan"
  std::string plural;    // "actionPlans"

  // From the pattern: the collection id and, for a nested kind, its parent.
  std::string collection;         // "sessions"
  std::string parent_collection;  // "forums"; empty for a top-level kind
  const ResourceType* parent = nullptr;

  // snake_case forms, used as field names of requests and Dataset and as
  // table names.
  std::string field;     // "action_plan": CreateActionPlanRequest.action_plan
  std::string id_field;  // "action_plan_id"
  std::string table;     // "action_plans": Dataset.action_plans, the table
  std::string label;     // "action plan", for messages

  // Kinds nested under this one, in registry order (a forum's memberships,
  // sessions, chairmanships).
  std::vector<const ResourceType*> children;
  // Fields of this kind that name other records, in field order.
  std::vector<ReferenceField> references;
  // Whether a reference field of some kind names this kind by its type, so
  // the database keeps a table of references to it.
  bool referenced = false;

  // The resource's own rules (resource_rules.h): `field` is the request path
  // to prefix messages with. `normalize` fills defaults; may be empty.
  std::function<absl::Status(const google::protobuf::Message&,
                             absl::string_view field)>
      validate;
  std::function<void(google::protobuf::Message*)> normalize;

  // What a List filter may name, in the order errors list them, and of
  // those the fields order_by accepts (create_time and update_time always).
  std::vector<FilterField> filters;
  std::vector<std::string> order_by;

  // The filter parser's view of `filters` (the same fields, same order).
  filter::Schema schema;
  // The table of references to this kind ("forum_references"), whose column
  // `field` names the referred record; "" when nothing refers to the kind.
  std::string ReferencesTable() const;
};

// Every kind, parents before children and in the order of the Dataset
// message's fields (participants, forums, sources, memberships, sessions,
// chairmanships, action plans, statements).
const std::vector<ResourceType>& Resources();

// The kind of a message type, of a type ("forumregistry.org/Forum"), or of a
// resource name by its collections ("forums/arf/sessions/30" is a session);
// nullptr if none.
const ResourceType* FindByMessage(const google::protobuf::Descriptor* message);
const ResourceType* FindByType(absl::string_view type);
const ResourceType* FindByName(absl::string_view name);

// Fields whose value the server sets, which a record's stored body leaves
// out and an update mask ignores (AIP-203, AIP-154): IDENTIFIER (the name,
// from the request's id), OUTPUT_ONLY (create_time, update_time) and the
// etag, which tells the stored version and is only ever compared.
bool IsServerSet(const google::protobuf::FieldDescriptor* field);
// The field that holds the record's name (IDENTIFIER). An export keeps it,
// as the key of the record, and leaves out the other server-set fields.
bool IsIdentifier(const google::protobuf::FieldDescriptor* field);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_RESOURCE_REGISTRY_H_
