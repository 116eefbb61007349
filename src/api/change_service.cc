#include "src/api/change_service.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/api/status.h"
#include "src/api/unary_read.h"
#include "src/auth/edge.h"
#include "src/domain/change_filter.h"
#include "src/domain/page_token.h"
#include "src/domain/status_macros.h"

namespace forum_registry::api {
namespace {

namespace v1 = forumregistry::v1;

absl::Status List(store::ChangeLog& log, store::PageTokenKey* page_token_key,
                  CostlyLists* costly_lists, size_t max_page_bytes,
                  grpc::ServerContextBase* context,
                  const v1::ListChangesRequest& request,
                  v1::ListChangesResponse* response) {
  FR_ASSIGN_OR_RETURN(const int page_size,
                      domain::ResolvePageSize(request.page_size()));
  FR_ASSIGN_OR_RETURN(const std::optional<domain::filter::Node> filter,
                      domain::ParseChangeFilter(request.filter()));
  // A token is bound to the filter.
  const std::string fingerprint =
      domain::QueryFingerprint({"changes", domain::filter::Canonical(filter)});
  if (page_token_key == nullptr) {
    return absl::InternalError("no key to sign page tokens with");
  }
  const absl::Time deadline = DeadlineOf(context);
  FR_ASSIGN_OR_RETURN(const domain::PageTokens* tokens,
                      page_token_key->Get(deadline));
  int64_t after = 0;
  if (!request.page_token().empty()) {
    FR_ASSIGN_OR_RETURN(
        const std::vector<std::string> key,
        tokens->DecodeKey(request.page_token(), fingerprint, 1));
    if (!absl::SimpleAtoi(key[0], &after) || after < 0) {
      return absl::InvalidArgumentError(
          "page_token: is not a token this service issued for this list");
    }
    // Retention may have compacted the log past where the last page ended:
    // the next page would skip what went (migrations/0015).
    FR_ASSIGN_OR_RETURN(const store::RevisionBounds bounds,
                        log.Bounds(deadline));
    if (after < bounds.oldest - 1) {
      return absl::OutOfRangeError(absl::StrCat(
          "page_token: the changes after revision ", after,
          " were compacted by retention (--change-retention) since this "
          "list began; the log is whole from revision ",
          bounds.oldest, ": list again"));
    }
  }
  // A filter the indexes do not serve walks the log: such a page holds a
  // slot of the costly-read budget while it runs.
  std::optional<CostlyLists::Slot> slot;
  if (costly_lists != nullptr && filter.has_value()) {
    FR_ASSIGN_OR_RETURN(const double cost,
                        log.EstimateListCost(after, &*filter, page_size,
                                             deadline, max_page_bytes));
    FR_ASSIGN_OR_RETURN(std::optional<CostlyLists::Slot> admitted,
                        costly_lists->AdmitCall(cost, deadline, context));
    if (admitted.has_value()) slot.emplace(std::move(*admitted));
  }
  bool more = false;
  FR_RETURN_IF_ERROR(log.List(
      after, filter ? &*filter : nullptr, page_size,
      [response] { return response->add_changes(); }, &more, deadline,
      max_page_bytes));
  if (more && response->changes_size() > 0) {
    response->set_next_page_token(tokens->Encode(
        fingerprint,
        {std::to_string(
            response->changes(response->changes_size() - 1).revision())}));
  }
  return absl::OkStatus();
}

}  // namespace

ChangeService::ChangeService(const ChangeServiceDeps& deps)
    : log_(&deps.common.read_pool),
      feed_(&deps.feed),
      dispatcher_(&deps.common.dispatcher),
      authorizer_(&deps.common.authorizer),
      page_token_key_(&deps.common.page_token_key),
      costly_lists_(&deps.common.costly_lists),
      max_page_bytes_(deps.limits.max_page_bytes) {}

grpc::ServerUnaryReactor* ChangeService::ListChanges(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return StartUnaryRead<v1::ListChangesRequest, v1::ListChangesResponse>(
      dispatcher_, context, Dispatcher::Answer::kLarge, request, response,
      authorizer_, "ListChanges",
      [this, context](const v1::ListChangesRequest& in,
                      v1::ListChangesResponse* out,
                      const auth::Caller& caller) {
        absl::Status status = List(log_, page_token_key_, costly_lists_,
                                   max_page_bytes_, context, in, out);
        if (!caller.sees_actors) {
          for (v1::Change& change : *out->mutable_changes()) {
            HideActors(&change);
          }
        }
        return status;
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ChangeService::WatchChanges(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  // gRPC's callback thread only hands the watch to the dispatcher: its
  // start is admitted like every other call, and the caller's credentials
  // are checked and the request read on a worker (a token's signature costs
  // as much there as a unary call's), while gRPC holds the reactor, which
  // writes nothing until then. The request and the context live until the
  // reactor is done, which it cannot be before the start is decided.
  const ChangeFeed::PendingWatch watch = feed_->Prepare(context);
  dispatcher_->StartStream(
      context, Dispatcher::Answer::kSmall,
      [this, context, request, watch](grpc::Status admitted) {
        if (!admitted.ok()) return watch.Refuse(std::move(admitted));
        const absl::StatusOr<auth::Caller> caller = authorizer_->Authorize(
            *context, "WatchChanges", auth::Verb::kWatch);
        if (!caller.ok()) return watch.Refuse(ToGrpcStatus(caller.status()));
        v1::WatchChangesRequest parsed;
        if (!Dispatcher::Parse(*request, &parsed).ok()) {
          return watch.Refuse(grpc::Status(
              grpc::StatusCode::INVALID_ARGUMENT,
              "the request is not a forumregistry.v1.WatchChangesRequest"));
        }
        // A watch of the initial state reads pages, as a List does: it is
        // held to a List's bound on the answers waiting for their callers
        // (one from a revision on costs little until changes come, and was
        // admitted as a Get is).
        if (parsed.initial_state()) {
          if (const std::string why =
                  dispatcher_->UnsentPast(Dispatcher::Answer::kLarge);
              !why.empty()) {
            context->AddTrailingMetadata(
                "grpc-retry-pushback-ms",
                std::to_string(Dispatcher::kPushbackMs));
            return watch.Refuse(Dispatcher::Refusal(why));
          }
        }
        watch.Begin(parsed,
                    {.connection = auth::ConnectionKey(*context),
                     .caller = auth::CallerKey(*context, caller->identity),
                     .sees_actors = caller->sees_actors});
      });
  return watch.reactor();
}

}  // namespace forum_registry::api
