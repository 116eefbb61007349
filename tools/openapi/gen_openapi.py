#!/usr/bin/python3
"""Writes the API's OpenAPI 3.1 document from its descriptor set.

The protos are the API's one description: every RPC carries a
`google.api.http` rule (AIP-127), fields carry `google.api.field_behavior`,
resources `google.api.resource`, and the comments are the documentation. This
reads the descriptor set the build makes from them (forumregistry.binpb, with
imports and source info) and writes what an HTTP/JSON client needs:

  - one path per rule. A variable binds a resource name, so
    `{name=forums/*/sessions/*}` becomes `/forums/{forum}/sessions/{session}`:
    a parameter per `*`, named after the resource pattern's own variable
    (`forums/{forum}/sessions/{session}` of google.api.resource). The client
    sends the segments it would put in the name (`GET /v1/forums/arf`);
  - query parameters for every request field the path and the body do not
    bind: scalars, repeated scalars and enums, nested messages flattened with
    dots (grpc-gateway's convention), named by their JSON names;
  - the request body (the rule's `body` field, or `*`) and the response;
  - components/schemas for each message and enum, in protobuf's JSON mapping
    (lowerCamelCase names, 64-bit integers as strings, enums as their names,
    the well-known types as their JSON forms);
  - google.rpc.Status as every operation's default (error) response;
  - a server-streaming RPC as text/event-stream: one event per message;
  - an RPC answering google.api.HttpBody (the exports) as the file itself,
    its media type named by the path's extension (`sessions.ics`:
    text/calendar), with its ETag, Cache-Control and Content-Disposition
    headers, If-None-Match, and 304 Not Modified.

docs/decisions.md ("An OpenAPI document generated from the protos") says why
these conventions and not others. The output is deterministic: the same
descriptor set gives the same bytes, so the build can embed it.

Usage:
  gen_openapi.py --descriptor-set forumregistry.binpb --out openapi.json \
      [--cc-out openapi_document.cc] [--version 0.1.0]

Only Debian's python3-protobuf is needed: the options this reads are
extensions (google.api.*) the stock descriptor_pb2 does not know, so their
bytes are read from the options' wire format here, field by field.
"""

import argparse
import json
import re
import sys

from google.protobuf import descriptor_pb2

# The package whose services and messages make the API.
API_PACKAGE_PREFIX = "forumregistry."

# Extension numbers (google/api/annotations.proto, field_behavior.proto,
# resource.proto).
EXT_HTTP = 72295728  # MethodOptions: google.api.HttpRule
EXT_FIELD_BEHAVIOR = 1052  # FieldOptions: repeated FieldBehavior
EXT_RESOURCE = 1053  # MessageOptions: google.api.ResourceDescriptor

# google.api.FieldBehavior values this reads.
FIELD_BEHAVIOR_REQUIRED = 2
FIELD_BEHAVIOR_OUTPUT_ONLY = 3

# google.api.HttpRule fields.
HTTP_RULE_METHODS = {2: "get", 3: "put", 4: "post", 5: "delete", 6: "patch"}
HTTP_RULE_CUSTOM = 8
HTTP_RULE_BODY = 7
HTTP_RULE_RESPONSE_BODY = 12
HTTP_RULE_ADDITIONAL_BINDINGS = 11

# SourceCodeInfo paths (descriptor.proto field numbers).
FILE_MESSAGE_TYPE = 4
FILE_ENUM_TYPE = 5
FILE_SERVICE = 6
MESSAGE_FIELD = 2
MESSAGE_NESTED_TYPE = 3
MESSAGE_ENUM_TYPE = 4
ENUM_VALUE = 2
SERVICE_METHOD = 2

FDP = descriptor_pb2.FieldDescriptorProto

# An answer of raw bytes: the door answers the concatenated `data` of the
# messages, with the `content_type` they carry (docs/decisions.md).
HTTP_BODY = ".google.api.HttpBody"
# The media type of a raw answer, by the extension of its path's last
# segment (`/v1/exports/csv.zip`), and the schema of such a body.
RAW_MEDIA_TYPES = {
    ".ics": ("text/calendar", {"type": "string"}),
    ".json": ("application/json", {"type": "object"}),
    ".zip": ("application/zip", None),
    ".csv": ("text/csv", {"type": "string"}),
}
RAW_DEFAULT = ("application/octet-stream", None)


def raw_media_type(path):
  """The media type and body schema of a raw answer at `path`."""
  last = path.rsplit("/", 1)[-1].split(":")[0]
  for extension, media in RAW_MEDIA_TYPES.items():
    if last.endswith(extension):
      return media
  return RAW_DEFAULT


class GenerateError(Exception):
  pass


# --- Protobuf wire format, just enough for the options' extensions. ---


def _varint(data, pos):
  result = 0
  shift = 0
  while True:
    if pos >= len(data):
      raise GenerateError("truncated varint in options")
    b = data[pos]
    pos += 1
    result |= (b & 0x7F) << shift
    if not b & 0x80:
      return result, pos
    shift += 7


def wire_fields(data):
  """Yields (field number, wire type, value) of a serialized message.

  Length-delimited values are bytes, varints ints; fixed-width values are
  skipped over and yielded as raw bytes.
  """
  pos = 0
  while pos < len(data):
    key, pos = _varint(data, pos)
    number, wire_type = key >> 3, key & 7
    if wire_type == 0:
      value, pos = _varint(data, pos)
    elif wire_type == 1:
      value, pos = data[pos:pos + 8], pos + 8
    elif wire_type == 2:
      length, pos = _varint(data, pos)
      value, pos = data[pos:pos + length], pos + length
    elif wire_type == 5:
      value, pos = data[pos:pos + 4], pos + 4
    else:
      raise GenerateError(f"unsupported wire type {wire_type} in options")
    yield number, wire_type, value


def http_rules(method):
  """The method's google.api.http rules: the rule, then additional ones."""
  rules = []

  def parse(data):
    rule = {"method": None, "path": None, "body": "", "response_body": ""}
    for number, _, value in wire_fields(data):
      if number in HTTP_RULE_METHODS:
        rule["method"], rule["path"] = HTTP_RULE_METHODS[number], value.decode()
      elif number == HTTP_RULE_CUSTOM:
        custom = dict((n, v.decode()) for n, _, v in wire_fields(value))
        rule["method"], rule["path"] = custom.get(1), custom.get(2)
      elif number == HTTP_RULE_BODY:
        rule["body"] = value.decode()
      elif number == HTTP_RULE_RESPONSE_BODY:
        rule["response_body"] = value.decode()
      elif number == HTTP_RULE_ADDITIONAL_BINDINGS:
        parse_additional.append(value)
    return rule

  parse_additional = []
  for number, _, value in wire_fields(method.options.SerializeToString()):
    if number == EXT_HTTP:
      rules.append(parse(value))
  for value in parse_additional:
    rules.append(parse(value))
  return rules


def field_behaviors(field):
  behaviors = set()
  for number, wire_type, value in wire_fields(field.options.SerializeToString()):
    if number != EXT_FIELD_BEHAVIOR:
      continue
    if wire_type == 0:
      behaviors.add(value)
    else:  # packed
      pos = 0
      while pos < len(value):
        v, pos = _varint(value, pos)
        behaviors.add(v)
  return behaviors


def resource_patterns(message):
  patterns = []
  for number, _, value in wire_fields(message.options.SerializeToString()):
    if number == EXT_RESOURCE:
      for n, _, v in wire_fields(value):
        if n == 2:  # ResourceDescriptor.pattern
          patterns.append(v.decode())
  return patterns


# --- The descriptor set, indexed. ---


def clean_comment(text):
  """A proto comment as a description: lines joined, paragraphs kept."""
  lines = [line.strip() for line in text.strip("\n").split("\n")]
  paragraphs, current = [], []
  for line in lines:
    if line:
      current.append(line)
    elif current:
      paragraphs.append(" ".join(current))
      current = []
  if current:
    paragraphs.append(" ".join(current))
  return "\n\n".join(paragraphs)


class Index:
  """Messages, enums, services and their comments by full name."""

  def __init__(self, fds):
    self.messages = {}  # ".pkg.Msg" -> DescriptorProto
    self.enums = {}  # ".pkg.Enum" -> EnumDescriptorProto
    self.comments = {}  # (kind, full name[, member]) -> description
    self.api_files = []
    self.resource_patterns = []
    for file in fds.file:
      comments = {}
      for loc in file.source_code_info.location:
        text = loc.leading_comments or loc.trailing_comments
        if text:
          comments[tuple(loc.path)] = clean_comment(text)
      prefix = "." + file.package if file.package else ""
      for i, message in enumerate(file.message_type):
        self._add_message(message, prefix, (FILE_MESSAGE_TYPE, i), comments)
      for i, enum in enumerate(file.enum_type):
        self._add_enum(enum, prefix, (FILE_ENUM_TYPE, i), comments)
      for i, service in enumerate(file.service):
        full = f"{file.package}.{service.name}"
        self.comments[("service", full)] = comments.get((FILE_SERVICE, i), "")
        for j, method in enumerate(service.method):
          self.comments[("method", full, method.name)] = comments.get(
              (FILE_SERVICE, i, SERVICE_METHOD, j), "")
      if file.package.startswith(API_PACKAGE_PREFIX):
        self.api_files.append(file)

  def _add_message(self, message, prefix, path, comments):
    full = f"{prefix}.{message.name}"
    self.messages[full] = message
    self.comments[("message", full)] = comments.get(path, "")
    for i, field in enumerate(message.field):
      self.comments[("field", full, field.name)] = comments.get(
          path + (MESSAGE_FIELD, i), "")
    for i, nested in enumerate(message.nested_type):
      self._add_message(nested, full, path + (MESSAGE_NESTED_TYPE, i), comments)
    for i, enum in enumerate(message.enum_type):
      self._add_enum(enum, full, path + (MESSAGE_ENUM_TYPE, i), comments)
    self.resource_patterns.extend(resource_patterns(message))

  def _add_enum(self, enum, prefix, path, comments):
    full = f"{prefix}.{enum.name}"
    self.enums[full] = enum
    self.comments[("enum", full)] = comments.get(path, "")
    for i, value in enumerate(enum.value):
      self.comments[("value", full, value.name)] = comments.get(
          path + (ENUM_VALUE, i), "")

  def message(self, type_name):
    if type_name not in self.messages:
      raise GenerateError(f"unknown message {type_name}")
    return self.messages[type_name]


# --- Schemas: protobuf's JSON mapping. ---


def ref(full_name):
  return {"$ref": f"#/components/schemas/{full_name.lstrip('.')}"}


INT64_TYPES = {FDP.TYPE_INT64, FDP.TYPE_SINT64, FDP.TYPE_SFIXED64}
UINT64_TYPES = {FDP.TYPE_UINT64, FDP.TYPE_FIXED64}
INT32_TYPES = {FDP.TYPE_INT32, FDP.TYPE_SINT32, FDP.TYPE_SFIXED32}
UINT32_TYPES = {FDP.TYPE_UINT32, FDP.TYPE_FIXED32}


def scalar_schema(field_type):
  if field_type == FDP.TYPE_STRING:
    return {"type": "string"}
  if field_type == FDP.TYPE_BOOL:
    return {"type": "boolean"}
  if field_type in INT32_TYPES:
    return {"type": "integer", "format": "int32"}
  if field_type in UINT32_TYPES:
    return {"type": "integer", "format": "uint32", "minimum": 0}
  # The JSON mapping writes 64-bit integers as strings: a JavaScript number
  # cannot hold them exactly.
  if field_type in INT64_TYPES:
    return {"type": "string", "format": "int64"}
  if field_type in UINT64_TYPES:
    return {"type": "string", "format": "uint64"}
  if field_type == FDP.TYPE_DOUBLE:
    return {"type": "number", "format": "double"}
  if field_type == FDP.TYPE_FLOAT:
    return {"type": "number", "format": "float"}
  if field_type == FDP.TYPE_BYTES:
    return {"type": "string", "contentEncoding": "base64"}
  raise GenerateError(f"no JSON schema for field type {field_type}")


WRAPPERS = {
    ".google.protobuf.DoubleValue": FDP.TYPE_DOUBLE,
    ".google.protobuf.FloatValue": FDP.TYPE_FLOAT,
    ".google.protobuf.Int64Value": FDP.TYPE_INT64,
    ".google.protobuf.UInt64Value": FDP.TYPE_UINT64,
    ".google.protobuf.Int32Value": FDP.TYPE_INT32,
    ".google.protobuf.UInt32Value": FDP.TYPE_UINT32,
    ".google.protobuf.BoolValue": FDP.TYPE_BOOL,
    ".google.protobuf.StringValue": FDP.TYPE_STRING,
    ".google.protobuf.BytesValue": FDP.TYPE_BYTES,
}


def well_known_schema(type_name):
  """The JSON form of a well-known type used in a field, or None.

  Any and Empty are components (Status refers to Any too); the others are
  written in place, as the JSON mapping makes them scalars or plain JSON.
  """
  if type_name == ".google.protobuf.Timestamp":
    return {"type": "string", "format": "date-time",
            "description": "RFC 3339, UTC (\"Z\"), e.g. 2023-07-11T09:30:00Z."}
  if type_name == ".google.protobuf.Duration":
    return {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]{1,9})?s$",
            "description": "Seconds with an \"s\" suffix, e.g. \"1.5s\"."}
  if type_name == ".google.protobuf.FieldMask":
    return {"type": "string",
            "description": "Field paths in lowerCamelCase, comma-separated, "
                           "e.g. \"displayName,founded\"."}
  if type_name == ".google.protobuf.Struct":
    return {"type": "object"}
  if type_name == ".google.protobuf.Value":
    return {}
  if type_name == ".google.protobuf.ListValue":
    return {"type": "array"}
  if type_name in WRAPPERS:
    schema = scalar_schema(WRAPPERS[type_name])
    schema["type"] = [schema["type"], "null"]
    return schema
  return None


COMPONENT_WELL_KNOWN = {
    "google.protobuf.Any": {
        "type": "object",
        "description": "A message of any type: `@type` names it "
                       "(type.googleapis.com/forumregistry.v1.Forum), and "
                       "the message's own fields sit beside it.",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": True,
    },
    "google.protobuf.Empty": {
        "type": "object",
        "description": "Nothing: the JSON object {}.",
        "maxProperties": 0,
    },
    "google.rpc.Status": {
        "type": "object",
        "description": "An error: the gRPC status code (google.rpc.Code: 3 "
                       "INVALID_ARGUMENT, 5 NOT_FOUND, 9 FAILED_PRECONDITION, "
                       "...), a message for the developer naming the field "
                       "and the rule that failed, and details.",
        "properties": {
            "code": {"type": "integer", "format": "int32"},
            "message": {"type": "string"},
            "details": {"type": "array",
                        "items": ref("google.protobuf.Any")},
        },
    },
}


def is_map(index, field):
  if field.type != FDP.TYPE_MESSAGE or field.label != FDP.LABEL_REPEATED:
    return False
  entry = index.messages.get(field.type_name)
  return entry is not None and entry.options.map_entry


def with_description(schema, description):
  # OpenAPI 3.1 (JSON Schema 2020-12) allows keywords beside $ref: a field
  # that refers to a message still gets its own words.
  return {**schema, "description": description} if description else schema


class SchemaBuilder:
  """components/schemas: every message and enum the API reaches."""

  def __init__(self, index):
    self.index = index
    self.schemas = {}
    self.pending = []

  def use(self, type_name):
    """Refers to a message or enum, queueing its component."""
    name = type_name.lstrip(".")
    if name not in self.schemas and name not in self.pending:
      self.pending.append(name)
    return ref(name)

  def field_value_schema(self, field):
    if field.type == FDP.TYPE_ENUM:
      return self.use(field.type_name)
    if field.type in (FDP.TYPE_MESSAGE, FDP.TYPE_GROUP):
      known = well_known_schema(field.type_name)
      if known is not None:
        return known
      return self.use(field.type_name)
    return scalar_schema(field.type)

  def field_schema(self, message_name, field):
    description = self.index.comments.get(
        ("field", message_name, field.name), "")
    if is_map(self.index, field):
      entry = self.index.messages[field.type_name]
      value = self.field_value_schema(entry.field[1])
      schema = {"type": "object", "additionalProperties": value}
    elif field.label == FDP.LABEL_REPEATED:
      schema = {"type": "array", "items": self.field_value_schema(field)}
    else:
      schema = self.field_value_schema(field)
    schema = with_description(schema, description)
    if FIELD_BEHAVIOR_OUTPUT_ONLY in field_behaviors(field):
      schema = {**schema, "readOnly": True}
    return schema

  def message_schema(self, full_name):
    message = self.index.message(full_name)
    properties = {}
    required = []
    for field in message.field:
      properties[field.json_name] = self.field_schema(full_name, field)
      if FIELD_BEHAVIOR_REQUIRED in field_behaviors(field):
        required.append(field.json_name)
    schema = {"type": "object"}
    description = self.index.comments.get(("message", full_name), "")
    if description:
      schema["description"] = description
    schema["properties"] = properties
    if required:
      schema["required"] = required
    return schema

  def enum_schema(self, full_name):
    enum = self.index.enums[full_name]
    lines = []
    for value in enum.value:
      words = self.index.comments.get(("value", full_name, value.name), "")
      lines.append(f"- `{value.name}`: {words}" if words else
                   f"- `{value.name}`")
    description = self.index.comments.get(("enum", full_name), "")
    return {
        "type": "string",
        "description": "\n".join(([description, ""] if description else []) +
                                 lines),
        "enum": [value.name for value in enum.value],
    }

  def build(self):
    while self.pending:
      name = self.pending.pop(0)
      if name in COMPONENT_WELL_KNOWN:
        self.schemas[name] = COMPONENT_WELL_KNOWN[name]
        if name == "google.rpc.Status":
          self.use(".google.protobuf.Any")  # its details
      elif "." + name in self.index.enums:
        self.schemas[name] = self.enum_schema("." + name)
      else:
        self.schemas[name] = self.message_schema("." + name)
    return dict(sorted(self.schemas.items()))


# --- Paths. ---

VARIABLE = re.compile(r"\{([^}=]+)(?:=([^}]*))?\}")


class PathNamer:
  """Names a variable's `*` segments after the API's resource patterns."""

  def __init__(self, patterns):
    self.patterns = [p.split("/") for p in patterns]

  def names(self, segments):
    for pattern in self.patterns:
      if len(pattern) != len(segments):
        continue
      names = []
      for want, have in zip(segments, pattern):
        if want == "*" and re.fullmatch(r"\{\w+\}", have):
          names.append(have[1:-1])
        elif want == have:
          names.append(None)
        else:
          break
      else:
        return names
    # No resource pattern: the collection's singular, else the position.
    names = []
    for i, want in enumerate(segments):
      if want in ("*", "**"):
        before = segments[i - 1] if i else ""
        names.append(re.sub(r"s$", "", before) or f"segment{i}")
      else:
        names.append(None)
    return names


def to_snake(name):
  return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def expand_path(template, namer):
  """`/v1/{name=forums/*}:x` -> ('/v1/forums/{forum}:x', params, bound).

  params: [(parameter name, field path, segment pattern, the pattern with
  the parameters' names)] in path order;
  bound: the field paths the path binds.
  """
  params, bound = [], []
  taken = set()

  def replace(match):
    field_path, pattern = match.group(1), match.group(2) or "*"
    bound.append(field_path)
    segments = pattern.split("/")
    names = namer.names(segments)
    out, variables = [], []
    for segment, name in zip(segments, names):
      if name is None:
        out.append(segment)
        continue
      name = to_snake(name)
      unique, n = name, 2
      while unique in taken:
        unique, n = f"{name}{n}", n + 1
      taken.add(unique)
      variables.append(unique)
      out.append("{" + unique + "}")
    spelled = "/".join(out)
    for name in variables:
      params.append((name, field_path, pattern, spelled))
    return spelled

  return VARIABLE.sub(replace, template), params, bound


def field_by_path(index, message_name, field_path):
  message = index.message(message_name)
  head, _, rest = field_path.partition(".")
  for field in message.field:
    if field.name == head:
      if rest:
        return field_by_path(index, field.type_name, rest)
      return field
  raise GenerateError(f"{message_name} has no field {field_path}")


def query_parameters(index, builder, message_name, excluded, prefix="",
                     json_prefix="", seen=()):
  """Parameters for the request fields no path or body binds."""
  params = []
  message = index.message(message_name)
  for field in message.field:
    path = prefix + field.name
    if path in excluded:
      continue
    json_path = json_prefix + field.json_name
    description = index.comments.get(("field", message_name, field.name), "")
    required = FIELD_BEHAVIOR_REQUIRED in field_behaviors(field)
    if field.type == FDP.TYPE_MESSAGE and well_known_schema(
        field.type_name) is None:
      # A nested message is flattened (a.b=...); repeated messages and maps
      # cannot be sent in a query, and a message does not recurse into
      # itself.
      if field.label == FDP.LABEL_REPEATED or field.type_name in seen:
        continue
      params.extend(query_parameters(index, builder, field.type_name,
                                     excluded, path + ".", json_path + ".",
                                     seen + (message_name,)))
      continue
    value = builder.field_value_schema(field)
    if field.label == FDP.LABEL_REPEATED:
      schema = {"type": "array", "items": value}
    else:
      schema = value
    param = {"name": json_path, "in": "query"}
    if description:
      param["description"] = description
    if required:
      param["required"] = True
    param["schema"] = schema
    if field.label == FDP.LABEL_REPEATED:
      param["style"], param["explode"] = "form", True
    params.append(param)
  return params


def build_document(fds, version):
  index = Index(fds)
  builder = SchemaBuilder(index)
  namer = PathNamer(index.resource_patterns)
  paths = {}
  tags = []
  operation_ids = {}
  for file in index.api_files:
    for service in file.service:
      service_full = f"{file.package}.{service.name}"
      tags.append({"name": service.name,
                   "description": index.comments[("service", service_full)]})
      for method in service.method:
        rules = http_rules(method)
        if not rules:
          raise GenerateError(f"{service_full}.{method.name} has no "
                              "google.api.http rule")
        for n, rule in enumerate(rules):
          path, operation = build_operation(index, builder, namer, service,
                                            service_full, method, rule)
          operation_ids.setdefault(method.name, []).append(operation)
          if n:
            operation["operationId"] += f"_{n + 1}"
          item = paths.setdefault(path, {})
          if rule["method"] in item:
            raise GenerateError(f"two rules for {rule['method']} {path}")
          item[rule["method"]] = operation
  # The method name when it is unique in the API, else service_method.
  for name, operations in operation_ids.items():
    if len(operations) > 1 and len({o["tags"][0] for o in operations}) > 1:
      for operation in operations:
        operation["operationId"] = (operation["tags"][0] + "_" +
                                    operation["operationId"])
  check_distinct_templates(paths)
  builder.use(".google.rpc.Status")
  # Every message and enum of the API, requests (their JSON is what a gRPC
  # JSON client sends) and datasets (what `import` reads) too.
  for full_name, message in index.messages.items():
    if (full_name.startswith("." + API_PACKAGE_PREFIX) and
        not message.options.map_entry):
      builder.use(full_name)
  for full_name in index.enums:
    if full_name.startswith("." + API_PACKAGE_PREFIX):
      builder.use(full_name)
  return {
      "openapi": "3.1.0",
      "info": {
          "title": "forum-registry API",
          "version": version,
          "summary": "The metadata of multilateral forums, over HTTP/JSON.",
          "description":
              "Generated from the protos (proto/forumregistry/v1) by "
              "tools/openapi/gen_openapi.py: the same methods as the gRPC "
              "API, transcoded by their google.api.http rules, with "
              "bodies in protobuf's JSON mapping. docs/api.md is the "
              "guide.",
      },
      "tags": tags,
      "security": [{"bearerAuth": []}],
      "paths": dict(sorted(paths.items())),
      "components": {
          "schemas": builder.build(),
          "securitySchemes": {
              "bearerAuth": {
                  "type": "http",
                  "scheme": "bearer",
                  "bearerFormat": "JWT",
                  "description": "A JWT from the operator's issuer; its "
                                 "roles decide what a caller may do "
                                 "(docs/security.md). A server may admit "
                                 "reads without one "
                                 "(--allow-anonymous-reads); one run with "
                                 "--no-auth ignores it.",
              }
          },
      },
  }


def check_distinct_templates(paths):
  """OpenAPI forbids two paths that differ only in parameter names."""
  shapes = {}
  for path in paths:
    shape = re.sub(r"\{[^}]*\}", "{}", path)
    if shape in shapes:
      raise GenerateError(f"{path} and {shapes[shape]} differ only in "
                          "parameter names")
    shapes[shape] = path


def build_operation(index, builder, namer, service, service_full, method,
                    rule):
  path, path_params, bound = expand_path(rule["path"], namer)
  request_name = method.input_type
  parameters = []
  for name, field_path, pattern, spelled in path_params:
    field_by_path(index, request_name, field_path)  # it must exist
    words = f"`{{{name}}}` in the request's `{field_path}`: `{spelled}`."
    parameters.append({
        "name": name,
        "in": "path",
        "required": True,
        "description": words,
        "schema": {"type": "string"},
    })
  body = rule["body"]
  excluded = set(bound)
  if body and body != "*":
    excluded.add(body)
  if body != "*":
    parameters.extend(query_parameters(index, builder, request_name, excluded))
  description = index.comments[("method", service_full, method.name)]
  operation = {
      "tags": [service.name],
      # The comment's first sentence.
      "summary": description.split("\n\n")[0].split(". ")[0].rstrip("."),
      "operationId": method.name,
      "description": description,
  }
  if parameters:
    operation["parameters"] = parameters
  if body:
    if body == "*":
      request = builder.message_schema(request_name)
      for field_path in bound:
        request["properties"].pop(
            field_by_path(index, request_name, field_path).json_name, None)
        if "required" in request:
          request["required"] = [r for r in request["required"]
                                 if r in request["properties"]]
          if not request["required"]:
            del request["required"]
      schema = request
    else:
      field = field_by_path(index, request_name, body)
      schema = builder.field_value_schema(field)
      if field.label == FDP.LABEL_REPEATED:
        schema = {"type": "array", "items": schema}
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": schema}},
    }
  response_type = method.output_type
  if response_type == HTTP_BODY:
    return path, raw_operation(operation, method, path)
  if rule["response_body"]:
    field = field_by_path(index, response_type, rule["response_body"])
    response_schema = builder.field_value_schema(field)
  else:
    response_schema = (well_known_schema(response_type) or
                       builder.use(response_type))
  if method.server_streaming:
    ok = {
        "description":
            "A stream of Server-Sent Events that lasts until the client "
            "leaves or the server ends it: each event's `data` is one "
            f"{response_type.lstrip('.')} in protobuf's JSON mapping.",
        "content": {
            "text/event-stream": {
                "schema": {"type": "string"},
                # OpenAPI 3.2's itemSchema, for tools that know it.
                "x-itemSchema": response_schema,
            }
        },
    }
  else:
    ok = {
        "description": "OK",
        "content": {"application/json": {"schema": response_schema}},
    }
  operation["responses"] = {
      "200": ok,
      "default": {
          "description": "An error: the gRPC status, as google.rpc.Status "
                         "in JSON.",
          "content": {"application/json": {"schema": builder.use(
              ".google.rpc.Status")}},
      },
  }
  return path, operation


def raw_operation(operation, method, path):
  """An operation whose answer is a file (google.api.HttpBody): the bytes
  themselves, conditional on If-None-Match."""
  media, schema = raw_media_type(path)
  operation.setdefault("parameters", []).append({
      "name": "If-None-Match",
      "in": "header",
      "description": "The ETag of the copy the client holds: while it is "
                     "still the answer's, the server answers 304 Not "
                     "Modified without the file (one read of the newest "
                     "revision, no export).",
      "schema": {"type": "string"},
  })
  headers = {
      "ETag": {
          "description": "A strong entity tag, `\"r<revision>-<hash>\"`: "
                         "the revision of the change log the file shows and "
                         "a hash of the request.",
          "schema": {"type": "string"},
      },
      "Cache-Control": {
          "description": "`private, no-cache` (revalidate with If-None-Match), "
                         "or `private, max-age=86400` for a file pinned by "
                         "`as_of_revision`.",
          "schema": {"type": "string"},
      },
      "Content-Disposition": {
          "description": "The file's name.",
          "schema": {"type": "string"},
      },
  }
  content = {media: {"schema": schema} if schema is not None else {}}
  stream = " streamed as it is made" if method.server_streaming else ""
  operation["responses"] = {
      "200": {
          "description": f"The file ({media}){stream}. An error after its "
                         "first bytes ends the answer early (the connection "
                         "closes without the end of the chunked body), so a "
                         "client sees it is not whole.",
          "headers": headers,
          "content": content,
      },
      "304": {
          "description": "Not Modified: the If-None-Match named the current "
                         "ETag; no body.",
          "headers": {name: headers[name] for name in ("ETag",
                                                       "Cache-Control")},
      },
      "default": {
          "description": "An error before the first byte: the gRPC status, "
                         "as google.rpc.Status in JSON (429 with Retry-After "
                         "when the server runs as many exports as it "
                         "allows).",
          "content": {"application/json": {"schema": ref("google.rpc.Status")}},
      },
  }
  return operation


def cc_source(document):
  """A C++ file that holds the document for the server to serve."""
  delimiter = "openapi"
  if f"){delimiter}\"" in document:
    raise GenerateError("the document contains the raw string's delimiter")
  # GCC takes long raw strings; chunks keep each literal short anyway for
  # tools that read the file, and concatenate at compile time.
  chunks = [document[i:i + 8000] for i in range(0, len(document), 8000)]
  literal = "\n".join(f'R"{delimiter}({chunk}){delimiter}"' for chunk in chunks)
  return ("// Generated by tools/openapi/gen_openapi.py from the API's "
          "descriptor set. Do not edit.\n"
          "#include \"src/api/openapi.h\"\n\n"
          "namespace forum_registry::api {\n\n"
          "namespace {\n"
          f"constexpr char kDocument[] =\n{literal};\n"
          "}  // namespace\n\n"
          "absl::string_view OpenApiDocument() {\n"
          "  return absl::string_view(kDocument, sizeof(kDocument) - 1);\n"
          "}\n\n"
          "}  // namespace forum_registry::api\n")


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--descriptor-set", required=True)
  parser.add_argument("--out", required=True)
  parser.add_argument("--cc-out")
  parser.add_argument("--version", default="0.0.0")
  args = parser.parse_args()
  fds = descriptor_pb2.FileDescriptorSet()
  with open(args.descriptor_set, "rb") as f:
    fds.ParseFromString(f.read())
  try:
    document = build_document(fds, args.version)
  except GenerateError as e:
    print(f"gen_openapi: {e}", file=sys.stderr)
    return 1
  text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
  with open(args.out, "w", encoding="utf-8") as f:
    f.write(text)
  if args.cc_out:
    with open(args.cc_out, "w", encoding="utf-8") as f:
      f.write(cc_source(text))
  return 0


if __name__ == "__main__":
  sys.exit(main())
