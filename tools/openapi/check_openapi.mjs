// Checks the OpenAPI document the build generates (tools/openapi/
// gen_openapi.py) against an OpenAPI 3.1 validator and against the protos
// it claims to describe, read independently of the generator: `buf` decodes
// the descriptor set (with its google.api.* extensions) to JSON.
//
//   - the document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator:
//     the specification's own JSON Schema, and every $ref resolves), and each
//     of its schemas is a valid JSON Schema 2020-12;
//   - every RPC of every forumregistry service has a google.api.http rule,
//     and each rule is in the document: its method on a path that matches
//     the same URLs, each path parameter declared, a body where the rule has
//     one, each unbound scalar request field a query parameter, JSON or
//     text/event-stream (streaming) answers and google.rpc.Status errors;
//     an RPC answering google.api.HttpBody (the exports) as the file of its
//     path's extension, with If-None-Match, its ETag and a 304;
//   - real records read from data/ by buf and written in protobuf's JSON
//     mapping fit the document's schemas, with no property the document
//     does not name (so camelCase names, int64-as-string, enum names and
//     timestamps are what protojson writes);
//   - `forum-registry openapi` prints the document byte for byte.
//
// Each check also runs on deliberately broken copies of the document and
// must reject every one of them: a check that cannot fail would pass here.
// Prints one line per failure and closes with "N passed, M failed".
//
// Usage: node tools/openapi/check_openapi.mjs BUF DESCRIPTOR_SET OPENAPI_JSON
//            FORUM_REGISTRY_BINARY DATASET_TEXTPROTO
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { Validator } from '@seriousme/openapi-schema-validator';

const addFormats = addFormatsModule.default ?? addFormatsModule;
const [buf, descriptorSet, documentPath, binary, dataset] =
    process.argv.slice(2);
if (!dataset) {
  console.log('usage: check_openapi.mjs BUF DESCRIPTOR_SET OPENAPI_JSON ' +
              'BINARY DATASET');
  process.exit(2);
}

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log(`FAILED: ${what}`);
  }
}

const documentText = readFileSync(documentPath, 'utf8');
const documentJson = JSON.parse(documentText);
const descriptors = JSON.parse(execFileSync(
    buf, ['build', descriptorSet, '-o', '-#format=json'],
    { maxBuffer: 64 << 20 }));

// --- The descriptor set, indexed. ---

const messages = new Map();  // '.pkg.Msg' -> DescriptorProto (JSON)
function indexMessages(prefix, list) {
  for (const message of list ?? []) {
    const full = `${prefix}.${message.name}`;
    messages.set(full, message);
    indexMessages(full, message.nestedType);
  }
}
for (const file of descriptors.file) {
  indexMessages(file.package ? `.${file.package}` : '', file.messageType);
}
const apiFiles = descriptors.file.filter(
    (f) => (f.package ?? '').startsWith('forumregistry.'));

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];
function rulesOf(method) {
  const rule = method.options?.['[google.api.http]'];
  if (!rule) return [];
  return [rule, ...(rule.additionalBindings ?? [])].map((r) => {
    const verb = HTTP_METHODS.find((m) => r[m] !== undefined);
    return verb ? { verb, path: r[verb], body: r.body ?? '' }
                : { verb: r.custom?.kind?.toLowerCase(), path: r.custom?.path,
                    body: r.body ?? '' };
  });
}

// The URLs a rule's template matches, as a path with `{}` for each
// segment a client fills: `/v1/{name=forums/*}` -> `/v1/forums/{}`.
function ruleShape(template) {
  return template
      .replace(/\{([^}=]+)(=([^}]*))?\}/g, (_, f, __, pattern) => pattern ?? '*')
      .split('/').map((s) => s.replace(/^\*\*?(?=$|:)/, '{}')).join('/');
}
function documentShape(path) {
  return path.replace(/\{[^}]*\}/g, '{}');
}
// The fields a template binds: `forum.name` -> 'forum' and 'forum.name'.
function boundFields(template) {
  return [...template.matchAll(/\{([^}=]+)/g)].map((m) => m[1]);
}

const WELL_KNOWN_SCALARS = new Set([
  '.google.protobuf.Timestamp', '.google.protobuf.Duration',
  '.google.protobuf.FieldMask', '.google.protobuf.DoubleValue',
  '.google.protobuf.FloatValue', '.google.protobuf.Int64Value',
  '.google.protobuf.UInt64Value', '.google.protobuf.Int32Value',
  '.google.protobuf.UInt32Value', '.google.protobuf.BoolValue',
  '.google.protobuf.StringValue', '.google.protobuf.BytesValue',
]);

// --- The checks. Each returns a list of failures for a document. ---

async function validOpenApi(doc) {
  const failures = [];
  const result = await new Validator().validate(structuredClone(doc));
  if (!result.valid) {
    failures.push(`not valid OpenAPI 3.1: ${JSON.stringify(result.errors)
                                               .slice(0, 600)}`);
  }
  if (!String(doc.openapi).startsWith('3.1.')) {
    failures.push(`openapi is ${doc.openapi}, not 3.1.x`);
  }
  // The specification's schema does not look inside Schema Objects: each
  // must also be a JSON Schema of the 2020-12 dialect that 3.1 uses.
  const ajv = new Ajv2020({ strict: false });
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    if (!ajv.validateSchema(schema)) {
      failures.push(`schema ${name} is not JSON Schema 2020-12: ` +
                    ajv.errorsText(ajv.errors));
    }
  }
  return failures;
}

function routesFromDescriptors(doc) {
  const failures = [];
  const pathsByShape = new Map(
      Object.keys(doc.paths ?? {}).map((p) => [documentShape(p), p]));
  for (const file of apiFiles) {
    for (const service of file.service ?? []) {
      for (const method of service.method ?? []) {
        const rpc = `${file.package}.${service.name}.${method.name}`;
        const rules = rulesOf(method);
        if (rules.length === 0) failures.push(`${rpc} has no google.api.http rule`);
        for (const rule of rules) {
          failures.push(...checkRoute(doc, pathsByShape, rpc, method, rule));
        }
      }
    }
  }
  return failures;
}

function checkRoute(doc, pathsByShape, rpc, method, rule) {
  const where = `${rpc} (${rule.verb.toUpperCase()} ${rule.path})`;
  const path = pathsByShape.get(ruleShape(rule.path));
  const operation = path && doc.paths[path][rule.verb];
  if (!operation) return [`${where}: no such operation in the document`];
  const failures = [];
  const params = operation.parameters ?? [];
  const inPath = [...path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
  for (const name of inPath) {
    if (!params.some((p) => p.in === 'path' && p.name === name && p.required)) {
      failures.push(`${where}: path parameter ${name} not declared`);
    }
  }
  if (params.filter((p) => p.in === 'path').length !== inPath.length) {
    failures.push(`${where}: declares path parameters its path lacks`);
  }
  // `Method`, `Service_Method`, and `Method_2` for a method's second rule.
  if (operation.operationId === undefined ||
      !rpc.endsWith(operation.operationId.replace(/_[0-9]+$/, '')
                        .split('_').pop())) {
    failures.push(`${where}: operationId ${operation.operationId}`);
  }
  if (!(operation.tags ?? []).includes(rpc.split('.').at(-2))) {
    failures.push(`${where}: not tagged with its service`);
  }
  if (Boolean(rule.body) !== Boolean(operation.requestBody)) {
    failures.push(`${where}: body "${rule.body}" but requestBody ` +
                  `${operation.requestBody ? 'present' : 'absent'}`);
  }
  // Every request field the path and body leave free is a query parameter.
  if (rule.body !== '*') {
    const bound = new Set(boundFields(rule.path).map((f) => f.split('.')[0]));
    if (rule.body) bound.add(rule.body);
    const request = messages.get(method.inputType);
    for (const field of request?.field ?? []) {
      if (bound.has(field.name)) continue;
      const scalar = field.type !== 'TYPE_MESSAGE' ||
                     WELL_KNOWN_SCALARS.has(field.typeName);
      if (scalar && !params.some((p) => p.in === 'query' &&
                                        p.name === field.jsonName)) {
        failures.push(`${where}: no query parameter ${field.jsonName}`);
      }
    }
  }
  const ok = operation.responses?.['200']?.content ?? {};
  const raw = method.outputType === '.google.api.HttpBody';
  const media = raw ? rawMediaType(rule.path)
              : method.serverStreaming ? 'text/event-stream' : 'application/json';
  if (!ok[media] || Object.keys(ok).length !== 1) {
    failures.push(`${where}: 200 is not ${media} alone`);
  }
  if (raw) {
    if (!operation.responses?.['200']?.headers?.ETag ||
        !operation.responses?.['304']?.headers?.ETag) {
      failures.push(`${where}: a file without its ETag, or no 304`);
    }
    if (!params.some((p) => p.in === 'header' && p.name === 'If-None-Match')) {
      failures.push(`${where}: a file without If-None-Match`);
    }
  }
  const error = operation.responses?.default?.content?.['application/json'];
  if (error?.schema?.$ref !== '#/components/schemas/google.rpc.Status') {
    failures.push(`${where}: default response is not google.rpc.Status`);
  }
  return failures;
}

// The media type of a file the door answers raw (google.api.HttpBody), by the
// extension of the path's last segment: what the door's clients expect of
// the exports (docs/api.md).
function rawMediaType(template) {
  const last = template.split('/').at(-1);
  const types = { '.ics': 'text/calendar', '.json': 'application/json',
                  '.zip': 'application/zip', '.csv': 'text/csv' };
  const extension = Object.keys(types).find((e) => last.endsWith(e));
  return extension ? types[extension] : 'application/octet-stream';
}

// A copy of the schemas that refuses properties they do not name.
function closedSchemas(doc) {
  const schemas = structuredClone(doc.components?.schemas ?? {});
  for (const schema of Object.values(schemas)) {
    if (schema.properties && schema.additionalProperties === undefined) {
      schema.unevaluatedProperties = false;
    }
  }
  return schemas;
}

// Messages as protojson writes them: every record of a dataset, and a page
// of changes (64-bit integers, timestamps, Any) as the server answers it.
function protojson(type, from, input) {
  return JSON.parse(execFileSync(buf, [
    'convert', descriptorSet, '--type', type, '--from', `${from}#format=txtpb`,
    '--to', '-#format=json',
  ], { input, maxBuffer: 64 << 20 }));
}
const samples = [
  ['forumregistry.v1.Dataset', protojson('forumregistry.v1.Dataset', dataset)],
  ['forumregistry.v1.ListChangesResponse', protojson(
      'forumregistry.v1.ListChangesResponse', '-',
      'changes { revision: 120 resource: "forums/arf" ' +
      'operation: CHANGE_OPERATION_UPDATE etag: "W/\\"1\\"" ' +
      'change_time { seconds: 1689068400 nanos: 5000 } ' +
      'record { [type.googleapis.com/forumregistry.v1.Forum] { ' +
      'name: "forums/arf" kind: FORUM_KIND_MINISTERIAL display_name: "ARF" ' +
      'update_time { seconds: 1689068400 } } } } next_page_token: "x"')],
];

function recordsFitSchemas(doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('int64', /^-?[0-9]+$/);
  ajv.addFormat('uint64', /^[0-9]+$/);
  for (const f of ['int32', 'uint32', 'double', 'float']) ajv.addFormat(f, true);
  const id = 'urn:forum-registry:openapi';
  try {
    ajv.addSchema({ $id: id, components: { schemas: closedSchemas(doc) } });
    const failures = [];
    for (const [type, json] of samples) {
      const validate = ajv.getSchema(`${id}#/components/schemas/${type}`);
      if (!validate) {
        failures.push(`no schema ${type}`);
      } else if (!validate(json)) {
        failures.push(...validate.errors.slice(0, 5).map(
            (e) => `${type} ${e.instancePath}: ${e.message} ` +
                   JSON.stringify(e.params)));
      }
    }
    return failures;
  } catch (e) {
    return [`schemas do not compile: ${e.message}`];
  }
}

async function failuresOf(doc) {
  return {
    validity: await validOpenApi(doc),
    routes: routesFromDescriptors(doc),
    records: recordsFitSchemas(doc),
  };
}

// --- The document itself. ---

const real = await failuresOf(documentJson);
for (const [name, failures] of Object.entries(real)) {
  for (const failure of failures) check(false, `${name}: ${failure}`);
  if (failures.length === 0) check(true, name);
}
check(Object.keys(documentJson.paths ?? {}).length > 0 &&
      apiFiles.some((f) => (f.service ?? []).length > 0),
      'the descriptor set has services and the document paths');

const printed = execFileSync(binary, ['openapi'], { maxBuffer: 64 << 20 });
check(printed.toString('utf8') === documentText,
      '`forum-registry openapi` prints the generated document');

// --- Broken copies: each check must reject its own. ---

function broken(what, check_, mutate) {
  const copy = structuredClone(documentJson);
  mutate(copy);
  return { what, check_, copy };
}
const forum = (d) => d.components.schemas['forumregistry.v1.Forum'];
const someRoute = Object.keys(documentJson.paths).find((p) => p.includes('{'));
const breakages = [
  broken('no info', 'validity', (d) => { delete d.info; }),
  broken('a $ref to nothing', 'validity', (d) => {
    forum(d).properties.founded = { $ref: '#/components/schemas/Nothing' };
  }),
  broken('a type JSON Schema does not have', 'validity', (d) => {
    forum(d).properties.displayName.type = 'int64';
  }),
  broken('a route left out', 'routes', (d) => { delete d.paths[someRoute]; }),
  broken('a path parameter undeclared', 'routes', (d) => {
    const item = d.paths[someRoute];
    for (const op of Object.values(item)) {
      op.parameters = op.parameters.filter((p) => p.in !== 'path');
    }
  }),
  broken('a query parameter left out', 'routes', (d) => {
    const op = d.paths['/v1/forums/{forum}'].patch;
    op.parameters = op.parameters.filter((p) => p.name !== 'updateMask');
  }),
  broken('the stream as JSON', 'routes', (d) => {
    const ok = d.paths['/v1/changes:watch'].get.responses['200'];
    ok.content = { 'application/json': ok.content['text/event-stream'] };
  }),
  broken('the calendar as JSON', 'routes', (d) => {
    const ok = d.paths['/v1/forums/{forum}/sessions.ics'].get.responses['200'];
    ok.content = { 'application/json': ok.content['text/calendar'] };
  }),
  broken('a file without its 304', 'routes', (d) => {
    delete d.paths['/v1/exports/csv.zip'].get.responses['304'];
  }),
  broken('a snake_case property', 'records', (d) => {
    const props = forum(d).properties;
    props.display_name = props.displayName;
    delete props.displayName;
    forum(d).required = ['kind'];
  }),
  broken('an int64 as a JSON number', 'records', (d) => {
    d.components.schemas['forumregistry.v1.Change'].properties.revision =
        { type: 'integer' };
  }),
  broken('an enum without one of its values', 'records', (d) => {
    const kinds = d.components.schemas['forumregistry.v1.ForumKind'];
    kinds.enum = kinds.enum.filter((v) => v !== 'FORUM_KIND_ORGANIZATION');
  }),
];
for (const { what, check_, copy } of breakages) {
  const failures = (await failuresOf(copy))[check_];
  check(failures.length > 0, `the ${check_} check rejects a copy with ${what}`);
  if (process.env.CHECK_OPENAPI_VERBOSE) console.log(`  ${what}: ${failures[0]}`);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
