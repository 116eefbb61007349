#include "src/domain/resource_registry.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "forumregistry/v1/statement.pb.h"
#include "google/api/field_behavior.pb.h"
#include "google/api/resource.pb.h"
#include "src/domain/resource_name.h"
#include "src/domain/resource_rules.h"

namespace forum_registry::domain {
namespace {

namespace v1 = forumregistry::v1;
using filter::FieldType;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// ---------------------------------------------------------------------------
// The entries: what the annotations cannot say.

// How an entry declares a filter field; the type comes from the proto field
// at `name` unless `type` says otherwise.
struct FilterDecl {
  std::string name;
  Storage storage = Storage::kColumn;
  std::string location;
  std::optional<FieldType> type;
  // The name of the record's parent, from a column of the same name as the
  // parent's field ("forum").
  bool parent = false;
};

// A generated column: `column`, or one named like the field.
FilterDecl Column(std::string name, std::string column = "") {
  std::string location = column.empty() ? name : std::move(column);
  return {.name = std::move(name), .location = std::move(location)};
}

// A value read from the body at the field's own path, or at `path`.
FilterDecl Body(std::string name, std::string path = "") {
  std::string location = path.empty() ? name : std::move(path);
  return {.name = std::move(name),
          .storage = Storage::kBody,
          .location = std::move(location)};
}

// Every name of the record, in any language (the `search_names` column).
FilterDecl Names() {
  return {
      .name = "names", .location = "search_names", .type = FieldType::kNames};
}

// `active_on = "YYYY-MM-DD"`: the daterange column covers the day.
FilterDecl ActiveOn(std::string column) {
  return {.name = "active_on",
          .location = std::move(column),
          .type = FieldType::kDay};
}

// The parent in the record's name.
FilterDecl ParentName() { return {.parent = true}; }

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

struct Entry {
  const Descriptor* message;
  std::function<absl::Status(const Message&, absl::string_view)> validate;
  std::function<void(Message*)> normalize;
  std::vector<FilterDecl> filters;
  std::vector<std::string> order_by;
};

// THE list of resource kinds. Parents before children; the order of the
// Dataset message's fields (a unit test holds the two together).
std::vector<Entry> Entries() {
  return {
      {.message = v1::Participant::descriptor(),
       .validate = Rules(&ValidateParticipant),
       .filters = {Column("kind"), Column("display_name"), Names(),
                   Body("affiliation")},
       .order_by = {"display_name"}},
      {.message = v1::Forum::descriptor(),
       .validate = Rules(&ValidateForum),
       .normalize = Defaults(&NormalizeForum),
       .filters = {Column("kind"), Column("display_name"), Names(),
                   Column("parent"), Column("status"), Body("meeting_level"),
                   Body("cadence"), Column("founded"), Column("dissolved"),
                   Body("topics"), Body("initiated_by")},
       .order_by = {"display_name", "founded"}},
      {.message = v1::Source::descriptor(),
       .validate = Rules(&ValidateSource),
       .filters = {Column("display_name"), Body("publisher"),
                   Body("document_number"), Body("language"),
                   Column("publish_date")},
       .order_by = {"display_name", "publish_date"}},
      {.message = v1::Membership::descriptor(),
       .validate = Rules(&ValidateMembership),
       .filters = {ParentName(), Column("member"), Column("role"),
                   ActiveOn("period"), Column("period")},
       .order_by = {"period"}},
      {.message = v1::Session::descriptor(),
       .validate = Rules(&ValidateSession),
       .normalize = Defaults(&NormalizeSession),
       .filters = {ParentName(), Column("display_name"), Body("kind"),
                   Body("ordinal"), Body("level"), Column("parent_session"),
                   Column("start_date"), Column("end_date"), ActiveOn("days"),
                   Body("mode"), Body("status"), Body("venue.city"),
                   Body("venue.country"),
                   Body("participants", "participants.participant"),
                   Body("topics")},
       .order_by = {"start_date", "ordinal", "display_name"}},
      {.message = v1::Chairmanship::descriptor(),
       .validate = Rules(&ValidateChairmanship),
       .normalize = Defaults(&NormalizeChairmanship),
       .filters = {ParentName(), Body("chairs"), ActiveOn("term"),
                   Column("term"), Body("status"), Body("continues")},
       .order_by = {"term"}},
      {.message = v1::ActionPlan::descriptor(),
       .validate = Rules(&ValidateActionPlan),
       .filters = {Column("display_name"), Names(), Column("status"),
                   Body("forums"), Body("parties"), ActiveOn("period"),
                   Column("period"), Body("start_date", "period.start"),
                   Body("end_date", "period.end"), Body("adoption.date"),
                   Body("adoption.session"), Body("implements"),
                   Body("priority_areas")},
       .order_by = {"display_name", "start_date", "end_date", "adoption.date"}},
      {.message = v1::Statement::descriptor(),
       .validate = Rules(&ValidateStatement),
       .filters = {Column("display_name"), Names(), Column("kind"),
                   Column("status"), Body("forum"),
                   Column("adoption.date", "adoption_date"),
                   Body("adoption.session"), Body("initiated_by"),
                   Body("topics")},
       .order_by = {"display_name", "adoption.date"}},
  };
}

// ---------------------------------------------------------------------------
// Deriving the rest from the annotations.

[[noreturn]] void Fail(absl::string_view what) {
  std::fprintf(stderr, "forum-registry: resource registry: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

bool HasBehavior(const FieldDescriptor* field, google::api::FieldBehavior b) {
  const auto& options = field->options();
  const int count = options.ExtensionSize(google::api::field_behavior);
  for (int i = 0; i < count; ++i) {
    if (options.GetExtension(google::api::field_behavior, i) == b) return true;
  }
  return false;
}

// The string fields naming other records, anywhere inside `message`.
void CollectReferences(const Descriptor* message, const std::string& path,
                       const std::string& json_path,
                       std::set<const Descriptor*>* seen,
                       std::vector<ReferenceField>* out) {
  if (!seen->insert(message).second) return;  // no cycles
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* field = message->field(i);
    const std::string field_path =
        path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    const std::string field_json = absl::StrCat(
        json_path, ".", field->name(), field->is_repeated() ? "[*]" : "");
    if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (field->message_type()->file()->package() == "google.protobuf") {
        continue;
      }
      CollectReferences(field->message_type(), field_path, field_json, seen,
                        out);
    } else if (field->type() == FieldDescriptor::TYPE_STRING &&
               field->options().HasExtension(google::api::resource_reference)) {
      const auto& reference =
          field->options().GetExtension(google::api::resource_reference);
      if (reference.type().empty()) {
        Fail(absl::StrCat(message->full_name(), ".", field->name(),
                          ": resource_reference without a type"));
      }
      out->push_back({.path = field_path,
                      .json_path = field_json,
                      .type = reference.type()});
    }
  }
  seen->erase(message);
}

// The fields on the way to `path` in `message`; fails on an unknown one.
std::vector<const FieldDescriptor*> FieldsOnPath(const Descriptor* message,
                                                 absl::string_view path) {
  std::vector<const FieldDescriptor*> fields;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    const FieldDescriptor* field =
        message == nullptr ? nullptr
                           : message->FindFieldByName(std::string(part));
    if (field == nullptr) {
      Fail(absl::StrCat(path, " is not a field path of the resource"));
    }
    fields.push_back(field);
    message = field->message_type();
  }
  return fields;
}

const ResourceType* FindIn(const std::vector<ResourceType>& types,
                           absl::string_view type_name) {
  for (const ResourceType& type : types) {
    if (type.type == type_name) return &type;
  }
  return nullptr;
}

// `kinds` are all kinds, linked, for the collection of a referred kind.
FilterField MakeFilter(const std::vector<ResourceType>& kinds,
                       const ResourceType& type, const FilterDecl& decl) {
  FilterField out;
  if (decl.parent) {
    if (type.parent == nullptr) {
      Fail(absl::StrCat(type.type, ": a parent filter on a top-level kind"));
    }
    out.spec = {.name = type.parent->field,
                .type = FieldType::kReference,
                .collection = type.parent->collection};
    out.location = type.parent->field;
    return out;
  }
  out.spec.name = decl.name;
  out.storage = decl.storage;
  out.location = decl.location;
  const std::string proto_path =
      decl.storage == Storage::kBody ? decl.location : decl.name;
  if (decl.type.has_value()) {
    out.spec.type = *decl.type;
  } else {
    const std::vector<const FieldDescriptor*> fields =
        FieldsOnPath(type.descriptor, proto_path);
    const FieldDescriptor* last = fields.back();
    bool many = last->is_repeated();
    for (size_t i = 0; i + 1 < fields.size(); ++i) {
      if (fields[i]->is_repeated()) many = out.through_repeated = true;
    }
    out.required = !many && last->message_type() != v1::Period::descriptor();
    for (const FieldDescriptor* field : fields) {
      out.required = out.required && HasBehavior(field, google::api::REQUIRED);
    }
    const std::string what = absl::StrCat(type.type, " filter ", decl.name);
    switch (last->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (last->message_type() != v1::PartialDate::descriptor() &&
            last->message_type() != v1::Period::descriptor()) {
          Fail(absl::StrCat(what, ": a message that is not a date"));
        }
        // The store reads a partial date from the body; a period only from
        // a column (a daterange the migration generates).
        if (last->message_type() == v1::Period::descriptor() &&
            decl.storage == Storage::kBody) {
          Fail(absl::StrCat(what, ": a period must be kept in a column"));
        }
        out.spec.type = FieldType::kDate;
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        out.spec.type = FieldType::kEnum;
        out.spec.enum_type = last->enum_type();
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        if (many) {
          out.spec.type = FieldType::kStringList;
        } else if (last->options().HasExtension(
                       google::api::resource_reference)) {
          out.spec.type = FieldType::kReference;
          // A top-level kind's names are checked to be of its collection;
          // nested names and "*" are checked by the database alone.
          const ResourceType* target =
              FindIn(kinds, last->options()
                                .GetExtension(google::api::resource_reference)
                                .type());
          if (target != nullptr && target->parent == nullptr) {
            out.spec.collection = target->collection;
          }
        } else {
          out.spec.type = FieldType::kString;
        }
        break;
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
        out.spec.type = FieldType::kInteger;
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        out.spec.type = FieldType::kBool;
        break;
      default:
        Fail(absl::StrCat(what, ": a field type filters do not take"));
    }
    if (many && out.spec.type != FieldType::kStringList) {
      Fail(absl::StrCat(what, ": only repeated strings can be filtered on"));
    }
  }
  if (decl.storage == Storage::kBody) {
    std::vector<std::string> parts;
    const std::vector<const FieldDescriptor*> fields =
        FieldsOnPath(type.descriptor, decl.location);
    for (size_t i = 0; i < fields.size(); ++i) {
      const bool inner_repeated =
          fields[i]->is_repeated() && i + 1 < fields.size();
      parts.push_back(
          absl::StrCat(fields[i]->name(), inner_repeated ? "[*]" : ""));
    }
    out.json_path = absl::StrCat("$.", absl::StrJoin(parts, "."));
  }
  return out;
}

// Builds the registry in three passes — each kind from its annotations, then
// the links between kinds, then the filters, whose types may depend on another
// kind — and fails loudly on any inconsistency. The vector never grows after
// the first pass, so pointers into it stay valid.
std::vector<ResourceType>* Build() {
  std::vector<Entry> entries = Entries();
  auto* types = new std::vector<ResourceType>;
  types->reserve(entries.size());
  for (Entry& entry : entries) {
    const Descriptor* message = entry.message;
    if (!message->options().HasExtension(google::api::resource)) {
      Fail(absl::StrCat(message->full_name(), " has no google.api.resource"));
    }
    const google::api::ResourceDescriptor& resource =
        message->options().GetExtension(google::api::resource);
    ResourceType type;
    type.descriptor = message;
    type.type = resource.type();
    if (resource.pattern_size() != 1) {
      Fail(absl::StrCat(type.type, ": needs exactly one pattern"));
    }
    type.pattern = resource.pattern(0);
    type.singular = resource.singular();
    type.plural = resource.plural();
    // "forums/{forum}/sessions/{session}": collection ids at even places.
    const std::vector<std::string> segments = absl::StrSplit(type.pattern, '/');
    if (segments.size() != 2 && segments.size() != 4) {
      Fail(absl::StrCat(type.type, ": pattern ", type.pattern,
                        " is neither top-level nor nested once"));
    }
    type.collection = segments[segments.size() - 2];
    if (segments.size() == 4) type.parent_collection = segments[0];
    if (type.collection != type.plural) {
      Fail(absl::StrCat(type.type, ": plural ", type.plural,
                        " is not the collection of ", type.pattern));
    }
    type.field = SnakeCase(type.singular);
    type.id_field = absl::StrCat(type.field, "_id");
    type.table = SnakeCase(type.plural);
    type.label = absl::StrReplaceAll(type.field, {{"_", " "}});
    type.service = message->file()->pool()->FindServiceByName(
        absl::StrCat(message->full_name(), "Service"));
    if (type.service == nullptr) {
      Fail(absl::StrCat(type.type, ": no service ", message->full_name(),
                        "Service"));
    }
    std::set<const Descriptor*> seen;
    CollectReferences(message, "", "$", &seen, &type.references);
    if (!entry.validate) Fail(absl::StrCat(type.type, ": no rules"));
    type.validate = std::move(entry.validate);
    type.normalize = std::move(entry.normalize);
    type.order_by = std::move(entry.order_by);
    type.order_by.push_back("create_time");
    type.order_by.push_back("update_time");
    types->push_back(std::move(type));
  }

  for (ResourceType& type : *types) {
    if (type.parent_collection.empty()) continue;
    for (ResourceType& parent : *types) {
      if (parent.collection == type.parent_collection &&
          parent.parent_collection.empty()) {
        type.parent = &parent;
        parent.children.push_back(&type);
      }
    }
    if (type.parent == nullptr) {
      Fail(absl::StrCat(type.type, ": no kind has the collection ",
                        type.parent_collection));
    }
  }
  for (const ResourceType& type : *types) {
    for (const ReferenceField& reference : type.references) {
      if (reference.type == "*") continue;
      bool found = false;
      for (ResourceType& target : *types) {
        if (target.type == reference.type) found = target.referenced = true;
      }
      if (!found) {
        Fail(absl::StrCat(type.type, ".", reference.path,
                          " refers to the unknown type ", reference.type));
      }
    }
  }

  for (size_t i = 0; i < types->size(); ++i) {
    for (const FilterDecl& decl : entries[i].filters) {
      ResourceType& type = (*types)[i];
      type.filters.push_back(MakeFilter(*types, type, decl));
      type.schema.push_back(type.filters.back().spec);
    }
    // Every kind with external ids or citations can be filtered on them,
    // through the expression indexes migration 0011 adds to every record
    // table.
    ResourceType& type = (*types)[i];
    const FieldDescriptor* ids =
        type.descriptor->FindFieldByName("external_ids");
    if (ids != nullptr && ids->message_type() == v1::ExternalId::descriptor()) {
      type.filters.push_back(
          {.spec = {.name = "external_ids", .type = FieldType::kExternalIds},
           .location = "body_external_ids(body)"});
      type.schema.push_back(type.filters.back().spec);
    }
    const FieldDescriptor* citations =
        type.descriptor->FindFieldByName("citations");
    if (citations != nullptr &&
        citations->message_type() == v1::Citation::descriptor()) {
      const ResourceType* source =
          FindIn(*types, v1::Citation::descriptor()
                             ->FindFieldByName("source")
                             ->options()
                             .GetExtension(google::api::resource_reference)
                             .type());
      if (source == nullptr) Fail("Citation.source names no known kind");
      type.filters.push_back({.spec = {.name = "citations.source",
                                       .type = FieldType::kCitedSources,
                                       .collection = source->collection},
                              .location = "body_cited_sources(body)"});
      type.schema.push_back(type.filters.back().spec);
    }
  }
  return types;
}

}  // namespace

const std::vector<ResourceType>& Resources() {
  static const std::vector<ResourceType>* const kResources = Build();
  return *kResources;
}

std::string ResourceType::ReferencesTable() const {
  return referenced ? absl::StrCat(field, "_references") : "";
}

const ResourceType* FindByMessage(const Descriptor* message) {
  for (const ResourceType& type : Resources()) {
    if (type.descriptor == message) return &type;
  }
  return nullptr;
}

const ResourceType* FindByType(absl::string_view type_name) {
  return FindIn(Resources(), type_name);
}

const ResourceType* FindByName(absl::string_view name) {
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  for (const ResourceType& type : Resources()) {
    const bool nested = type.parent != nullptr;
    if (parts.size() != (nested ? 4u : 2u)) continue;
    if (parts[parts.size() - 2] != type.collection) continue;
    if (nested && parts[0] != type.parent_collection) continue;
    return &type;
  }
  return nullptr;
}

bool IsIdentifier(const FieldDescriptor* field) {
  return HasBehavior(field, google::api::IDENTIFIER);
}

bool IsServerSet(const FieldDescriptor* field) {
  return IsIdentifier(field) || HasBehavior(field, google::api::OUTPUT_ONLY) ||
         (field->name() == "etag" &&
          field->containing_type()->options().HasExtension(
              google::api::resource));
}

}  // namespace forum_registry::domain
