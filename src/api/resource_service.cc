#include "src/api/resource_service.h"

#include <cstdio>
#include <cstdlib>
#include <new>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/field_mask.pb.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/support/byte_buffer.h"
#include "src/api/status.h"
#include "src/domain/write_request.h"
#include "src/store/kinds.h"
#include "src/store/memory_only.h"
#include "src/store/wire.h"

namespace forum_registry::api {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "forum-registry: %s\n", what.c_str());
  std::abort();
}

// The singular field `name` of `message` of `type`; null if there is none
// and it is optional, and a stop otherwise.
const FieldDescriptor* Find(const google::protobuf::Descriptor* message,
                            const std::string& name,
                            FieldDescriptor::CppType type,
                            bool required = true) {
  const FieldDescriptor* field = message->FindFieldByName(name);
  if (field == nullptr && !required) return nullptr;
  if (field == nullptr || field->cpp_type() != type || field->is_repeated()) {
    Fail(absl::StrCat(message->full_name(), " needs a field ", name, " of ",
                      FieldDescriptor::CppTypeName(type)));
  }
  return field;
}

// A string field of the request; "" for a field the request does not have.
std::string StringOf(const Message& message, const FieldDescriptor* field) {
  return field == nullptr ? ""
                          : message.GetReflection()->GetString(message, field);
}

// `work` as an attempt on a thread that must not wait (store/memory_only.h):
// it says it could not answer when it would have left memory, and `work`
// then runs again where waiting is fine.
Dispatcher::Attempt FromMemoryOnly(Dispatcher::Work work) {
  return [work = std::move(work)](grpc::ByteBuffer* out, grpc::Status* status) {
    store::MemoryOnly memory;
    *status = work(out);
    return !memory.missed();
  };
}

}  // namespace

// The fields of one method's request and response that it reads and writes.
struct ResourceService::Fields {
  Fields(const domain::ResourceType& type, StandardMethod method,
         const google::protobuf::MethodDescriptor* descriptor)
      : method_name(descriptor->name()),
        method_full_name(descriptor->full_name()) {
    const google::protobuf::Descriptor* in = descriptor->input_type();
    const google::protobuf::Descriptor* out = descriptor->output_type();
    using T = FieldDescriptor;
    const bool nested = type.parent != nullptr;
    switch (method) {
      case StandardMethod::kGet:
        name = Find(in, "name", T::CPPTYPE_STRING);
        as_of_revision = Find(in, "as_of_revision", T::CPPTYPE_INT64,
                              /*required=*/false);
        min_revision = Find(in, "min_revision", T::CPPTYPE_INT64,
                            /*required=*/false);
        break;
      case StandardMethod::kList:
        parent = Find(in, "parent", T::CPPTYPE_STRING, nested);
        page_size = Find(in, "page_size", T::CPPTYPE_INT32);
        page_token = Find(in, "page_token", T::CPPTYPE_STRING);
        filter = Find(in, "filter", T::CPPTYPE_STRING);
        order_by = Find(in, "order_by", T::CPPTYPE_STRING);
        as_of_revision = Find(in, "as_of_revision", T::CPPTYPE_INT64,
                              /*required=*/false);
        min_revision = Find(in, "min_revision", T::CPPTYPE_INT64,
                            /*required=*/false);
        records = out->FindFieldByName(type.table);
        if (records == nullptr || !records->is_repeated() ||
            records->message_type() != type.descriptor) {
          Fail(absl::StrCat(out->full_name(), " needs a field repeated ",
                            type.descriptor->name(), " ", type.table));
        }
        next_page_token = Find(out, "next_page_token", T::CPPTYPE_STRING);
        break;
      case StandardMethod::kCreate:
        parent = Find(in, "parent", T::CPPTYPE_STRING, nested);
        resource = Find(in, type.field, T::CPPTYPE_MESSAGE);
        id = Find(in, type.id_field, T::CPPTYPE_STRING);
        request_id = Find(in, "request_id", T::CPPTYPE_STRING);
        break;
      case StandardMethod::kUpdate:
        resource = Find(in, type.field, T::CPPTYPE_MESSAGE);
        update_mask = Find(in, "update_mask", T::CPPTYPE_MESSAGE);
        request_id = Find(in, "request_id", T::CPPTYPE_STRING);
        break;
      case StandardMethod::kDelete:
        name = Find(in, "name", T::CPPTYPE_STRING);
        etag = Find(in, "etag", T::CPPTYPE_STRING);
        force = Find(in, "force", T::CPPTYPE_BOOL, /*required=*/false);
        request_id = Find(in, "request_id", T::CPPTYPE_STRING);
        break;
      case StandardMethod::kUndelete:
        name = Find(in, "name", T::CPPTYPE_STRING);
        etag = Find(in, "etag", T::CPPTYPE_STRING);
        request_id = Find(in, "request_id", T::CPPTYPE_STRING);
        if (out != type.descriptor) {
          Fail(absl::StrCat(descriptor->full_name(), " must answer with ",
                            type.descriptor->full_name()));
        }
        break;
    }
  }

  const FieldDescriptor* name = nullptr;
  const FieldDescriptor* parent = nullptr;  // nested kinds only
  const FieldDescriptor* page_size = nullptr;
  const FieldDescriptor* page_token = nullptr;
  const FieldDescriptor* filter = nullptr;
  const FieldDescriptor* order_by = nullptr;
  const FieldDescriptor* as_of_revision = nullptr;  // Get and List; optional
  const FieldDescriptor* min_revision = nullptr;    // Get and List; optional
  const FieldDescriptor* records = nullptr;         // in the List response
  const FieldDescriptor* next_page_token = nullptr;
  const FieldDescriptor* resource = nullptr;  // "forum"
  const FieldDescriptor* id = nullptr;        // "forum_id"
  const FieldDescriptor* update_mask = nullptr;
  const FieldDescriptor* etag = nullptr;
  const FieldDescriptor* force = nullptr;       // kinds with children only
  const FieldDescriptor* request_id = nullptr;  // writes
  const std::string method_name;                // "CreateForum"
  const std::string method_full_name;  // "forumregistry.v1.ForumService..."

  // The revision a Get or List reads at (0: the present).
  int64_t AsOfRevision(const Message& request) const {
    return as_of_revision == nullptr
               ? 0
               : request.GetReflection()->GetInt64(request, as_of_revision);
  }

  // The revision a Get or List must not be older than (0: none).
  int64_t MinRevision(const Message& request) const {
    return min_revision == nullptr
               ? 0
               : request.GetReflection()->GetInt64(request, min_revision);
  }

  // Whether a Delete request asks for `force` (false for kinds without it).
  bool Force(const Message& request) const {
    return force != nullptr && request.GetReflection()->GetBool(request, force);
  }

  // Who writes, and with which request id: the fingerprint covers the
  // method, the caller and the request without its id.
  store::WriteRequest WriteOf(const auth::Caller& caller,
                              const Message& request) const {
    store::WriteRequest write{.actor = caller.identity,
                              .id = StringOf(request, request_id),
                              .method = method_name};
    if (!write.id.empty()) {
      std::unique_ptr<Message> without(request.New());
      without->CopyFrom(request);
      without->GetReflection()->ClearField(without.get(), request_id);
      write.fingerprint = domain::RequestFingerprint(method_full_name,
                                                     caller.identity, *without);
    }
    return write;
  }
};

std::optional<StandardMethod> StandardMethodOf(
    const domain::ResourceType& type,
    const google::protobuf::MethodDescriptor* method) {
  const std::string& kind = type.descriptor->name();
  std::string plural = type.plural;
  if (!plural.empty()) plural[0] = absl::ascii_toupper(plural[0]);
  const std::string& name = method->name();
  if (method->client_streaming() || method->server_streaming()) {
    return std::nullopt;
  }
  if (name == absl::StrCat("Get", kind)) return StandardMethod::kGet;
  if (name == absl::StrCat("List", plural)) return StandardMethod::kList;
  if (name == absl::StrCat("Create", kind)) return StandardMethod::kCreate;
  if (name == absl::StrCat("Update", kind)) return StandardMethod::kUpdate;
  if (name == absl::StrCat("Delete", kind)) return StandardMethod::kDelete;
  if (name == absl::StrCat("Undelete", kind)) return StandardMethod::kUndelete;
  return std::nullopt;
}

// Runs one unary method: on a worker of the dispatcher, the request parsed
// into its generated type, the answer serialized from it. The method is a
// raw callback method of gRPC (the request and response are bytes), so that
// the types can be chosen at run time.
class ResourceService::Handler {
 public:
  using Method = grpc::Status (ResourceService::*)(grpc::ServerContextBase*,
                                                   const auth::Caller&,
                                                   const Fields&,
                                                   const Message&, Message*);

  Handler(ResourceService* service, Method method, StandardMethod standard,
          const google::protobuf::MethodDescriptor* descriptor)
      : service_(service),
        method_(method),
        standard_(standard),
        name_(descriptor->name()),
        fields_(service->type_, standard, descriptor),
        request_prototype_(Prototype(descriptor->input_type())),
        response_prototype_(Prototype(descriptor->output_type())) {}

  grpc::ServerUnaryReactor* Start(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) {
    // A List answers with a page; its answers are the ones bounded first.
    const Dispatcher::Answer answer = standard_ == StandardMethod::kList
                                          ? Dispatcher::Answer::kLarge
                                          : Dispatcher::Answer::kSmall;
    // A Get is parsed here, once: it may be answered from memory at once,
    // and otherwise the worker runs it as parsed.
    std::shared_ptr<Message> parsed;
    if (standard_ == StandardMethod::kGet ||
        standard_ == StandardMethod::kList) {
      parsed.reset(request_prototype_->New());
      if (!Dispatcher::Parse(*request, parsed.get()).ok()) {
        parsed = nullptr;  // Run reports it
      } else if (grpc::ServerUnaryReactor* answered =
                     standard_ == StandardMethod::kGet
                         ? AnswerFromMemory(context, parsed, response)
                         : ListFromMemory(context, parsed, response)) {
        return answered;
      } else if (grpc::ServerUnaryReactor* checked =
                     AfterRevisionCheck(context, parsed, response)) {
        return checked;
      }
    }
    return service_->dispatcher_->Start(
        context, answer, response,
        [this, context, request, parsed](grpc::ByteBuffer* out) {
          return parsed != nullptr ? RunParsed(context, *parsed, out)
                                   : Run(context, *request, out);
        });
  }

 private:
  grpc::Status Run(grpc::CallbackServerContext* context,
                   const grpc::ByteBuffer& bytes, grpc::ByteBuffer* out) {
    std::unique_ptr<Message> request(request_prototype_->New());
    grpc::Status status = Dispatcher::Parse(bytes, request.get());
    if (!status.ok()) return status;
    return RunParsed(context, *request, out);
  }

  grpc::Status RunParsed(grpc::CallbackServerContext* context,
                         const Message& request, grpc::ByteBuffer* out) {
    auth::Caller caller;
    grpc::Status status = Authorize(*context, request, &caller);
    if (!status.ok()) return status;
    return RunAs(context, caller, request, out);
  }

  // The call of a caller who may make it.
  grpc::Status RunAs(grpc::CallbackServerContext* context,
                     const auth::Caller& caller, const Message& request,
                     grpc::ByteBuffer* out) {
    grpc::Status status;
    if (standard_ == StandardMethod::kList) {
      std::string page;
      status = service_->List(context, fields_, request, &page);
      if (!status.ok()) return status;
      return Dispatcher::Bytes(page, out);
    }
    std::unique_ptr<Message> response(response_prototype_->New());
    status =
        (service_->*method_)(context, caller, fields_, request, response.get());
    if (!status.ok()) return status;
    Observe(request, *response, caller);
    return Dispatcher::Serialize(*response, out);
  }

  // A Get naming a revision (min_revision) that this replica's cache has
  // applied, of a record it holds as current: answered on gRPC's thread,
  // with no worker and no database (decisions §70). Null when it cannot be
  // (the call then runs as any other).
  grpc::ServerUnaryReactor* AnswerFromMemory(
      grpc::CallbackServerContext* context,
      const std::shared_ptr<const Message>& request,
      grpc::ByteBuffer* response) {
    const int64_t revision = fields_.MinRevision(*request);
    if (revision <= 0 || fields_.AsOfRevision(*request) != 0) return nullptr;
    std::shared_ptr<const Message> record = service_->store_.FindInMemory(
        StringOf(*request, fields_.name), revision);
    if (record == nullptr) return nullptr;
    return service_->dispatcher_->AnswerNow(
        context, Dispatcher::Answer::kSmall, response,
        [this, context, request, record](grpc::ByteBuffer* out) {
          auth::Caller caller;
          const grpc::Status allowed = Authorize(*context, *request, &caller);
          if (!allowed.ok()) return allowed;
          return Dispatcher::Serialize(*record, out);
        });
  }

  // Whether a List reads the present (no as_of_revision) in name order with
  // no filter: the Lists the list cache can answer.
  bool OfThePresentInNameOrder(const Message& request) const {
    return fields_.AsOfRevision(request) == 0 &&
           StringOf(request, fields_.filter).empty() &&
           StringOf(request, fields_.order_by).empty();
  }

  // A List in name order with no filter naming a revision (min_revision)
  // that the list cache has applied, of a kind it holds: answered on gRPC's
  // thread as AnswerFromMemory answers a Get. Null when it cannot be.
  grpc::ServerUnaryReactor* ListFromMemory(
      grpc::CallbackServerContext* context,
      const std::shared_ptr<const Message>& request,
      grpc::ByteBuffer* response) {
    const int64_t revision = fields_.MinRevision(*request);
    if (revision <= 0 || !OfThePresentInNameOrder(*request) ||
        !service_->store_.ListsFromMemoryAt(revision)) {
      return nullptr;
    }
    // The List finds the revision applied and reads memory; a page that
    // would need the database after all (the kind loaded again since, the
    // page token key not read yet) goes to a worker.
    const Dispatcher::Work list = [this, context,
                                   request](grpc::ByteBuffer* out) {
      return RunParsed(context, *request, out);
    };
    return service_->dispatcher_->AnswerNowOr(
        context, Dispatcher::Answer::kLarge, response, FromMemoryOnly(list),
        list);
  }

  // A Get, or a List in name order with no filter, that names no revision:
  // never stale, so it must see the primary's revision first. The caller is
  // authorized here, on gRPC's thread; the revision is asked with no worker
  // held (store/revision_check.h), and once the checker has it, the call is
  // answered from memory on the checker's thread if the caches have applied
  // that revision (and, for a Get, hold the record), else run on a worker
  // naming it as min_revision (memory once the feed applies it, else the
  // database at it), as the worker would have after asking. Null when
  // memory could not answer the call.
  grpc::ServerUnaryReactor* AfterRevisionCheck(
      grpc::CallbackServerContext* context,
      const std::shared_ptr<Message>& request, grpc::ByteBuffer* response) {
    const bool list = standard_ == StandardMethod::kList;
    const store::ResourceStore& store = service_->store_;
    if (fields_.min_revision == nullptr || fields_.MinRevision(*request) != 0 ||
        (list ? !OfThePresentInNameOrder(*request) || !store.ListsFromMemory()
              : fields_.AsOfRevision(*request) != 0 ||
                    !store.GetsFromMemory())) {
      return nullptr;
    }
    return service_->dispatcher_->StartAfter(
        context, list ? Dispatcher::Answer::kLarge : Dispatcher::Answer::kSmall,
        response, [this, context, request](Dispatcher::Resume resume) {
          auto caller = std::make_shared<auth::Caller>();
          if (grpc::Status allowed =
                  Authorize(*context, *request, caller.get());
              !allowed.ok()) {
            std::move(resume).Now(
                [allowed](grpc::ByteBuffer*) { return allowed; });
            return;
          }
          service_->store_.revisions()->Then(
              [this, context, request, caller, resume = std::move(resume)](
                  absl::StatusOr<int64_t> now) mutable {
                Checked(context, request, caller, std::move(resume), now);
              });
        });
  }

  // The rest of AfterRevisionCheck, on the checker's thread: it must not
  // wait, so what memory cannot answer goes to a worker.
  void Checked(grpc::CallbackServerContext* context,
               const std::shared_ptr<Message>& request,
               const std::shared_ptr<const auth::Caller>& caller,
               Dispatcher::Resume resume, const absl::StatusOr<int64_t>& now) {
    const bool list = standard_ == StandardMethod::kList;
    if (!now.ok() && !list) {
      // As the Get would have said after asking on a worker.
      std::move(resume).Now([status = ToGrpcStatus(now.status())](
                                grpc::ByteBuffer*) { return status; });
      return;
    }
    if (now.ok() && !list) {
      if (std::shared_ptr<const Message> record = service_->store_.FindInMemory(
              StringOf(*request, fields_.name), *now)) {
        std::move(resume).Now([record](grpc::ByteBuffer* out) {
          return Dispatcher::Serialize(*record, out);
        });
        return;
      }
    }
    std::shared_ptr<Message> at = request;
    if (now.ok()) {
      at.reset(request->New());
      at->CopyFrom(*request);
      at->GetReflection()->SetInt64(at.get(), fields_.min_revision, *now);
    }
    const Dispatcher::Work on_worker = [this, context, caller,
                                        at](grpc::ByteBuffer* out) {
      return RunAs(context, *caller, *at, out);
    };
    if (now.ok() && list && service_->store_.ListsFromMemoryAt(*now)) {
      // From memory; a page that would need the database after all (the
      // kind loaded again meanwhile, the page token key not read yet) goes
      // to a worker.
      std::move(resume).TryNow(FromMemoryOnly(on_worker), on_worker);
      return;
    }
    // Not applied yet: a worker waits for the feed or reads the database at
    // that revision. A List whose check failed reads the database as it
    // stands there, after asking once more.
    std::move(resume).Queue(on_worker);
  }

  static const Message* Prototype(const google::protobuf::Descriptor* type) {
    const Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            type);
    if (prototype == nullptr) {
      Fail(absl::StrCat("no generated message ", type->full_name()));
    }
    return prototype;
  }

  // Whether the caller may make this call (auth/roles.h): refused, it does
  // nothing.
  grpc::Status Authorize(const grpc::ServerContextBase& context,
                         const Message& request, auth::Caller* caller) const {
    auth::Verb verb = auth::Verb::kRead;
    switch (standard_) {
      case StandardMethod::kGet:
      case StandardMethod::kList:
        verb = auth::Verb::kRead;
        break;
      case StandardMethod::kCreate:
      case StandardMethod::kUpdate:
      // Restoring what a forced delete took needs more: the method checks
      // it once it knows.
      case StandardMethod::kUndelete:
        verb = auth::Verb::kWrite;
        break;
      case StandardMethod::kDelete:
        verb = fields_.Force(request) ? auth::Verb::kForcedDelete
                                      : auth::Verb::kWrite;
        break;
    }
    absl::StatusOr<auth::Caller> allowed =
        service_->authorizer_->Authorize(context, name_, verb);
    if (!allowed.ok()) return ToGrpcStatus(allowed.status());
    *caller = *std::move(allowed);
    return grpc::Status::OK;
  }

  // Tells the service's write observer of a write that succeeded.
  void Observe(const Message& request, const Message& response,
               const auth::Caller& caller) const {
    if (!service_->write_observer_ || standard_ == StandardMethod::kGet ||
        standard_ == StandardMethod::kList) {
      return;
    }
    // Create and Update answer with the record; Delete names it.
    const Message& named =
        standard_ == StandardMethod::kDelete ? request : response;
    const google::protobuf::FieldDescriptor* name =
        named.GetDescriptor()->FindFieldByName("name");
    service_->write_observer_(
        name_,
        name == nullptr ? "" : named.GetReflection()->GetString(named, name),
        caller);
  }

  ResourceService* const service_;
  const Method method_;
  const StandardMethod standard_;
  const std::string name_;
  const Fields fields_;
  const Message* const request_prototype_;
  const Message* const response_prototype_;
};

ResourceService::ResourceService(const domain::ResourceType& type,
                                 const ResourceServiceDeps& deps)
    : type_(type),
      dispatcher_(&deps.common.dispatcher),
      authorizer_(&deps.common.authorizer),
      store_(&deps.pool, &deps.common.read_pool, store::KindOf(type),
             deps.cache, deps.revisions, deps.lists, deps.list_pool),
      methods_(store_, type, deps.common.page_token_key,
               deps.common.costly_lists, deps.limits),
      write_observer_(deps.on_write) {
  for (int i = 0; i < type.service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = type.service->method(i);
    const std::optional<StandardMethod> standard =
        StandardMethodOf(type, method);
    if (!standard.has_value()) {
      Fail(absl::StrCat(method->full_name(), " is not a standard method of ",
                        type.type));
    }
    Handler::Method run = nullptr;
    switch (*standard) {
      case StandardMethod::kGet:
        run = &ResourceService::Get;
        break;
      case StandardMethod::kList:
        run = nullptr;  // answered as bytes (Handler::Run)
        break;
      case StandardMethod::kCreate:
        run = &ResourceService::Create;
        break;
      case StandardMethod::kUpdate:
        run = &ResourceService::Update;
        break;
      case StandardMethod::kDelete:
        run = &ResourceService::Delete;
        break;
      case StandardMethod::kUndelete:
        run = &ResourceService::Undelete;
        break;
    }
    paths_.push_back(std::make_unique<std::string>(
        absl::StrCat("/", type.service->full_name(), "/", method->name())));
    handlers_.push_back(
        std::make_unique<Handler>(this, run, *standard, method));
    AddMethod(new grpc::internal::RpcServiceMethod(
        paths_.back()->c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        nullptr));
    Handler* handler = handlers_.back().get();
    MarkMethodRawCallback(
        i, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer,
                                                    grpc::ByteBuffer>(
               [handler](grpc::CallbackServerContext* context,
                         const grpc::ByteBuffer* request,
                         grpc::ByteBuffer* response) {
                 return handler->Start(context, request, response);
               }));
  }
}

ResourceService::~ResourceService() = default;

std::vector<std::unique_ptr<ResourceService>> ResourceService::ForEveryKind(
    const ResourceServiceDeps& deps) {
  std::vector<std::unique_ptr<ResourceService>> services;
  for (const domain::ResourceType& type : domain::Resources()) {
    services.push_back(std::make_unique<ResourceService>(type, deps));
  }
  return services;
}

grpc::Status ResourceService::Get(grpc::ServerContextBase* context,
                                  const auth::Caller& /*caller*/,
                                  const Fields& fields, const Message& request,
                                  Message* response) {
  return methods_.Get(context, StringOf(request, fields.name),
                      fields.AsOfRevision(request), fields.MinRevision(request),
                      response);
}

grpc::Status ResourceService::List(grpc::ServerContextBase* context,
                                   const Fields& fields, const Message& request,
                                   std::string* response) {
  const google::protobuf::Reflection* in = request.GetReflection();
  std::string next_page_token;
  grpc::Status status =
      methods_.List(context,
                    {.parent = StringOf(request, fields.parent),
                     .page_size = in->GetInt32(request, fields.page_size),
                     .page_token = StringOf(request, fields.page_token),
                     .filter = StringOf(request, fields.filter),
                     .order_by = StringOf(request, fields.order_by),
                     .as_of_revision = fields.AsOfRevision(request),
                     .min_revision = fields.MinRevision(request)},
                    fields.records->number(), response, &next_page_token);
  if (status.ok() && !next_page_token.empty()) {
    store::AppendLengthDelimited(fields.next_page_token->number(),
                                 next_page_token, response);
  }
  return status;
}

grpc::Status ResourceService::Create(grpc::ServerContextBase* context,
                                     const auth::Caller& caller,
                                     const Fields& fields,
                                     const Message& request,
                                     Message* response) {
  const google::protobuf::Reflection* in = request.GetReflection();
  return methods_.Create(context, StringOf(request, fields.parent),
                         in->GetMessage(request, fields.resource),
                         in->HasField(request, fields.resource),
                         StringOf(request, fields.id), response,
                         fields.WriteOf(caller, request));
}

grpc::Status ResourceService::Update(grpc::ServerContextBase* context,
                                     const auth::Caller& caller,
                                     const Fields& fields,
                                     const Message& request,
                                     Message* response) {
  const google::protobuf::Reflection* in = request.GetReflection();
  return methods_.Update(context, in->GetMessage(request, fields.resource),
                         in->HasField(request, fields.resource),
                         static_cast<const google::protobuf::FieldMask&>(
                             in->GetMessage(request, fields.update_mask)),
                         response, fields.WriteOf(caller, request));
}

grpc::Status ResourceService::Delete(grpc::ServerContextBase* context,
                                     const auth::Caller& caller,
                                     const Fields& fields,
                                     const Message& request,
                                     Message* /*response*/) {
  return methods_.Delete(context, StringOf(request, fields.name),
                         StringOf(request, fields.etag), fields.Force(request),
                         fields.WriteOf(caller, request));
}

grpc::Status ResourceService::Undelete(grpc::ServerContextBase* context,
                                       const auth::Caller& caller,
                                       const Fields& fields,
                                       const Message& request,
                                       Message* response) {
  // Editors restore what they could delete; what a forced delete took with
  // a record comes back only for a role that may delete with force.
  const bool may_restore_children =
      caller.role >= auth::RequiredRole(auth::Verb::kForcedDelete);
  return methods_.Undelete(context, StringOf(request, fields.name),
                           StringOf(request, fields.etag), may_restore_children,
                           response, fields.WriteOf(caller, request));
}

}  // namespace forum_registry::api
