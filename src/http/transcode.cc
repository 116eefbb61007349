#include "src/http/transcode.h"

#include <cmath>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "src/domain/json_text.h"

namespace forum_registry::http {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Well-known messages whose JSON form is a string.
bool IsStringMessage(const Descriptor& type) {
  const std::string& name = type.full_name();
  return name == "google.protobuf.FieldMask" ||
         name == "google.protobuf.Timestamp" ||
         name == "google.protobuf.Duration";
}

// A wrapper's value field (google.protobuf.Int32Value and the rest).
const FieldDescriptor* WrapperValue(const Descriptor& type) {
  if (!absl::StartsWith(type.full_name(), "google.protobuf.") ||
      !absl::EndsWith(type.full_name(), "Value") || type.field_count() != 1) {
    return nullptr;
  }
  const FieldDescriptor* value = type.field(0);
  return value->name() == "value" ? value : nullptr;
}

const FieldDescriptor* FindField(const Descriptor& type,
                                 absl::string_view name) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (field->name() == name || field->json_name() == name) return field;
  }
  return nullptr;
}

// The JSON of one parameter's text for a scalar field of type `field`; an
// error says what the text should be.
absl::StatusOr<std::string> ScalarJson(const FieldDescriptor& field,
                                       absl::string_view text) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      if (text == "true" || text == "false") return std::string(text);
      return absl::InvalidArgumentError("must be true or false");
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number;
      if (absl::SimpleAtoi(text, &number)) return absl::StrCat(number);
      if (field.enum_type()->FindValueByName(std::string(text)) == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "must be a value of ", field.enum_type()->full_name()));
      }
      return JsonQuote(text);
    }
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      // JSON takes integers as strings too, and checks their range.
      int64_t signed_value;
      uint64_t unsigned_value;
      if (!absl::SimpleAtoi(text, &signed_value) &&
          !absl::SimpleAtoi(text, &unsigned_value)) {
        return absl::InvalidArgumentError("must be an integer");
      }
      return JsonQuote(text);
    }
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double value;
      if (!absl::SimpleAtod(text, &value)) {
        return absl::InvalidArgumentError("must be a number");
      }
      return JsonQuote(text);
    }
    case FieldDescriptor::CPPTYPE_STRING:
      return JsonQuote(text);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return absl::InvalidArgumentError("is not a scalar");
}

// The parameters as a tree of JSON objects, by field.
struct Node {
  const FieldDescriptor* field = nullptr;
  std::string parameter;            // the name it was given as (leaves)
  std::vector<std::string> values;  // JSON of each value (leaves)
  std::map<std::string, Node> children;
};

void WriteJson(const Node& node, std::string* out) {
  if (node.field != nullptr && node.children.empty()) {
    if (node.field->is_repeated()) {
      absl::StrAppend(out, "[");
      for (size_t i = 0; i < node.values.size(); ++i) {
        absl::StrAppend(out, i == 0 ? "" : ",", node.values[i]);
      }
      absl::StrAppend(out, "]");
    } else {
      absl::StrAppend(out, node.values.front());
    }
    return;
  }
  absl::StrAppend(out, "{");
  bool first = true;
  for (const auto& [name, child] : node.children) {
    absl::StrAppend(out, first ? "" : ",", JsonQuote(name), ":");
    first = false;
    WriteJson(child, out);
  }
  absl::StrAppend(out, "}");
}

absl::Status Invalid(absl::string_view kind, absl::string_view name,
                     absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(kind, " \"", name, "\": ", why));
}

// Adds one parameter to the tree under `root` (of type `type`).
absl::Status AddParameter(const Descriptor& type, absl::string_view kind,
                          const std::string& name, absl::string_view text,
                          absl::string_view body_field, Node* root) {
  if (body_field == "*") {
    return Invalid(kind, name,
                   "this method takes its fields in the request body");
  }
  const Descriptor* at = &type;
  Node* node = root;
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field = FindField(*at, parts[i]);
    if (field == nullptr) {
      return Invalid(
          kind, name,
          absl::StrCat(at->full_name(), " has no field \"", parts[i], "\""));
    }
    if (i == 0 && !body_field.empty() && field->name() == body_field) {
      return Invalid(
          kind, name,
          absl::StrCat("\"", body_field, "\" is sent as the request body"));
    }
    node = &node->children[field->json_name()];
    node->field = field;
    const bool last = i + 1 == parts.size();
    if (field->is_map()) {
      return Invalid(kind, name, "a map field is set in a request body");
    }
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const Descriptor& message = *field->message_type();
      if (last && IsStringMessage(message)) {
        // Handled as a leaf below.
      } else if (last && WrapperValue(message) != nullptr) {
        absl::StatusOr<std::string> json =
            ScalarJson(*WrapperValue(message), text);
        if (!json.ok()) return Invalid(kind, name, json.status().message());
        if (!field->is_repeated() && !node->values.empty()) {
          return Invalid(kind, name, "given twice");
        }
        node->parameter = name;
        node->values.push_back(*std::move(json));
        return absl::OkStatus();
      } else if (last) {
        return Invalid(
            kind, name,
            absl::StrCat("is a message (", message.full_name(),
                         "): set its fields, as \"", name, ".FIELD\""));
      } else if (field->is_repeated()) {
        return Invalid(kind, name,
                       "a repeated message is set in a request body");
      } else {
        at = &message;
        continue;
      }
    } else if (!last) {
      return Invalid(kind, name,
                     absl::StrCat("\"", parts[i], "\" is not a message"));
    }
    if (!field->is_repeated() && !node->values.empty()) {
      return Invalid(kind, name, "given twice");
    }
    std::string json;
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      json = JsonQuote(text);
    } else {
      absl::StatusOr<std::string> scalar = ScalarJson(*field, text);
      if (!scalar.ok()) return Invalid(kind, name, scalar.status().message());
      json = *std::move(scalar);
    }
    node->parameter = name;
    node->values.push_back(std::move(json));
  }
  return absl::OkStatus();
}

// The first leaf under `node` whose value alone the parser refuses, with the
// parser's reason; used only once the whole tree was refused, to name the
// parameter at fault.
std::optional<absl::Status> FindRefused(const Node& node) {
  for (const auto& [name, child] : node.children) {
    if (!child.children.empty()) {
      if (auto found = FindRefused(child)) return found;
      continue;
    }
    std::string json;
    WriteJson(child, &json);
    std::unique_ptr<Message> holder(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(child.field->containing_type())
            ->New());
    const auto status = google::protobuf::util::JsonStringToMessage(
        absl::StrCat("{", JsonQuote(child.field->json_name()), ":", json, "}"),
        holder.get());
    if (!status.ok()) {
      return Invalid("query parameter", child.parameter,
                     std::string(status.message()));
    }
  }
  return std::nullopt;
}

bool IsBlank(absl::string_view text) {
  return absl::StripAsciiWhitespace(text).empty();
}

}  // namespace

absl::Status BuildRequest(absl::string_view body_field, absl::string_view body,
                          const Params& query, const Params& bindings,
                          Message* request) {
  const Descriptor& type = *request->GetDescriptor();
  google::protobuf::util::JsonParseOptions options;
  if (body_field.empty()) {
    if (!IsBlank(body)) {
      return absl::InvalidArgumentError(
          "this method takes no request body: send its fields as query "
          "parameters");
    }
  } else if (!IsBlank(body)) {
    Message* target = request;
    if (body_field != "*") {
      const FieldDescriptor* field = FindField(type, body_field);
      if (field == nullptr ||
          field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
          field->is_repeated()) {
        return absl::InternalError(absl::StrCat(
            "the route's body field \"", body_field, "\" is not a message"));
      }
      target = request->GetReflection()->MutableMessage(request, field);
    }
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(body.data(), body.size()), target,
        options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("request body: ", std::string(status.message())));
    }
  }
  Node root;
  for (const auto& [name, value] : bindings) {
    if (absl::Status added =
            AddParameter(type, "path variable", name, value, "", &root);
        !added.ok()) {
      return added;
    }
  }
  for (const auto& [name, value] : query) {
    if (absl::Status added = AddParameter(type, "query parameter", name, value,
                                          body_field, &root);
        !added.ok()) {
      return added;
    }
  }
  if (root.children.empty()) return absl::OkStatus();
  std::string json;
  WriteJson(root, &json);
  std::unique_ptr<Message> parameters(request->New());
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, parameters.get());
  if (!status.ok()) {
    if (std::optional<absl::Status> refused = FindRefused(root)) {
      return *refused;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("query parameters: ", std::string(status.message())));
  }
  // Path variables name the resource: they win over the same field in the
  // body (AIP-127), and the body's other fields stay.
  request->MergeFrom(*parameters);
  return absl::OkStatus();
}

std::string ToJson(const Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    return "{}";
  }
  return json;
}

std::string StatusJson(const grpc::Status& status) {
  return absl::StrCat("{\"code\":", static_cast<int>(status.error_code()),
                      ",\"message\":", JsonQuote(status.error_message()),
                      ",\"details\":[]}");
}

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS
      return 500;
  }
}

std::string ConnectCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "ok";
    case grpc::StatusCode::CANCELLED:
      return "canceled";
    case grpc::StatusCode::UNKNOWN:
      return "unknown";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "invalid_argument";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "deadline_exceeded";
    case grpc::StatusCode::NOT_FOUND:
      return "not_found";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "already_exists";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "permission_denied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "resource_exhausted";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "failed_precondition";
    case grpc::StatusCode::ABORTED:
      return "aborted";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "out_of_range";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "unimplemented";
    case grpc::StatusCode::INTERNAL:
      return "internal";
    case grpc::StatusCode::UNAVAILABLE:
      return "unavailable";
    case grpc::StatusCode::DATA_LOSS:
      return "data_loss";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "unauthenticated";
    default:
      return "unknown";
  }
}

std::string ConnectErrorJson(const grpc::Status& status) {
  return absl::StrCat(
      "{\"code\":", JsonQuote(ConnectCodeName(status.error_code())),
      ",\"message\":", JsonQuote(status.error_message()), "}");
}

std::string JsonQuote(absl::string_view text) {
  return absl::StrCat("\"", domain::JsonEscape(text), "\"");
}

absl::StatusOr<double> ParseTimeoutSeconds(absl::string_view header,
                                           absl::string_view value) {
  double number;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(value), &number) ||
      !std::isfinite(number) || number <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(header, ": \"", value, "\" is not a positive number"));
  }
  return absl::EqualsIgnoreCase(header, "connect-timeout-ms") ? number / 1000
                                                              : number;
}

}  // namespace forum_registry::http
