// CSV (RFC 4180, UTF-8): one file per kind, with columns derived from the
// kind's message in field order, so that a new field gets its column by
// itself. Names become one column per language, external ids one column
// per scheme; the other repeated structures (citations, names in full,
// roles, a session's participants, a source's facts) get a file of their
// own in long form, one row per element with the record's name first.
// docs/api.md ("CSV") documents the columns.

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "forumregistry/v1/common.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "src/domain/partial_date.h"
#include "src/domain/status_macros.h"
#include "src/export/export_internal.h"

namespace forum_registry::exports::internal {
namespace {

namespace v1 = forumregistry::v1;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// RFC 4180: a field with a comma, a quote, CR or LF is quoted, its quotes
// doubled.
std::string Field(absl::string_view value) {
  if (value.find_first_of(",\"\r\n") == absl::string_view::npos) {
    return std::string(value);
  }
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string Line(const std::vector<std::string>& values) {
  std::string line;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) line += ',';
    line += Field(values[i]);
  }
  line += "\r\n";
  return line;
}

// A column of a message's field at `path` (through singular messages).
struct Column {
  enum class Kind { kValue, kDate, kInferred, kTime, kJson };
  std::string header;
  std::vector<const FieldDescriptor*> path;
  Kind kind = Kind::kValue;
};

bool Is(const FieldDescriptor* field, const Descriptor* type) {
  return field->message_type() == type;
}

std::vector<const FieldDescriptor*> InNumberOrder(const Descriptor* message) {
  std::vector<const FieldDescriptor*> fields;
  for (int i = 0; i < message->field_count(); ++i) {
    fields.push_back(message->field(i));
  }
  std::sort(fields.begin(), fields.end(),
            [](const FieldDescriptor* a, const FieldDescriptor* b) {
              return a->number() < b->number();
            });
  return fields;
}

// The columns of `message`'s fields, nested messages flattened with their
// field's name as a prefix ("venue_city", "term_start"). Repeated messages
// are JSON: only the kinds' own repeated fields get files of their own.
void Flatten(const Descriptor* message, const std::string& prefix,
             std::vector<const FieldDescriptor*> path,
             std::vector<Column>* columns) {
  for (const FieldDescriptor* field : InNumberOrder(message)) {
    std::vector<const FieldDescriptor*> at = path;
    at.push_back(field);
    const std::string header = prefix + field->name();
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      columns->push_back({header, at, Column::Kind::kValue});
    } else if (field->is_repeated()) {
      columns->push_back({header, at, Column::Kind::kJson});
    } else if (Is(field, v1::PartialDate::descriptor())) {
      columns->push_back({header, at, Column::Kind::kDate});
      columns->push_back(
          {absl::StrCat(header, "_inferred"), at, Column::Kind::kInferred});
    } else if (Is(field, google::protobuf::Timestamp::descriptor())) {
      columns->push_back({header, at, Column::Kind::kTime});
    } else {
      Flatten(field->message_type(), absl::StrCat(header, "_"), at, columns);
    }
  }
}

// The shortest text that reads back as the same number (19100000000, not
// 1.91e+10).
template <typename Number>
std::string Shortest(Number value) {
  char text[64];
  const auto end = std::to_chars(text, text + sizeof(text), value).ptr;
  return std::string(text, end);
}

std::string Scalar(const Message& message, const FieldDescriptor* field,
                   int index) {
  const Reflection* r = message.GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return repeated ? r->GetRepeatedString(message, field, index)
                      : r->GetString(message, field);
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(repeated ? r->GetRepeatedInt32(message, field, index)
                                   : r->GetInt32(message, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(repeated ? r->GetRepeatedInt64(message, field, index)
                                   : r->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(repeated ? r->GetRepeatedUInt32(message, field, index)
                                   : r->GetUInt32(message, field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(repeated ? r->GetRepeatedUInt64(message, field, index)
                                   : r->GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return Shortest(repeated ? r->GetRepeatedDouble(message, field, index)
                               : r->GetDouble(message, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return Shortest(repeated ? r->GetRepeatedFloat(message, field, index)
                               : r->GetFloat(message, field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (repeated ? r->GetRepeatedBool(message, field, index)
                       : r->GetBool(message, field))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return EnumShortName(repeated ? *r->GetRepeatedEnum(message, field, index)
                                    : *r->GetEnum(message, field));
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "";
}

std::string Json(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string Value(const Message& record, const Column& column) {
  const Message* message = &record;
  for (size_t i = 0; i + 1 < column.path.size(); ++i) {
    message = &message->GetReflection()->GetMessage(*message, column.path[i]);
  }
  const FieldDescriptor* field = column.path.back();
  const Reflection* r = message->GetReflection();
  switch (column.kind) {
    case Column::Kind::kDate: {
      const auto& date =
          static_cast<const v1::PartialDate&>(r->GetMessage(*message, field));
      return domain::IsEmpty(date) ? "" : domain::FormatPartialDate(date);
    }
    case Column::Kind::kInferred: {
      const auto& date =
          static_cast<const v1::PartialDate&>(r->GetMessage(*message, field));
      return date.inferred() ? "true" : "";
    }
    case Column::Kind::kTime: {
      if (!r->HasField(*message, field)) return "";
      return google::protobuf::util::TimeUtil::ToString(
          static_cast<const google::protobuf::Timestamp&>(
              r->GetMessage(*message, field)));
    }
    case Column::Kind::kJson: {
      std::vector<std::string> items;
      for (int i = 0; i < r->FieldSize(*message, field); ++i) {
        items.push_back(Json(r->GetRepeatedMessage(*message, field, i)));
      }
      return items.empty() ? ""
                           : absl::StrCat("[", absl::StrJoin(items, ","), "]");
    }
    case Column::Kind::kValue:
      break;
  }
  if (!field->is_repeated()) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM ||
        field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      return Scalar(*message, field, 0);
    }
    // Numbers and booleans: empty when unset, as proto3 cannot tell 0 from
    // unset for them... but 0 may mean something (an ordinal), so write it
    // only when the field is not zero.
    const std::string value = Scalar(*message, field, 0);
    return value == "0" || value == "false" ? "" : value;
  }
  std::vector<std::string> values;
  for (int i = 0; i < r->FieldSize(*message, field); ++i) {
    values.push_back(Scalar(*message, field, i));
  }
  return absl::StrJoin(values, "; ");
}

// How well a name stands for its language: official, short, alias or
// unspecified, acronym, former.
int Rank(v1::NameKind kind) {
  switch (kind) {
    case v1::NAME_KIND_OFFICIAL:
      return 0;
    case v1::NAME_KIND_SHORT:
      return 1;
    case v1::NAME_KIND_ACRONYM:
      return 3;
    case v1::NAME_KIND_FORMER:
      return 4;
    default:
      return 2;
  }
}

std::string Language(const v1::Name& name) {
  return name.language().empty() ? "und" : name.language();
}

class KindWriter {
 public:
  // `bytes` counts what every file of the set has been given.
  KindWriter(Context& context, const domain::ResourceType& type, FileSet* files,
             int64_t& bytes)
      : context_(context), type_(type), files_(files), bytes_(bytes) {}

  absl::Status Write() {
    FR_RETURN_IF_ERROR(Survey());
    Plan();
    FR_ASSIGN_OR_RETURN(Sink * main, files_->Open(FileName(nullptr)));
    FR_RETURN_IF_ERROR(Put(main, Line(headers_)));
    std::vector<Sink*> sides;
    for (const Side& side : sides_) {
      FR_ASSIGN_OR_RETURN(Sink * sink, files_->Open(FileName(side.field)));
      std::vector<std::string> headers = {"name"};
      for (const Column& column : side.columns) {
        headers.push_back(column.header);
      }
      FR_RETURN_IF_ERROR(Put(sink, Line(headers)));
      sides.push_back(sink);
    }
    FR_RETURN_IF_ERROR(context_.ForEach(
        type_, [&](const Message& record, int64_t) -> absl::Status {
          FR_RETURN_IF_ERROR(Put(main, Line(Row(record))));
          for (size_t i = 0; i < sides_.size(); ++i) {
            FR_RETURN_IF_ERROR(WriteSide(record, sides_[i], sides[i]));
          }
          context_.Count(type_, bytes_);
          return absl::OkStatus();
        }));
    FR_RETURN_IF_ERROR(files_->Close(FileName(nullptr)));
    for (const Side& side : sides_) {
      FR_RETURN_IF_ERROR(files_->Close(FileName(side.field)));
    }
    return absl::OkStatus();
  }

 private:
  // A file of one repeated field's elements.
  struct Side {
    const FieldDescriptor* field;
    std::vector<Column> columns;
  };
  // What a column of the main file is.
  struct Cell {
    enum class Kind { kColumn, kName, kScheme, kCitations } kind;
    Column column;
    std::string key;  // the language or the scheme
  };

  std::string FileName(const FieldDescriptor* field) const {
    return field == nullptr
               ? absl::StrCat(type_.table, ".csv")
               : absl::StrCat(type_.table, "_", field->name(), ".csv");
  }

  // The languages of the names and the schemes of the external ids, which
  // the header needs before the first row: a first pass.
  absl::Status Survey() {
    const FieldDescriptor* names = Field<v1::Name>();
    const FieldDescriptor* ids = Field<v1::ExternalId>();
    if (names == nullptr && ids == nullptr) return absl::OkStatus();
    return context_.ForEach(type_, [&](const Message& record, int64_t) {
      const Reflection* r = record.GetReflection();
      if (names != nullptr) {
        for (int i = 0; i < r->FieldSize(record, names); ++i) {
          const auto& name = static_cast<const v1::Name&>(
              r->GetRepeatedMessage(record, names, i));
          if (context_.Holds(name.validity())) {
            languages_.insert(Language(name));
          }
        }
      }
      if (ids != nullptr) {
        for (int i = 0; i < r->FieldSize(record, ids); ++i) {
          schemes_.insert(static_cast<const v1::ExternalId&>(
                              r->GetRepeatedMessage(record, ids, i))
                              .scheme());
        }
      }
      return absl::OkStatus();
    });
  }

  template <typename T>
  const FieldDescriptor* Field() const {
    for (int i = 0; i < type_.descriptor->field_count(); ++i) {
      const FieldDescriptor* field = type_.descriptor->field(i);
      if (field->is_repeated() && Is(field, T::descriptor())) return field;
    }
    return nullptr;
  }

  void Plan() {
    std::set<std::string> fixed;
    std::vector<Cell> cells;
    for (const FieldDescriptor* field : InNumberOrder(type_.descriptor)) {
      if (field->name() == "etag") continue;
      if (field->is_repeated() &&
          field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (Is(field, v1::Name::descriptor())) {
          for (const std::string& language : languages_) {
            cells.push_back({Cell::Kind::kName, {}, language});
          }
        } else if (Is(field, v1::ExternalId::descriptor())) {
          for (const std::string& scheme : schemes_) {
            cells.push_back({Cell::Kind::kScheme, {}, scheme});
          }
          continue;  // the columns hold every id
        } else if (Is(field, v1::Citation::descriptor())) {
          cells.push_back({Cell::Kind::kCitations,
                           {field->name(), {field}, Column::Kind::kValue},
                           ""});
          fixed.insert(field->name());
        }
        Side side{field, {}};
        Flatten(field->message_type(), "", {}, &side.columns);
        sides_.push_back(std::move(side));
        continue;
      }
      std::vector<Column> columns;
      Flatten(type_.descriptor, "", {}, &columns);
      for (Column& column : columns) {
        if (column.path.front() != field) continue;
        fixed.insert(column.header);
        cells.push_back({Cell::Kind::kColumn, std::move(column), ""});
      }
    }
    for (const Cell& cell : cells) {
      switch (cell.kind) {
        case Cell::Kind::kColumn:
        case Cell::Kind::kCitations:
          headers_.push_back(cell.column.header);
          break;
        case Cell::Kind::kName:
          headers_.push_back(absl::StrCat("name:", cell.key));
          break;
        case Cell::Kind::kScheme:
          // A scheme named like a column gets a prefix.
          headers_.push_back(fixed.count(cell.key) > 0 ||
                                     absl::StartsWith(cell.key, "name:") ||
                                     absl::StartsWith(cell.key, "external_id:")
                                 ? absl::StrCat("external_id:", cell.key)
                                 : cell.key);
          break;
      }
    }
    cells_ = std::move(cells);
  }

  std::vector<std::string> Row(const Message& record) const {
    const Reflection* r = record.GetReflection();
    std::vector<std::string> row;
    // The best name of each language that holds on the day.
    std::map<std::string, const v1::Name*> best;
    if (const FieldDescriptor* names = Field<v1::Name>()) {
      for (int i = 0; i < r->FieldSize(record, names); ++i) {
        const auto& name = static_cast<const v1::Name&>(
            r->GetRepeatedMessage(record, names, i));
        if (!context_.Holds(name.validity())) continue;
        const v1::Name*& kept = best[Language(name)];
        if (kept == nullptr || Rank(name.kind()) < Rank(kept->kind())) {
          kept = &name;
        }
      }
    }
    std::map<std::string, std::vector<std::string>> ids;
    if (const FieldDescriptor* field = Field<v1::ExternalId>()) {
      for (int i = 0; i < r->FieldSize(record, field); ++i) {
        const auto& id = static_cast<const v1::ExternalId&>(
            r->GetRepeatedMessage(record, field, i));
        ids[id.scheme()].push_back(id.value());
      }
    }
    for (const Cell& cell : cells_) {
      switch (cell.kind) {
        case Cell::Kind::kColumn:
          row.push_back(Value(record, cell.column));
          break;
        case Cell::Kind::kName: {
          const auto found = best.find(cell.key);
          row.push_back(found == best.end() ? "" : found->second->text());
          break;
        }
        case Cell::Kind::kScheme: {
          const auto found = ids.find(cell.key);
          row.push_back(
              found == ids.end() ? "" : absl::StrJoin(found->second, "; "));
          break;
        }
        case Cell::Kind::kCitations: {
          std::vector<std::string> sources;
          const FieldDescriptor* field = cell.column.path.front();
          for (int i = 0; i < r->FieldSize(record, field); ++i) {
            const std::string& source =
                static_cast<const v1::Citation&>(
                    r->GetRepeatedMessage(record, field, i))
                    .source();
            // Each source once, in the order first cited.
            if (std::find(sources.begin(), sources.end(), source) ==
                sources.end()) {
              sources.push_back(source);
            }
          }
          row.push_back(absl::StrJoin(sources, "; "));
          break;
        }
      }
    }
    return row;
  }

  // Whether an element of a side file holds on the day: a name by its
  // validity, a role by its period; the others always.
  bool Holds(const Message& element) const {
    if (const auto* name = dynamic_cast<const v1::Name*>(&element)) {
      return context_.Holds(name->validity());
    }
    const FieldDescriptor* period =
        element.GetDescriptor()->FindFieldByName("period");
    if (period != nullptr && Is(period, v1::Period::descriptor()) &&
        element.GetDescriptor()->FindFieldByName("title") != nullptr) {
      return context_.Holds(static_cast<const v1::Period&>(
          element.GetReflection()->GetMessage(element, period)));
    }
    return true;
  }

  absl::Status WriteSide(const Message& record, const Side& side,
                         Sink* sink) const {
    const Reflection* r = record.GetReflection();
    const FieldDescriptor* name = type_.descriptor->FindFieldByName("name");
    const std::string record_name = r->GetString(record, name);
    for (int i = 0; i < r->FieldSize(record, side.field); ++i) {
      const Message& element = r->GetRepeatedMessage(record, side.field, i);
      if (!Holds(element)) continue;
      std::vector<std::string> row = {record_name};
      for (const Column& column : side.columns) {
        row.push_back(Value(element, column));
      }
      FR_RETURN_IF_ERROR(Put(sink, Line(row)));
    }
    return absl::OkStatus();
  }

  absl::Status Put(Sink* sink, const std::string& line) const {
    bytes_ += line.size();
    return sink->Write(line);
  }

  Context& context_;
  const domain::ResourceType& type_;
  FileSet* files_;
  int64_t& bytes_;
  std::set<std::string> languages_;
  std::set<std::string> schemes_;
  std::vector<Cell> cells_;
  std::vector<std::string> headers_;
  std::vector<Side> sides_;
};

}  // namespace

absl::Status WriteCsv(Context& context, FileSet* files) {
  int64_t bytes = 0;
  for (const domain::ResourceType& type : domain::Resources()) {
    FR_RETURN_IF_ERROR(KindWriter(context, type, files, bytes).Write());
  }
  return files->Finish();
}

}  // namespace forum_registry::exports::internal
