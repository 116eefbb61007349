#include "src/export/export.h"

#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "src/domain/partial_date.h"
#include "src/domain/status_macros.h"
#include "src/export/export_internal.h"

namespace forum_registry::exports {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::StatusOr<Format> ParseFormat(absl::string_view text) {
  if (text == "popolo") return Format::kPopolo;
  if (text == "csv") return Format::kCsv;
  if (text == "ics") return Format::kIcs;
  return absl::InvalidArgumentError(
      absl::StrCat("format: must be popolo, csv or ics, was \"", text, "\""));
}

const char* ContentType(Format format) {
  switch (format) {
    case Format::kPopolo:
      return "application/json";
    case Format::kCsv:
      return "application/zip";
    case Format::kIcs:
      return "text/calendar; charset=utf-8";
  }
  return "application/octet-stream";
}

absl::Status ValidateOptions(const ExportOptions& options) {
  if (!options.as_of.empty()) {
    absl::StatusOr<domain::PartialDate> date =
        domain::ParsePartialDate(options.as_of);
    if (!date.ok() || date->day() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("as_of: must be a date written YYYY-MM-DD, was \"",
                       options.as_of, "\""));
    }
  }
  if (options.as_of_revision < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "as_of_revision: must not be negative, was ", options.as_of_revision));
  }
  if (!options.forum.empty() && options.forum != "forums/-") {
    const absl::string_view id =
        absl::StartsWith(options.forum, "forums/")
            ? absl::string_view(options.forum).substr(7)
            : absl::string_view();
    if (id.empty() || absl::StrContains(id, '/')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "forum: must be a forum's name (forums/{forum}) or forums/-, was \"",
          options.forum, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ExportSummary> RunExport(store::Exporter& source,
                                        const ExportOptions& options, Sink* out,
                                        FileSet* files,
                                        const Progress& progress) {
  FR_RETURN_IF_ERROR(ValidateOptions(options));
  if ((options.format == Format::kCsv) != (files != nullptr) ||
      (options.format != Format::kCsv && out == nullptr)) {
    return absl::InternalError(
        "RunExport: CSV takes a file set, the other formats a sink");
  }
  internal::Context context(source, options, progress);
  FR_RETURN_IF_ERROR(context.Start());
  switch (options.format) {
    case Format::kPopolo:
      FR_RETURN_IF_ERROR(internal::WritePopolo(context, out));
      break;
    case Format::kCsv:
      FR_RETURN_IF_ERROR(internal::WriteCsv(context, files));
      break;
    case Format::kIcs:
      FR_RETURN_IF_ERROR(internal::WriteCalendar(context, out));
      break;
  }
  context.summary().revision = source.revision();
  return std::move(context.summary());
}

namespace internal {
namespace {

// Keeps what it needs of at most this many looked-up records (a name, a
// uri, a flag: about 150 bytes each), then starts over: every participant
// of a registry of a million records fits.
constexpr size_t kMemo = 100000;

std::unique_ptr<Message> NewRecord(const domain::ResourceType& type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type.descriptor)
          ->New());
}

// Calls `found` with each value of the string field at `path` (dotted, from
// `message`), through repeated fields on the way.
void Values(const Message& message, absl::string_view path,
            const std::function<void(const std::string&)>& found) {
  const size_t dot = path.find('.');
  const std::string head(path.substr(0, dot));
  const FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(head);
  if (field == nullptr) return;
  const Reflection* reflection = message.GetReflection();
  if (dot == absl::string_view::npos) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) return;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        found(reflection->GetRepeatedString(message, field, i));
      }
    } else if (const std::string value = reflection->GetString(message, field);
               !value.empty()) {
      found(value);
    }
    return;
  }
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return;
  const absl::string_view rest = path.substr(dot + 1);
  if (field->is_repeated()) {
    for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
      Values(reflection->GetRepeatedMessage(message, field, i), rest, found);
    }
  } else if (reflection->HasField(message, field)) {
    Values(reflection->GetMessage(message, field), rest, found);
  }
}

}  // namespace

Context::Context(store::Exporter& source, const ExportOptions& options,
                 const Progress& progress)
    : source_(source), options_(options), progress_(progress) {}

absl::Status Context::Start() {
  if (!options_.as_of.empty()) {
    FR_ASSIGN_OR_RETURN(const domain::PartialDate date,
                        domain::ParsePartialDate(options_.as_of));
    day_ = domain::CoveredDays(date).first;
  }
  if (!options_.forum.empty() && options_.forum != "forums/-") {
    forum_ = options_.forum;
    const bool missing = Find(forum_) == nullptr;
    FR_RETURN_IF_ERROR(error_);
    if (missing) {
      return absl::NotFoundError(
          source_.historical()
              ? absl::StrCat("forum: ", forum_, " did not exist at revision ",
                             source_.revision())
              : absl::StrCat("forum: ", forum_, " does not exist"));
    }
    FR_RETURN_IF_ERROR(CollectReferences());
  }
  return absl::OkStatus();
}

absl::Status Context::ForEach(const domain::ResourceType& type,
                              const store::Exporter::Each& each) {
  store::ListQuery query;
  std::string filter;
  if (!forum_.empty()) {
    const std::set<std::string>* chosen = nullptr;
    if (type.table == "participants") chosen = &participants_;
    if (type.table == "sources") chosen = &sources_;
    if (chosen != nullptr) {
      std::unique_ptr<Message> record = NewRecord(type);
      for (const std::string& name : *chosen) {
        absl::Status found = source_.Lookup(name, record.get());
        if (absl::IsNotFound(found)) continue;  // a dangling reference
        FR_RETURN_IF_ERROR(found);
        FR_RETURN_IF_ERROR(each(*record, 0));
        FR_RETURN_IF_ERROR(error_);
      }
      return absl::OkStatus();
    }
    if (type.table == "forums") {
      std::unique_ptr<Message> record = NewRecord(type);
      FR_RETURN_IF_ERROR(source_.Lookup(forum_, record.get()));
      FR_RETURN_IF_ERROR(each(*record, 0));
      filter = absl::StrCat("parent = \"", forum_, "\"");
    } else if (type.parent != nullptr) {
      query.parent = forum_;
    } else if (type.table == "action_plans") {
      filter = absl::StrCat("forums:\"", forum_, "\"");
    } else if (type.table == "statements") {
      filter = absl::StrCat("forum = \"", forum_, "\"");
    }
  }
  if (day_.has_value() &&
      (type.table == "memberships" || type.table == "chairmanships")) {
    const std::string active =
        absl::StrCat("active_on = \"", absl::FormatCivilTime(*day_), "\"");
    filter = filter.empty() ? active : absl::StrCat(filter, " AND ", active);
  }
  FR_ASSIGN_OR_RETURN(const std::optional<domain::filter::Node> node,
                      domain::filter::Parse(filter, type.schema));
  if (node.has_value()) query.filter = &*node;
  FR_RETURN_IF_ERROR(
      source_.Stream(type, query, [&](const Message& record, int64_t version) {
        FR_RETURN_IF_ERROR(each(record, version));
        return error_;
      }));
  return error_;
}

absl::Status Context::CollectReferences() {
  const auto collect = [&](const domain::ResourceType& type,
                           const Message& record) {
    for (const domain::ReferenceField& reference : type.references) {
      Values(record, reference.path, [&](const std::string& name) {
        if (absl::StartsWith(name, "participants/")) {
          participants_.insert(name);
        } else if (absl::StartsWith(name, "sources/")) {
          sources_.insert(name);
        }
      });
    }
    return absl::OkStatus();
  };
  for (const domain::ResourceType& type : domain::Resources()) {
    if (type.table == "participants" || type.table == "sources") continue;
    FR_RETURN_IF_ERROR(ForEach(type, [&](const Message& record, int64_t) {
      return collect(type, record);
    }));
  }
  // What the participants refer to: their affiliations and sources.
  const domain::ResourceType& participants = TypeOf("participants");
  const std::set<std::string> direct = participants_;
  std::unique_ptr<Message> record = NewRecord(participants);
  for (const std::string& name : direct) {
    absl::Status found = source_.Lookup(name, record.get());
    if (absl::IsNotFound(found)) continue;
    FR_RETURN_IF_ERROR(found);
    FR_RETURN_IF_ERROR(collect(participants, *record));
  }
  return absl::OkStatus();
}

bool Context::Holds(const forumregistry::v1::Period& period) const {
  if (!day_.has_value()) return true;
  const domain::DayRange days = domain::CoveredDays(period);
  return (!days.first.has_value() || *days.first <= *day_) &&
         (!days.last.has_value() || *day_ <= *days.last);
}

const Context::Referent* Context::Find(const std::string& name) {
  if (auto found = memo_.find(name); found != memo_.end()) {
    return found->second.has_value() ? &*found->second : nullptr;
  }
  const domain::ResourceType* type = domain::FindByName(name);
  if (type == nullptr) return nullptr;
  std::unique_ptr<Message> record = NewRecord(*type);
  std::optional<Referent> referent;
  if (absl::Status found = source_.Lookup(name, record.get()); found.ok()) {
    referent.emplace();
    const google::protobuf::Descriptor* descriptor = record->GetDescriptor();
    const Reflection* reflection = record->GetReflection();
    if (const FieldDescriptor* field =
            descriptor->FindFieldByName("display_name")) {
      referent->display_name = reflection->GetString(*record, field);
    }
    if (const auto* source =
            dynamic_cast<const forumregistry::v1::Source*>(record.get())) {
      referent->uri = source->uri();
    }
    if (const auto* participant =
            dynamic_cast<const forumregistry::v1::Participant*>(record.get())) {
      referent->person =
          participant->kind() == forumregistry::v1::PARTICIPANT_KIND_PERSON;
    }
  } else if (!absl::IsNotFound(found) && error_.ok()) {
    // Only "it does not exist" is an answer; anything else stops the export
    // (ForEach returns it), with its own message.
    error_ = found;
  }
  if (memo_.size() >= kMemo) memo_.clear();
  std::optional<Referent>& kept = memo_[name];
  kept = std::move(referent);
  return kept.has_value() ? &*kept : nullptr;
}

const domain::ResourceType& TypeOf(absl::string_view table) {
  for (const domain::ResourceType& type : domain::Resources()) {
    if (type.table == table) return type;
  }
  std::abort();  // the registry's tables are fixed
}

std::string Context::Location(const forumregistry::v1::Venue& venue) {
  std::vector<std::string> parts;
  if (!venue.site().empty()) parts.push_back(venue.site());
  if (!venue.city().empty()) parts.push_back(venue.city());
  if (!venue.country().empty()) {
    const std::string country = DisplayName(venue.country());
    parts.push_back(country.empty() ? venue.country() : country);
  }
  return absl::StrJoin(parts, ", ");
}

std::string Context::DisplayName(const std::string& name) {
  const Referent* referent = Find(name);
  return referent == nullptr ? "" : referent->display_name;
}

void Context::Count(const domain::ResourceType& type, int64_t bytes) {
  ++summary_.records[type.table];
  ++records_;
  if (progress_) progress_(records_, bytes);
}

std::string EnumShortName(const google::protobuf::EnumValueDescriptor& value) {
  if (value.number() == 0) return "";
  // The type's name in upper snake case prefixes each value.
  std::string prefix;
  for (char c : value.type()->name()) {
    if (absl::ascii_isupper(c) && !prefix.empty()) prefix += '_';
    prefix += absl::ascii_toupper(c);
  }
  absl::string_view name = value.name();
  absl::ConsumePrefix(&name, absl::StrCat(prefix, "_"));
  return std::string(name);
}

std::string EnumLabel(const google::protobuf::EnumValueDescriptor& value) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(EnumShortName(value)),
                             {{"_", " "}});
}

}  // namespace internal
}  // namespace forum_registry::exports
