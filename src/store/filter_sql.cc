#include "src/store/filter_sql.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/descriptor.h"
#include "src/domain/partial_date.h"

namespace forum_registry::store {
namespace {

using domain::filter::FieldType;
using domain::filter::Node;
using domain::filter::Op;

class Compiler {
 public:
  Compiler(const std::map<std::string, Column>& columns,
           std::vector<std::string>* params)
      : columns_(columns), params_(params) {}

  absl::StatusOr<std::string> Compile(const Node& node) {
    switch (node.kind) {
      case Node::Kind::kAnd:
      case Node::Kind::kOr: {
        std::vector<std::string> parts;
        for (const Node& child : node.children) {
          absl::StatusOr<std::string> part = Compile(child);
          if (!part.ok()) return part.status();
          parts.push_back(absl::StrCat("(", *part, ")"));
        }
        return absl::StrJoin(parts,
                             node.kind == Node::Kind::kAnd ? " AND " : " OR ");
      }
      case Node::Kind::kNot: {
        ++negations_;
        absl::StatusOr<std::string> inner = Compile(node.children.at(0));
        --negations_;
        if (!inner.ok()) return inner.status();
        return absl::StrCat("NOT (", *inner, ")");
      }
      case Node::Kind::kComparison:
        break;
    }
    absl::StatusOr<std::string> comparison = Comparison(node.comparison);
    if (!comparison.ok()) return comparison.status();
    // A comparison with an absent value is NULL. Outside any NOT, WHERE
    // treats NULL as false through AND and OR alike, so the comparison
    // stays bare and an index on its column can serve it. Under a NOT it
    // must be false, never NULL, so that NOT is the plain complement.
    if (negations_ == 0) return *comparison;
    return absl::StrCat("coalesce((", *comparison, "), false)");
  }

 private:
  std::string Param(std::string value) {
    params_->push_back(std::move(value));
    return absl::StrCat("$", params_->size());
  }

  static const char* SqlOp(Op op) {
    switch (op) {
      case Op::kEq:
        return "=";
      case Op::kNe:
        return "<>";
      case Op::kLt:
        return "<";
      case Op::kLe:
        return "<=";
      case Op::kGt:
        return ">";
      case Op::kGe:
        return ">=";
      case Op::kHas:
        return "=";
    }
    return "=";
  }

  // `value` as a LIKE pattern that matches it literally.
  static std::string EscapeLike(const std::string& value) {
    std::string out;
    for (char c : value) {
      if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out;
  }

  absl::StatusOr<std::string> Comparison(
      const domain::filter::Comparison& comparison) {
    const auto column = columns_.find(comparison.field->name);
    if (column == columns_.end()) {
      return absl::InternalError(absl::StrCat("filter field without a column: ",
                                              comparison.field->name));
    }
    const std::string& e = column->second.sql;
    const auto& value = comparison.value.value;
    const Op op = comparison.op;
    switch (comparison.field->type) {
      case FieldType::kString: {
        // An unset proto3 string is "", as an unset enum, reference or
        // number is its zero value: `!=` holds for it, and `=` "" finds it.
        const std::string text_sql =
            absl::StrCat("coalesce(", column->second.sql, ", '')");
        const std::string& text = std::get<std::string>(value);
        if (op == Op::kHas) {
          return absl::StrCat("strpos(lower(", text_sql, "), lower(",
                              Param(text), ")) > 0");
        }
        if (comparison.value.wildcard_prefix ||
            comparison.value.wildcard_suffix) {
          const std::string pattern = absl::StrCat(
              comparison.value.wildcard_prefix ? "%" : "", EscapeLike(text),
              comparison.value.wildcard_suffix ? "%" : "");
          return absl::StrCat(text_sql, op == Op::kNe ? " NOT LIKE " : " LIKE ",
                              Param(pattern));
        }
        return absl::StrCat(text_sql, " ", SqlOp(op), " ", Param(text),
                            " COLLATE \"C\"");
      }
      case FieldType::kEnum: {
        const auto* unspecified =
            comparison.field->enum_type->FindValueByNumber(0);
        return absl::StrCat("coalesce(", e, ", '",
                            unspecified == nullptr ? "" : unspecified->name(),
                            "') ", SqlOp(op), " ",
                            Param(std::get<std::string>(value)));
      }
      case FieldType::kReference: {
        // Written so that an index on the column serves `=`: a name is
        // never "", so `= "forums/arf"` needs no coalesce, and `= ""`
        // (none) is the column being null or empty.
        const std::string& name = std::get<std::string>(value);
        if (op == Op::kEq) {
          return name.empty()
                     ? absl::StrCat("(", e, " IS NULL OR ", e, " = '')")
                     : absl::StrCat(e, " = ", Param(name));
        }
        return absl::StrCat("coalesce(", e, ", '') ", SqlOp(op), " ",
                            Param(name));
      }
      case FieldType::kBool:
        return absl::StrCat(
            "coalesce((", e, ")::boolean, false) ", SqlOp(op), " ",
            Param(std::get<bool>(value) ? "true" : "false"), "::boolean");
      case FieldType::kInteger:
        return absl::StrCat("coalesce((", e, ")::bigint, 0) ", SqlOp(op), " ",
                            Param(absl::StrCat(std::get<int64_t>(value))),
                            "::bigint");
      case FieldType::kDate: {
        const domain::DayRange days =
            domain::CoveredDays(std::get<domain::PartialDate>(value));
        const std::string first = absl::FormatCivilTime(*days.first);
        const std::string last = absl::FormatCivilTime(*days.last);
        if (column->second.one_day &&
            (op == Op::kEq || op == Op::kHas || op == Op::kNe)) {
          // [d, d] overlaps [first, last] exactly when d lies within it.
          const std::string within =
              absl::StrCat("lower(", e, ") BETWEEN ", Param(first),
                           "::date AND ", Param(last), "::date");
          return op == Op::kNe ? absl::StrCat("NOT (", within, ")")
                               : absl::StrCat("(", within, ")");
        }
        switch (op) {
          case Op::kEq:
          case Op::kHas:
            return absl::StrCat(e, " && daterange(", Param(first), "::date, ",
                                Param(last), "::date, '[]')");
          case Op::kNe:
            return absl::StrCat("NOT (", e, " && daterange(", Param(first),
                                "::date, ", Param(last), "::date, '[]'))");
          case Op::kLt:
            return absl::StrCat("lower(", e, ") < ", Param(first), "::date");
          case Op::kGe:
            return absl::StrCat("lower(", e, ") >= ", Param(first), "::date");
          case Op::kLe:
            return absl::StrCat("lower(", e, ") <= ", Param(last), "::date");
          case Op::kGt:
            return absl::StrCat("lower(", e, ") > ", Param(last), "::date");
        }
        break;
      }
      case FieldType::kDay:
        return absl::StrCat(
            e, " @> ",
            Param(absl::FormatCivilTime(std::get<absl::CivilDay>(value))),
            "::date");
      case FieldType::kStringList:
        return absl::StrCat(e, " ? ", Param(std::get<std::string>(value)));
      case FieldType::kNames:
      case FieldType::kExternalIds:
      case FieldType::kCitedSources:
        // Array containment, which the GIN index on the names serves
        // (`= ANY` would read every row).
        return absl::StrCat(e, " @> ARRAY[lower(",
                            Param(std::get<std::string>(value)), ")]");
    }
    return absl::InternalError("filter: unhandled field type");
  }

  const std::map<std::string, Column>& columns_;
  std::vector<std::string>* params_;
  int negations_ = 0;  // NOTs above the node being compiled
};

}  // namespace

absl::StatusOr<std::string> FilterToSql(
    const domain::filter::Node& filter,
    const std::map<std::string, Column>& columns,
    std::vector<std::string>* params) {
  return Compiler(columns, params).Compile(filter);
}

}  // namespace forum_registry::store
