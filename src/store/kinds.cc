#include "src/store/kinds.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace forum_registry::store {
namespace {

using domain::FilterField;
using domain::Storage;
using domain::filter::FieldType;

// "venue.city" -> "{venue,city}", a path for #> and #>>.
std::string PathArray(const std::string& dotted) {
  return absl::StrCat("{", absl::StrJoin(absl::StrSplit(dotted, '.'), ","),
                      "}");
}

// The body's text at a path: `body->>'kind'`, `body#>>'{venue,city}'`.
std::string BodyText(const std::string& dotted) {
  if (dotted.find('.') == std::string::npos) {
    return absl::StrCat("body->>'", dotted, "'");
  }
  return absl::StrCat("body#>>'", PathArray(dotted), "'");
}

// A filter field's SQL, and for the fields order_by accepts a never-NULL
// sort expression and its type.
Column ColumnOf(const FilterField& field) {
  const std::string& at = field.location;
  const FieldType type = field.spec.type;
  if (field.storage == Storage::kColumn) {
    if (type == FieldType::kDate) {
      // A daterange column. A required date's column is NOT NULL and its
      // first day never open: ordered by lower() as it is, an index on
      // lower() (sessions_start) serves the order; coalesce() would hide it.
      if (field.required) return {at, absl::StrCat("lower(", at, ")"), "date"};
      return {at, absl::StrCat("coalesce(lower(", at, "), '-infinity'::date)"),
              "date"};
    }
    return {at, at, type == FieldType::kInteger ? "bigint" : "text"};
  }
  switch (type) {
    case FieldType::kDate: {
      // A partial date inside the body, as the range of days it covers.
      const std::string range =
          absl::StrCat("partial_date_range(body#>'", PathArray(at), "')");
      return {range,
              absl::StrCat("coalesce(lower(", range, "), '-infinity'::date)"),
              "date"};
    }
    case FieldType::kInteger: {
      const std::string number =
          absl::StrCat("coalesce((", BodyText(at), ")::bigint, 0)");
      return {number, number, "bigint"};
    }
    case FieldType::kStringList:
      // A JSON array of strings, gathered across repeated messages if the
      // path goes through any.
      if (field.through_repeated) {
        return {absl::StrCat("jsonb_path_query_array(body, '", field.json_path,
                             "')")};
      }
      return {absl::StrCat("coalesce(body#>'", PathArray(at), "', '[]')")};
    default:
      return {BodyText(at), BodyText(at), "text"};
  }
}

}  // namespace

ResourceKind KindOf(const domain::ResourceType& type) {
  ResourceKind kind{.table = type.table,
                    .collection = type.collection,
                    .parent_collection = type.parent_collection,
                    .singular = type.label,
                    .references_table = type.ReferencesTable(),
                    .references_column = type.field};
  if (type.parent != nullptr) {
    kind.parent_column = type.parent->field;
    kind.parent_table = type.parent->table;
  }
  for (const domain::ResourceType* child : type.children) {
    kind.children.push_back(child->table);
    kind.child_parent_column = type.field;
    if (child->referenced) {
      kind.child_references.emplace_back(child->ReferencesTable(),
                                         child->field);
    }
  }
  for (const FilterField& field : type.filters) {
    kind.columns[field.spec.name] = ColumnOf(field);
  }
  for (const char* time : {"create_time", "update_time"}) {
    kind.columns[time] = {time, time, "timestamptz"};
  }
  // A sort expression is what lets List order by a field: the fields
  // order_by does not accept keep none, so nothing can order by them.
  const std::set<std::string> sortable(type.order_by.begin(),
                                       type.order_by.end());
  for (auto& [name, column] : kind.columns) {
    if (!sortable.contains(name)) column.sort_sql = column.sort_type = "";
  }
  return kind;
}

}  // namespace forum_registry::store
