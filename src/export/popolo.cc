// Popolo JSON (popoloproject.com, 1.0.1): forums and participants that are
// not persons as organizations, persons, a "chair" post per forum with
// chairmanships as memberships of it, memberships, sessions as events, and
// what Popolo has no type for in a "forum_registry" block. docs/api.md
// ("Popolo JSON") documents the mapping.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "src/domain/json_text.h"
#include "src/domain/partial_date.h"
#include "src/domain/status_macros.h"
#include "src/export/export_internal.h"

namespace forum_registry::exports::internal {
namespace {

namespace v1 = forumregistry::v1;
using google::protobuf::Message;
using google::protobuf::RepeatedPtrField;

// The version of this mapping, in the document's "forum_registry" block.
constexpr char kFormat[] = "forum-registry-popolo/1";

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", domain::JsonEscape(text), "\"");
}

// A JSON object written key by key; empty values are left out.
class Object {
 public:
  Object& Str(absl::string_view key, absl::string_view value) {
    if (!value.empty()) Raw(key, Quote(value));
    return *this;
  }
  // A date at its precision; an inferred one is also named in the
  // object's extension (Extension).
  Object& Date(absl::string_view key, const v1::PartialDate& date) {
    if (domain::IsEmpty(date)) return *this;
    Str(key, domain::FormatPartialDate(date));
    if (date.inferred()) inferred_.push_back(Quote(key));
    return *this;
  }
  // The "forum_registry" member: `rest` (a JSON object) and the properties
  // whose dates the source does not state but implies ("inferred").
  Object& Extension(const std::string& rest) {
    if (inferred_.empty()) return Raw("forum_registry", rest);
    const std::string list =
        absl::StrCat("\"inferred\":[", absl::StrJoin(inferred_, ","), "]}");
    return Raw("forum_registry",
               rest.size() <= 2
                   ? absl::StrCat("{", list)
                   : absl::StrCat(rest.substr(0, rest.size() - 1), ",", list));
  }
  Object& Time(absl::string_view key, const google::protobuf::Timestamp& time) {
    if (time.seconds() != 0 || time.nanos() != 0) {
      Str(key, google::protobuf::util::TimeUtil::ToString(time));
    }
    return *this;
  }
  // `json` as it is; "" and "[]" and "{}" are left out.
  Object& Raw(absl::string_view key, absl::string_view json) {
    if (json.empty() || json == "[]" || json == "{}") return *this;
    absl::StrAppend(&text_, text_.empty() ? "{" : ",", Quote(key), ":", json);
    return *this;
  }
  std::string Close() const {
    return text_.empty() ? "{}" : absl::StrCat(text_, "}");
  }

 private:
  std::string text_;
  std::vector<std::string> inferred_;
};

std::string Array(const std::vector<std::string>& items) {
  return absl::StrCat("[", absl::StrJoin(items, ","), "]");
}

// The record in the API's JSON without the fields the Popolo object already
// carries (`mapped`, and its times as created_at and updated_at) and the
// etag: nothing of a record is dropped.
std::string Rest(const Message& record, const std::vector<std::string>& mapped,
                 bool keep_times = false) {
  std::unique_ptr<Message> rest(record.New());
  rest->CopyFrom(record);
  const auto* descriptor = rest->GetDescriptor();
  for (const std::string& name : mapped) {
    if (const auto* field = descriptor->FindFieldByName(name)) {
      rest->GetReflection()->ClearField(rest.get(), field);
    }
  }
  for (const char* name : {"etag", "create_time", "update_time"}) {
    if (keep_times && name != std::string("etag")) continue;
    if (const auto* field = descriptor->FindFieldByName(name)) {
      rest->GetReflection()->ClearField(rest.get(), field);
    }
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*rest, &json, options)
           .ok()) {
    return "";
  }
  return json;
}

class PopoloWriter {
 public:
  PopoloWriter(Context& context, Sink* out) : context_(context), out_(out) {}

  absl::Status Write() {
    FR_RETURN_IF_ERROR(Emit("{\"organizations\":["));
    first_ = true;
    FR_RETURN_IF_ERROR(Each<v1::Forum>(
        "forums", [&](const v1::Forum& f) { return Organization(f); }));
    FR_RETURN_IF_ERROR(
        Each<v1::Participant>("participants", [&](const v1::Participant& p) {
          return p.kind() == v1::PARTICIPANT_KIND_PERSON ? std::string()
                                                         : Organization(p);
        }));
    FR_RETURN_IF_ERROR(Section("persons"));
    FR_RETURN_IF_ERROR(
        Each<v1::Participant>("participants", [&](const v1::Participant& p) {
          return p.kind() == v1::PARTICIPANT_KIND_PERSON ? Person(p)
                                                         : std::string();
        }));
    FR_RETURN_IF_ERROR(Section("posts"));
    std::string last_forum;
    FR_RETURN_IF_ERROR(Each<v1::Chairmanship>(
        "chairmanships",
        [&](const v1::Chairmanship& c) {
          const std::string forum = ForumOf(c.name());
          if (forum == last_forum) return std::string();
          last_forum = forum;
          return ChairPost(forum);
        },
        /*count=*/false));
    FR_RETURN_IF_ERROR(Section("memberships"));
    FR_RETURN_IF_ERROR(Each<v1::Membership>(
        "memberships", [&](const v1::Membership& m) { return Membership(m); }));
    FR_RETURN_IF_ERROR(Each<v1::Chairmanship>(
        "chairmanships",
        [&](const v1::Chairmanship& c) { return ChairMemberships(c); }));
    FR_RETURN_IF_ERROR(Section("events"));
    FR_RETURN_IF_ERROR(Each<v1::Session>(
        "sessions", [&](const v1::Session& s) { return Event(s); }));
    // The extension block: the mapping's version and scope, then the kinds
    // Popolo has no type for, as the API writes them.
    Object about;
    about.Str("format", kFormat)
        .Raw("revision", absl::StrCat(context_.source().revision()))
        .Str("as_of", context_.options().as_of)
        .Str("forum", context_.forum());
    std::string head = about.Close();
    head.pop_back();
    FR_RETURN_IF_ERROR(
        Emit(absl::StrCat("\n],\n\"forum_registry\":", head, ",\n")));
    for (const char* table : {"action_plans", "statements", "sources"}) {
      FR_RETURN_IF_ERROR(Emit(
          absl::StrCat(table == std::string("action_plans") ? "" : "\n],\n",
                       "\"", table, "\":[")));
      first_ = true;
      FR_RETURN_IF_ERROR(Each<Message>(
          table, [&](const Message& record) { return Whole(record); }));
    }
    return Emit("\n]}}\n");
  }

 private:
  // Streams the records of `table`, writing what `map` makes of each ("" for
  // nothing).
  // `count`: whether what it writes are records of the kind (a chair post
  // is not a chairmanship).
  template <typename T, typename Map>
  absl::Status Each(const std::string& table, const Map& map,
                    bool count = true) {
    const domain::ResourceType& type = TypeOf(table);
    return context_.ForEach(
        type, [&](const Message& record, int64_t) -> absl::Status {
          const std::string json = map(static_cast<const T&>(record));
          if (json.empty()) return absl::OkStatus();
          FR_RETURN_IF_ERROR(Emit(absl::StrCat(first_ ? "\n" : ",\n", json)));
          first_ = false;
          if (count) context_.Count(type, out_.bytes());
          return absl::OkStatus();
        });
  }

  absl::Status Section(absl::string_view key) {
    first_ = true;
    return Emit(absl::StrCat("\n],\n\"", key, "\":["));
  }

  absl::Status Emit(absl::string_view text) { return out_.Write(text); }

  // "forums/arf" of "forums/arf/sessions/30".
  static std::string ForumOf(absl::string_view name) {
    const size_t slash = name.find('/', name.find('/') + 1);
    return std::string(name.substr(0, slash));
  }

  std::string OtherNames(const RepeatedPtrField<v1::Name>& names) {
    std::vector<std::string> items;
    for (const v1::Name& name : names) {
      if (!context_.Holds(name.validity())) continue;
      Object item;
      item.Str("name", name.text())
          .Str("note", EnumLabel(*v1::NameKind_descriptor()->FindValueByNumber(
                           name.kind())))
          .Date("start_date", name.validity().start())
          .Date("end_date", name.validity().end())
          .Str("lang", name.language());
      items.push_back(item.Close());
    }
    return Array(items);
  }

  static std::string Identifiers(const RepeatedPtrField<v1::ExternalId>& ids) {
    std::vector<std::string> items;
    for (const v1::ExternalId& id : ids) {
      items.push_back(Object()
                          .Str("identifier", id.value())
                          .Str("scheme", id.scheme())
                          .Close());
    }
    return Array(items);
  }

  // Each citation as a link with the quoted passage: to the source's uri,
  // or, for a source without one, to its record in the API ("/v1/sources/x",
  // relative to the registry's address).
  std::string Sources(const RepeatedPtrField<v1::Citation>& citations) {
    std::vector<std::string> items;
    for (const v1::Citation& citation : citations) {
      const Context::Referent* source = context_.Find(citation.source());
      if (source == nullptr) continue;
      std::string note = source->display_name;
      if (!citation.excerpt().empty()) {
        absl::StrAppend(&note, note.empty() ? "" : ": ", "\u201c",
                        citation.excerpt(), "\u201d");
      }
      if (!citation.locator().empty()) {
        absl::StrAppend(&note, " (", citation.locator(), ")");
      }
      items.push_back(
          Object()
              .Str("url", source->uri.empty()
                              ? absl::StrCat("/v1/", citation.source())
                              : source->uri)
              .Str("note", note)
              .Close());
    }
    return Array(items);
  }

  // The member of a membership as Popolo's `member`, and whether it is a
  // person.
  std::string Member(const std::string& name, bool* person) {
    *person = false;
    if (const Context::Referent* member = context_.Find(name)) {
      *person = member->person;
    }
    return Object()
        .Str("@type", *person ? "Person" : "Organization")
        .Str("id", name)
        .Close();
  }

  template <typename T>
  Object Common(const T& record, absl::string_view name) {
    Object object;
    object.Str("id", record.name()).Str("name", name);
    return object;
  }

  std::string Organization(const v1::Forum& forum) {
    Object o = Common(forum, forum.display_name());
    o.Raw("other_names", OtherNames(forum.names()))
        .Raw("identifiers", Identifiers(forum.external_ids()))
        .Str("classification",
             EnumLabel(
                 *v1::ForumKind_descriptor()->FindValueByNumber(forum.kind())))
        .Str("parent_id", forum.parent())
        .Str("description", forum.description())
        .Date("founding_date", forum.founded())
        .Date("dissolution_date", forum.dissolved())
        .Time("created_at", forum.create_time())
        .Time("updated_at", forum.update_time())
        .Raw("sources", Sources(forum.citations()))
        .Extension(Rest(
            forum, {"name", "display_name", "names", "external_ids", "kind",
                    "parent", "description", "founded", "dissolved"}));
    return o.Close();
  }

  std::string Organization(const v1::Participant& participant) {
    Object o = Common(participant, participant.display_name());
    o.Raw("other_names", OtherNames(participant.names()))
        .Raw("identifiers", Identifiers(participant.external_ids()))
        .Str("classification",
             EnumLabel(*v1::ParticipantKind_descriptor()->FindValueByNumber(
                 participant.kind())))
        .Str("parent_id", participant.affiliation())
        .Str("description", participant.description())
        .Time("created_at", participant.create_time())
        .Time("updated_at", participant.update_time())
        .Raw("sources", Sources(participant.citations()))
        .Extension(ParticipantRest(participant));
    return o.Close();
  }

  std::string Person(const v1::Participant& participant) {
    Object o = Common(participant, participant.display_name());
    o.Raw("other_names", OtherNames(participant.names()))
        .Raw("identifiers", Identifiers(participant.external_ids()))
        .Str("biography", participant.description())
        .Time("created_at", participant.create_time())
        .Time("updated_at", participant.update_time())
        .Raw("sources", Sources(participant.citations()))
        .Extension(ParticipantRest(participant));
    return o.Close();
  }

  // A participant's fields Popolo has no place for; as of a day, only the
  // roles that hold on it.
  std::string ParticipantRest(const v1::Participant& participant) {
    v1::Participant rest = participant;
    rest.clear_roles();
    for (const v1::Role& role : participant.roles()) {
      if (context_.Holds(role.period())) *rest.add_roles() = role;
    }
    return Rest(
        rest, {"name", "display_name", "names", "external_ids", "description"});
  }

  std::string ChairPost(const std::string& forum) {
    const std::string display = context_.DisplayName(forum);
    return Object()
        .Str("id", absl::StrCat(forum, "/posts/chair"))
        .Str("label",
             absl::StrCat("Chair of ", display.empty() ? forum : display))
        .Str("role", "chair")
        .Str("organization_id", forum)
        .Close();
  }

  std::string Membership(const v1::Membership& membership) {
    bool person = false;
    Object o;
    o.Str("id", membership.name())
        .Str("role",
             EnumLabel(*v1::MembershipRole_descriptor()->FindValueByNumber(
                 membership.role())))
        .Raw("member", Member(membership.member(), &person))
        .Str("person_id", person ? membership.member() : "")
        .Str("organization_id", ForumOf(membership.name()))
        .Date("start_date", membership.period().start())
        .Date("end_date", membership.period().end())
        .Time("created_at", membership.create_time())
        .Time("updated_at", membership.update_time())
        .Raw("sources", Sources(membership.citations()))
        .Extension(Rest(membership, {"name", "member", "role", "period"}));
    return o.Close();
  }

  // One membership of the forum's chair post per chair of the term; co-chairs
  // share the post and the dates.
  std::string ChairMemberships(const v1::Chairmanship& chairmanship) {
    const std::string forum = ForumOf(chairmanship.name());
    std::vector<std::string> items;
    const std::string rest = Rest(chairmanship, {"term", "citations"});
    for (const std::string& chair : chairmanship.chairs()) {
      std::vector<std::string> others;
      for (const std::string& other : chairmanship.chairs()) {
        if (other == chair) continue;
        const std::string display = context_.DisplayName(other);
        others.push_back(display.empty() ? other : display);
      }
      bool person = false;
      Object o;
      o.Str("id", absl::StrCat(chairmanship.name(), "/chairs/",
                               chair.substr(chair.find('/') + 1)))
          .Str("label", others.empty()
                            ? ""
                            : absl::StrCat("Co-chair with ",
                                           absl::StrJoin(others, ", ")))
          .Str("role", others.empty() ? "chair" : "co-chair")
          .Raw("member", Member(chair, &person))
          .Str("person_id", person ? chair : "")
          .Str("organization_id", forum)
          .Str("post_id", absl::StrCat(forum, "/posts/chair"))
          .Date("start_date", chairmanship.term().start())
          .Date("end_date", chairmanship.term().end())
          .Time("created_at", chairmanship.create_time())
          .Time("updated_at", chairmanship.update_time())
          .Raw("sources", Sources(chairmanship.citations()))
          .Extension(absl::StrCat("{\"chairmanship\":", rest, ",\"citations\":",
                                  CitationsJson(chairmanship), "}"));
      items.push_back(o.Close());
    }
    return absl::StrJoin(items, ",\n");
  }

  // A record of a kind Popolo has no type for, as the API writes it (but
  // the etag); as of a day, with the names valid then.
  std::string Whole(const Message& record) {
    std::unique_ptr<Message> copy(record.New());
    copy->CopyFrom(record);
    const google::protobuf::FieldDescriptor* names =
        copy->GetDescriptor()->FindFieldByName("names");
    if (names != nullptr && names->is_repeated()) {
      const google::protobuf::Reflection* r = copy->GetReflection();
      std::vector<v1::Name> kept;
      for (int i = 0; i < r->FieldSize(*copy, names); ++i) {
        const auto& name = static_cast<const v1::Name&>(
            r->GetRepeatedMessage(*copy, names, i));
        if (context_.Holds(name.validity())) kept.push_back(name);
      }
      r->ClearField(copy.get(), names);
      for (const v1::Name& name : kept) {
        r->AddMessage(copy.get(), names)->CopyFrom(name);
      }
    }
    return Rest(*copy, {}, /*keep_times=*/true);
  }

  static std::string CitationsJson(const v1::Chairmanship& chairmanship) {
    v1::Chairmanship only;
    *only.mutable_citations() = chairmanship.citations();
    const std::string json = Rest(only, {});
    // {"citations":[...]} → [...]
    const size_t open = json.find('[');
    return open == std::string::npos
               ? "[]"
               : json.substr(open, json.size() - open - 1);
  }

  std::string Event(const v1::Session& session) {
    Object o;
    o.Str("id", session.name())
        .Str("name", session.display_name())
        .Str("description", session.description())
        .Date("start_date", session.start_date())
        .Date("end_date", session.end_date())
        .Str("location", context_.Location(session.venue()))
        .Str("status",
             EnumLabel(*v1::SessionStatus_descriptor()->FindValueByNumber(
                 session.status())))
        .Raw("identifiers", Identifiers(session.external_ids()))
        .Str("classification",
             EnumLabel(*v1::SessionKind_descriptor()->FindValueByNumber(
                 session.kind())))
        .Str("organization_id", ForumOf(session.name()))
        .Str("parent_id", session.parent_session())
        .Time("created_at", session.create_time())
        .Time("updated_at", session.update_time())
        .Raw("sources", Sources(session.citations()))
        .Extension(Rest(session, {"name", "display_name", "description",
                                  "start_date", "end_date", "status",
                                  "external_ids", "kind", "parent_session"}));
    return o.Close();
  }

  Context& context_;
  CountingSink out_;
  bool first_ = true;
};

}  // namespace

absl::Status WritePopolo(Context& context, Sink* out) {
  return PopoloWriter(context, out).Write();
}

}  // namespace forum_registry::exports::internal
