#include "src/domain/filter.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/domain/partial_date.h"
#include "src/domain/resource_name.h"
#include "src/domain/validation.h"

namespace forum_registry::domain::filter {
namespace {

using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;

// ---------------------------------------------------------------------------
// Characters

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsControl(unsigned char c) {
  return (c < 0x20 && !IsSpace(static_cast<char>(c))) || c == 0x7f;
}

// Characters that end a bare word. '-' only starts a token on its own; inside
// a word ("2023-06-01") it is part of it.
constexpr absl::string_view kDelimiters = "()=!<>:\"";

bool IsWordChar(char c) {
  return !IsSpace(c) && kDelimiters.find(c) == absl::string_view::npos;
}

// The offset of the first byte that does not start a valid UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF are invalid),
// or npos.
size_t FindInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code_point = 0;
    uint32_t min = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
      min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
      min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
      min = 0x10000;
    } else {
      return i;
    }
    if (length > text.size() - i) return i;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < min || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return absl::string_view::npos;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// 1-based character position of byte `offset` in valid UTF-8 `text`.
int CharPosition(absl::string_view text, size_t offset) {
  int position = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++position;
  }
  return position;
}

// A client's text, in quotes, for an error message (domain::Quote, cut
// shorter: a filter's message also points at a position).
std::string Quoted(absl::string_view text) {
  return absl::StrCat("\"", Quote(text, 40), "\"");
}

// ---------------------------------------------------------------------------
// Fields and operators

std::vector<Op> AllowedOps(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return {Op::kEq, Op::kNe, Op::kLt, Op::kLe, Op::kGt, Op::kGe, Op::kHas};
    case FieldType::kInteger:
    case FieldType::kDate:
      return {Op::kEq, Op::kNe, Op::kLt, Op::kLe, Op::kGt, Op::kGe};
    case FieldType::kEnum:
    case FieldType::kBool:
    case FieldType::kReference:
      return {Op::kEq, Op::kNe};
    case FieldType::kDay:
      return {Op::kEq};
    case FieldType::kStringList:
      return {Op::kHas};
    case FieldType::kNames:
    case FieldType::kExternalIds:
    case FieldType::kCitedSources:
      return {Op::kHas, Op::kEq};
  }
  return {};
}

// The part of an enum's value names that they all share: "FORUM_STATUS_".
std::string EnumPrefix(const EnumDescriptor& type) {
  for (int i = 0; i < type.value_count(); ++i) {
    const std::string name(type.value(i)->name());
    if (type.value(i)->number() == 0 && absl::EndsWith(name, "_UNSPECIFIED")) {
      return name.substr(0, name.size() - std::string("UNSPECIFIED").size());
    }
  }
  if (type.value_count() == 0) return "";
  std::string prefix(type.value(0)->name());
  for (int i = 1; i < type.value_count(); ++i) {
    const std::string name(type.value(i)->name());
    size_t common = 0;
    while (common < prefix.size() && common < name.size() &&
           prefix[common] == name[common]) {
      ++common;
    }
    prefix.resize(common);
  }
  const size_t underscore = prefix.rfind('_');
  return underscore == std::string::npos ? ""
                                         : prefix.substr(0, underscore + 1);
}

bool IsUnspecified(const EnumValueDescriptor& value) {
  return value.number() == 0 &&
         absl::EndsWith(std::string(value.name()), "UNSPECIFIED");
}

// Value names without the prefix ("ACTIVE"), in declaration order, without
// the UNSPECIFIED value.
std::vector<std::string> ShortNames(const EnumDescriptor& type) {
  const std::string prefix = EnumPrefix(type);
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) {
    const EnumValueDescriptor& value = *type.value(i);
    if (IsUnspecified(value)) continue;
    const std::string name(value.name());
    names.push_back(absl::StartsWith(name, prefix) ? name.substr(prefix.size())
                                                   : name);
  }
  return names;
}

// What a field of `type` takes, for error messages.
std::string Expects(const FieldSpec& field) {
  const std::string& name = field.name;
  switch (field.type) {
    case FieldType::kString:
    case FieldType::kStringList:
    case FieldType::kNames:
      return absl::StrCat("takes a string in double quotes, e.g. ", name,
                          field.type == FieldType::kString ? " = " : ":",
                          "\"text\"");
    case FieldType::kEnum:
      return absl::StrCat(
          "takes one of ",
          field.enum_type != nullptr
              ? absl::StrJoin(ShortNames(*field.enum_type), ", ")
              : "its values");
    case FieldType::kInteger:
      return absl::StrCat("takes an integer without quotes, e.g. ", name,
                          " = 3");
    case FieldType::kBool:
      return absl::StrCat("takes true or false, e.g. ", name, " = true");
    case FieldType::kDate:
      return absl::StrCat(
          "takes a date in double quotes: \"YYYY\", \"YYYY-MM\" or "
          "\"YYYY-MM-DD\", e.g. ",
          name, " >= \"1994\"");
    case FieldType::kDay:
      return absl::StrCat("takes a full date in double quotes, e.g. ", name,
                          " = \"2024-03-01\"");
    case FieldType::kReference:
    case FieldType::kCitedSources:
      return absl::StrCat(
          "takes a resource name in double quotes, e.g. ", name, " = \"",
          field.collection.empty() ? "forums" : field.collection, "/id\"");
    case FieldType::kExternalIds:
      return absl::StrCat("takes an external id in double quotes, e.g. ", name,
                          ":\"wikidata:Q7768\"");
  }
  return "";
}

// ---------------------------------------------------------------------------
// Tokens

enum class TokenKind {
  kEnd,
  kWord,  // a run of word characters: field, identifier, number, keyword
  kString,
  kLeftParen,
  kRightParen,
  kMinus,
  kOperator,
  kError,  // a lexical error, reported when the parser reaches it
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t begin = 0;  // byte offsets
  size_t end = 0;
  std::string text;  // kWord: as written; kString: decoded
  // kString: the first / last character is an unescaped '*'.
  bool leading_star = false;
  bool trailing_star = false;
  Op op = Op::kEq;     // kOperator
  absl::Status error;  // kError
};

bool IsKeyword(const Token& token) {
  return token.kind == TokenKind::kWord &&
         (token.text == "AND" || token.text == "OR" || token.text == "NOT");
}

bool IsKeyword(const Token& token, absl::string_view keyword) {
  return token.kind == TokenKind::kWord && token.text == keyword;
}

// A value as written, before it is checked against its field.
struct RawValue {
  bool quoted = false;
  std::string text;
  size_t begin = 0;
  bool leading_star = false;
  bool trailing_star = false;
};

// ---------------------------------------------------------------------------
// Building the tree

Node MakeJunction(Node::Kind kind, std::vector<Node> parts) {
  if (parts.size() == 1) return std::move(parts[0]);
  Node node;
  node.kind = kind;
  for (Node& part : parts) {
    if (part.kind == kind) {
      for (Node& child : part.children) {
        node.children.push_back(std::move(child));
      }
    } else {
      node.children.push_back(std::move(part));
    }
  }
  return node;
}

Node MakeNot(Node child) {
  if (child.kind == Node::Kind::kNot) return std::move(child.children[0]);
  Node node;
  node.kind = Node::Kind::kNot;
  node.children.push_back(std::move(child));
  return node;
}

// ---------------------------------------------------------------------------
// Parser: recursive descent over the grammar in filter.h, one token of
// lookahead. It recurses only into parentheses, which are counted.

class Parser {
 public:
  Parser(absl::string_view text, const Schema& schema)
      : text_(text), schema_(schema) {
    Advance();
  }

  absl::StatusOr<Node> ParseFilter() {
    absl::StatusOr<Node> node = ParseExpression(0, "");
    if (!node.ok()) return node.status();
    if (current_.kind == TokenKind::kRightParen) {
      return ErrorAt(current_.begin, "')' closes no '('");
    }
    if (current_.kind != TokenKind::kEnd) {
      return Unexpected("AND, OR or the end of the filter");
    }
    return node;
  }

 private:
  // expression = sequence { "AND" sequence }
  absl::StatusOr<Node> ParseExpression(int depth, absl::string_view after) {
    std::vector<Node> parts;
    absl::StatusOr<Node> part = ParseSequence(depth, after);
    if (!part.ok()) return part.status();
    parts.push_back(*std::move(part));
    while (IsKeyword(current_, "AND")) {
      Advance();
      part = ParseSequence(depth, "AND");
      if (!part.ok()) return part.status();
      parts.push_back(*std::move(part));
    }
    return MakeJunction(Node::Kind::kAnd, std::move(parts));
  }

  // sequence = factor { factor }
  absl::StatusOr<Node> ParseSequence(int depth, absl::string_view after) {
    std::vector<Node> parts;
    absl::StatusOr<Node> part = ParseFactor(depth, after);
    if (!part.ok()) return part.status();
    parts.push_back(*std::move(part));
    while (current_.kind != TokenKind::kEnd &&
           current_.kind != TokenKind::kRightParen &&
           !IsKeyword(current_, "AND")) {
      part = ParseFactor(depth, "");
      if (!part.ok()) return part.status();
      parts.push_back(*std::move(part));
    }
    return MakeJunction(Node::Kind::kAnd, std::move(parts));
  }

  // factor = term { "OR" term }
  absl::StatusOr<Node> ParseFactor(int depth, absl::string_view after) {
    std::vector<Node> parts;
    absl::StatusOr<Node> part = ParseTerm(depth, after);
    if (!part.ok()) return part.status();
    parts.push_back(*std::move(part));
    while (IsKeyword(current_, "OR")) {
      Advance();
      part = ParseTerm(depth, "OR");
      if (!part.ok()) return part.status();
      parts.push_back(*std::move(part));
    }
    return MakeJunction(Node::Kind::kOr, std::move(parts));
  }

  // term = [ "NOT" | "-" ] simple. Repeated negations are read in a loop,
  // not by recursion, and cancel out in pairs.
  absl::StatusOr<Node> ParseTerm(int depth, absl::string_view after) {
    bool negated = false;
    while (IsKeyword(current_, "NOT") || current_.kind == TokenKind::kMinus) {
      after = current_.kind == TokenKind::kMinus ? "'-'" : "NOT";
      negated = !negated;
      Advance();
    }
    absl::StatusOr<Node> simple = ParseSimple(depth, after);
    if (!simple.ok() || !negated) return simple;
    return MakeNot(*std::move(simple));
  }

  // simple = comparison | "(" expression ")"
  absl::StatusOr<Node> ParseSimple(int depth, absl::string_view after) {
    if (current_.kind == TokenKind::kLeftParen) {
      const size_t open = current_.begin;
      if (depth >= kMaxDepth) {
        return ErrorAt(open, absl::StrCat("parentheses nest more than ",
                                          kMaxDepth, " deep"));
      }
      Advance();
      absl::StatusOr<Node> inner = ParseExpression(depth + 1, "'('");
      if (!inner.ok()) return inner.status();
      if (current_.kind != TokenKind::kRightParen) {
        return Unexpected(absl::StrCat("')' to close the '(' at position ",
                                       CharPosition(text_, open)));
      }
      Advance();
      return inner;
    }
    if (current_.kind == TokenKind::kWord && !IsKeyword(current_)) {
      return ParseComparison();
    }
    return Unexpected(absl::StrCat("a comparison such as name = \"value\"",
                                   after.empty() ? "" : " after ", after));
  }

  // comparison = field op value
  absl::StatusOr<Node> ParseComparison() {
    const Token name = current_;
    const FieldSpec* field = FindField(name.text);
    if (field == nullptr) return UnknownField(name);
    if (field->type == FieldType::kEnum && field->enum_type == nullptr) {
      return absl::InternalError(absl::StrCat(
          "filter schema: field ", field->name, " is kEnum without enum_type"));
    }
    if (++comparisons_ > kMaxComparisons) {
      return ErrorAt(name.begin, absl::StrCat("a filter may have at most ",
                                              kMaxComparisons, " comparisons"));
    }
    Advance();
    if (current_.kind != TokenKind::kOperator) {
      return Unexpected(absl::StrCat(
          "an operator (=, !=, <, <=, >, >= or :) after ", field->name));
    }
    const Token op = current_;
    const std::vector<Op> allowed = AllowedOps(field->type);
    if (std::find(allowed.begin(), allowed.end(), op.op) == allowed.end()) {
      std::vector<std::string> names;
      for (Op a : allowed) names.push_back(absl::StrCat("'", OpToken(a), "'"));
      return ErrorAt(op.begin, absl::StrCat(field->name, ": '", OpToken(op.op),
                                            "' is not allowed; use ",
                                            absl::StrJoin(names, " or ")));
    }
    Advance();
    absl::StatusOr<RawValue> raw = ParseValue(op.op);
    if (!raw.ok()) return raw.status();

    Node node;
    node.kind = Node::Kind::kComparison;
    node.comparison.field = field;
    node.comparison.op = op.op;
    node.comparison.position = CharPosition(text_, name.begin);
    if (field->type == FieldType::kNames ||
        field->type == FieldType::kExternalIds ||
        field->type == FieldType::kCitedSources) {
      node.comparison.op = Op::kHas;
    }
    absl::StatusOr<Literal> literal = Resolve(*field, op.op, *std::move(raw));
    if (!literal.ok()) return literal.status();
    node.comparison.value = *std::move(literal);
    return node;
  }

  // value = string | [ "-" ] word
  absl::StatusOr<RawValue> ParseValue(Op op) {
    const std::string expected =
        absl::StrCat("a value after '", OpToken(op), "'");
    RawValue raw;
    raw.begin = current_.begin;
    if (current_.kind == TokenKind::kString) {
      raw.quoted = true;
      raw.text = std::move(current_.text);
      raw.leading_star = current_.leading_star;
      raw.trailing_star = current_.trailing_star;
      Advance();
      return raw;
    }
    if (current_.kind == TokenKind::kMinus) {
      const size_t minus_end = current_.end;
      Advance();
      if (current_.kind != TokenKind::kWord || IsKeyword(current_) ||
          current_.begin != minus_end) {
        return ErrorAt(raw.begin, absl::StrCat("expected ", expected));
      }
      raw.text = absl::StrCat("-", current_.text);
      Advance();
      return raw;
    }
    if (current_.kind == TokenKind::kWord && !IsKeyword(current_)) {
      raw.text = std::move(current_.text);
      Advance();
      return raw;
    }
    return Unexpected(expected);
  }

  // Checks a value against its field and makes it a typed Literal.
  absl::StatusOr<Literal> Resolve(const FieldSpec& field, Op op, RawValue raw) {
    const auto wrong = [&] {
      return FieldError(raw.begin, field, Expects(field));
    };
    Literal literal;
    switch (field.type) {
      case FieldType::kString:
        if (!raw.quoted) return wrong();
        if (op == Op::kEq || op == Op::kNe) {
          if (raw.leading_star) {
            raw.text.erase(0, 1);
            literal.wildcard_prefix = true;
          }
          // For "*" the trailing star was the leading one.
          if (raw.trailing_star && !raw.text.empty()) {
            raw.text.pop_back();
            literal.wildcard_suffix = true;
          }
        }
        literal.value = std::move(raw.text);
        return literal;
      case FieldType::kStringList:
      case FieldType::kNames:
        if (!raw.quoted) return wrong();
        literal.value = std::move(raw.text);
        return literal;
      case FieldType::kExternalIds:
        if (!raw.quoted) return wrong();
        if (absl::Status s = CheckExternalIdText(raw.text, field.name);
            !s.ok()) {
          return ErrorAt(raw.begin, s.message());
        }
        literal.value = std::move(raw.text);
        return literal;
      case FieldType::kCitedSources:
      case FieldType::kReference:
        if (!raw.quoted) return wrong();
        if (!field.collection.empty()) {
          // A reference may be "" (none); a cited source is a source.
          if (absl::Status s = ValidateName(
                  raw.text, field.collection, field.name,
                  /*required=*/field.type == FieldType::kCitedSources);
              !s.ok()) {
            return ErrorAt(raw.begin, s.message());
          }
        }
        literal.value = std::move(raw.text);
        return literal;
      case FieldType::kEnum: {
        absl::StatusOr<std::string> name = ResolveEnum(field, raw);
        if (!name.ok()) return name.status();
        literal.value = *std::move(name);
        return literal;
      }
      case FieldType::kInteger: {
        absl::string_view digits = raw.text;
        if (absl::StartsWith(digits, "-")) digits.remove_prefix(1);
        if (raw.quoted || digits.empty() ||
            digits.find_first_not_of("0123456789") != absl::string_view::npos) {
          return wrong();
        }
        int64_t number;
        if (!absl::SimpleAtoi(raw.text, &number)) {
          return FieldError(raw.begin, field,
                            absl::StrCat(Quoted(raw.text),
                                         " is out of range for a 64-bit "
                                         "integer"));
        }
        literal.value = number;
        return literal;
      }
      case FieldType::kBool:
        if (raw.quoted || (raw.text != "true" && raw.text != "false")) {
          return wrong();
        }
        literal.value = raw.text == "true";
        return literal;
      case FieldType::kDate: {
        if (!raw.quoted) return wrong();
        absl::StatusOr<PartialDate> date = ParsePartialDate(raw.text);
        if (!date.ok()) {
          return FieldError(
              raw.begin, field,
              absl::StrCat(Quoted(raw.text),
                           " is not a date: use \"YYYY\", \"YYYY-MM\" or "
                           "\"YYYY-MM-DD\", a real date in years 1 to 9999"));
        }
        literal.value = *std::move(date);
        return literal;
      }
      case FieldType::kDay: {
        if (!raw.quoted) return wrong();
        absl::StatusOr<PartialDate> date = ParsePartialDate(raw.text);
        if (!date.ok() || date->day() == 0) {
          return FieldError(
              raw.begin, field,
              absl::StrCat(Quoted(raw.text),
                           " is not a full date: use \"YYYY-MM-DD\", a real "
                           "date in years 1 to 9999"));
        }
        literal.value =
            absl::CivilDay(date->year(), date->month(), date->day());
        return literal;
      }
    }
    return absl::InternalError("filter: unknown field type");
  }

  // A full value name of the field's enum, from a full or short name.
  absl::StatusOr<std::string> ResolveEnum(const FieldSpec& field,
                                          const RawValue& raw) const {
    const EnumDescriptor& type = *field.enum_type;
    const std::string prefix = EnumPrefix(type);
    const auto find =
        [&](const std::string& text) -> const EnumValueDescriptor* {
      const EnumValueDescriptor* value = type.FindValueByName(text);
      if (value == nullptr) value = type.FindValueByName(prefix + text);
      return value != nullptr && !IsUnspecified(*value) ? value : nullptr;
    };
    if (const EnumValueDescriptor* value = find(raw.text)) {
      return std::string(value->name());
    }
    const bool lower_case = find(absl::AsciiStrToUpper(raw.text)) != nullptr;
    return FieldError(
        raw.begin, field,
        absl::StrCat(Quoted(raw.text), " is not a value you can filter on",
                     lower_case ? " (value names are upper case)" : "",
                     "; use one of ", absl::StrJoin(ShortNames(type), ", ")));
  }

  const FieldSpec* FindField(absl::string_view name) const {
    for (const FieldSpec& field : schema_) {
      if (field.name == name) return &field;
    }
    return nullptr;
  }

  absl::Status UnknownField(const Token& name) const {
    std::vector<absl::string_view> names;
    for (const FieldSpec& field : schema_) names.push_back(field.name);
    const std::string lower = absl::AsciiStrToLower(name.text);
    const bool keyword = lower == "and" || lower == "or" || lower == "not";
    return ErrorAt(
        name.begin,
        absl::StrCat(
            "unknown field ", Quoted(name.text),
            keyword ? " (write AND, OR and NOT in upper case)" : "",
            "; fields you can filter on: ", absl::StrJoin(names, ", ")));
  }

  // -------------------------------------------------------------------------
  // Lexer: reads the next token into current_.

  void Advance() { current_ = Lex(); }

  Token Lex() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
    Token token;
    token.begin = pos_;
    if (pos_ == text_.size()) {
      token.end = pos_;
      return token;
    }
    const char c = text_[pos_];
    const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    const auto single = [&](TokenKind kind, size_t length = 1) {
      token.kind = kind;
      pos_ += length;
      token.end = pos_;
      return token;
    };
    const auto op = [&](Op o, size_t length = 1) {
      token.op = o;
      return single(TokenKind::kOperator, length);
    };
    switch (c) {
      case '(':
        return single(TokenKind::kLeftParen);
      case ')':
        return single(TokenKind::kRightParen);
      case '-':
        return single(TokenKind::kMinus);
      case '"':
        return LexString();
      case ':':
        return op(Op::kHas);
      case '=':
        return op(Op::kEq);
      case '<':
        return next == '=' ? op(Op::kLe, 2) : op(Op::kLt);
      case '>':
        return next == '=' ? op(Op::kGe, 2) : op(Op::kGt);
      case '!':
        if (next == '=') return op(Op::kNe, 2);
        return ErrorToken(pos_,
                          "'!' is not an operator: use != to compare, or NOT "
                          "or '-' to negate");
      default:
        break;
    }
    size_t end = pos_;
    while (end < text_.size() && IsWordChar(text_[end])) ++end;
    token.kind = TokenKind::kWord;
    token.text = std::string(text_.substr(pos_, end - pos_));
    pos_ = end;
    token.end = end;
    return token;
  }

  Token LexString() {
    Token token;
    token.kind = TokenKind::kString;
    token.begin = pos_;
    size_t i = pos_ + 1;
    bool first = true;
    while (true) {
      if (i >= text_.size()) {
        return ErrorToken(token.begin,
                          "unterminated string: it needs a closing '\"'");
      }
      const char c = text_[i];
      if (c == '"') break;
      if (c == '\\') {
        const char escaped = i + 1 < text_.size() ? text_[i + 1] : '\0';
        size_t length = 2;
        switch (escaped) {
          case '"':
          case '\\':
          case '*':
            token.text.push_back(escaped);
            break;
          case 'n':
            token.text.push_back('\n');
            break;
          case 'r':
            token.text.push_back('\r');
            break;
          case 't':
            token.text.push_back('\t');
            break;
          case 'u': {
            uint32_t code_point = 0;
            const absl::string_view hex = text_.substr(i + 2, 4);
            if (hex.size() != 4 ||
                hex.find_first_not_of("0123456789abcdefABCDEF") !=
                    absl::string_view::npos) {
              return ErrorToken(i, "\\u needs four hex digits, e.g. \\u00e9");
            }
            for (char h : hex) {
              const auto u = static_cast<unsigned char>(h);
              code_point =
                  code_point * 16 + (absl::ascii_isdigit(u)
                                         ? u - '0'
                                         : absl::ascii_tolower(u) - 'a' + 10);
            }
            if (code_point >= 0xD800 && code_point <= 0xDFFF) {
              return ErrorToken(i, absl::StrCat("\\u", hex,
                                                " is half of a surrogate pair; "
                                                "write the character itself"));
            }
            if (code_point < 0x80 &&
                IsControl(static_cast<unsigned char>(code_point))) {
              return ErrorToken(
                  i, absl::StrCat("\\u", hex, " is a control character"));
            }
            AppendUtf8(code_point, &token.text);
            length = 6;
            break;
          }
          default:
            return ErrorToken(
                i,
                absl::StrCat(
                    "unknown escape",
                    absl::ascii_isgraph(static_cast<unsigned char>(escaped))
                        ? absl::StrCat(" \\", std::string(1, escaped))
                        : "",
                    " in a string: use \\\" \\\\ \\* \\n \\r \\t or \\uXXXX"));
        }
        token.trailing_star = false;
        if (first) token.leading_star = false;
        i += length;
      } else {
        token.text.push_back(c);
        token.trailing_star = c == '*';
        if (first) token.leading_star = c == '*';
        ++i;
      }
      first = false;
    }
    pos_ = i + 1;
    token.end = pos_;
    return token;
  }

  // An error token at `offset`; lexing stops there.
  Token ErrorToken(size_t offset, absl::string_view message) {
    Token token;
    token.kind = TokenKind::kError;
    token.begin = offset;
    token.end = offset;
    token.error = ErrorAt(offset, message);
    pos_ = text_.size();
    return token;
  }

  // -------------------------------------------------------------------------
  // Errors

  absl::Status ErrorAt(size_t offset, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter: at position ", CharPosition(text_, offset), ": ", message));
  }

  absl::Status FieldError(size_t offset, const FieldSpec& field,
                          absl::string_view message) const {
    return ErrorAt(offset, absl::StrCat(field.name, ": ", message));
  }

  // "expected X[, got Y]" at the current token, or the lexical error there.
  absl::Status Unexpected(absl::string_view expected) const {
    if (current_.kind == TokenKind::kError) return current_.error;
    return ErrorAt(
        current_.begin,
        absl::StrCat("expected ", expected,
                     current_.kind == TokenKind::kEnd ? "" : ", got ",
                     Describe(current_)));
  }

  static std::string Describe(const Token& token) {
    switch (token.kind) {
      case TokenKind::kEnd:
        return "";
      case TokenKind::kWord:
        return IsKeyword(token) ? token.text : Quoted(token.text);
      case TokenKind::kString:
        return "a string";
      case TokenKind::kLeftParen:
        return "'('";
      case TokenKind::kRightParen:
        return "')'";
      case TokenKind::kMinus:
        return "'-'";
      case TokenKind::kOperator:
        return absl::StrCat("'", OpToken(token.op), "'");
      case TokenKind::kError:
        return "";
    }
    return "";
  }

  const absl::string_view text_;
  const Schema& schema_;
  size_t pos_ = 0;
  Token current_;
  int comparisons_ = 0;
};

// ---------------------------------------------------------------------------
// Canonical text

// A string as a filter would write it; a literal '*' at either end is
// escaped so that it cannot be read as a wildcard.
std::string QuoteLiteral(absl::string_view text, bool prefix, bool suffix) {
  std::string out = prefix ? "\"*" : "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '*':
        out += (i == 0 || i + 1 == text.size()) ? "\\*" : "*";
        break;
      default:
        out.push_back(c);
    }
  }
  out += suffix ? "*\"" : "\"";
  return out;
}

std::string CanonicalLiteral(const Comparison& comparison) {
  const Literal& literal = comparison.value;
  if (const auto* text = std::get_if<std::string>(&literal.value)) {
    if (comparison.field != nullptr &&
        comparison.field->type == FieldType::kEnum) {
      return *text;
    }
    return QuoteLiteral(*text, literal.wildcard_prefix,
                        literal.wildcard_suffix);
  }
  if (const auto* number = std::get_if<int64_t>(&literal.value)) {
    return absl::StrCat(*number);
  }
  if (const auto* flag = std::get_if<bool>(&literal.value)) {
    return *flag ? "true" : "false";
  }
  if (const auto* date = std::get_if<PartialDate>(&literal.value)) {
    return absl::StrCat("\"", FormatPartialDate(*date), "\"");
  }
  const auto& day = std::get<absl::CivilDay>(literal.value);
  return absl::StrFormat("\"%04d-%02d-%02d\"", day.year(), day.month(),
                         day.day());
}

}  // namespace

absl::string_view OpToken(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kHas:
      return ":";
  }
  return "?";
}

absl::StatusOr<std::optional<Node>> Parse(absl::string_view filter,
                                          const Schema& schema) {
  if (filter.size() > kMaxFilterBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: must be at most ", kMaxFilterBytes,
                     " bytes, got ", filter.size()));
  }
  if (const size_t bad = FindInvalidUtf8(filter);
      bad != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("filter: at position ",
                                                   CharPosition(filter, bad),
                                                   ": not valid UTF-8"));
  }
  bool blank = true;
  for (size_t i = 0; i < filter.size(); ++i) {
    const auto c = static_cast<unsigned char>(filter[i]);
    if (IsControl(c)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "filter: at position %d: control character U+%04X is not allowed",
          CharPosition(filter, i), c));
    }
    if (!IsSpace(static_cast<char>(c))) blank = false;
  }
  if (blank) return std::nullopt;
  Parser parser(filter, schema);
  absl::StatusOr<Node> node = parser.ParseFilter();
  if (!node.ok()) return node.status();
  return std::optional<Node>(*std::move(node));
}

std::string Canonical(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kComparison: {
      const Comparison& c = node.comparison;
      const std::string field = c.field != nullptr ? c.field->name : "?";
      if (c.op == Op::kHas) {
        return absl::StrCat(field, ":", CanonicalLiteral(c));
      }
      return absl::StrCat(field, " ", OpToken(c.op), " ", CanonicalLiteral(c));
    }
    case Node::Kind::kNot:
    case Node::Kind::kAnd:
    case Node::Kind::kOr: {
      std::vector<std::string> parts;
      parts.reserve(node.children.size());
      for (const Node& child : node.children) parts.push_back(Canonical(child));
      // AND and OR do not depend on the order of their operands.
      if (node.kind != Node::Kind::kNot) std::sort(parts.begin(), parts.end());
      const char* name = node.kind == Node::Kind::kAnd  ? "AND"
                         : node.kind == Node::Kind::kOr ? "OR"
                                                        : "NOT";
      return absl::StrCat(name, "(", absl::StrJoin(parts, ", "), ")");
    }
  }
  return "";
}

std::string Canonical(const std::optional<Node>& node) {
  return node.has_value() ? Canonical(*node) : "";
}

}  // namespace forum_registry::domain::filter
