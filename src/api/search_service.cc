#include "src/api/search_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/api/status.h"
#include "src/api/unary_read.h"
#include "src/domain/page_token.h"
#include "src/domain/resource_registry.h"
#include "src/domain/search_request.h"
#include "src/domain/status_macros.h"

namespace forum_registry::api {
namespace {

namespace v1 = forumregistry::v1;

// The resource type of a record by its name ("forumregistry.org/Forum").
std::string TypeOf(const std::string& name) {
  const domain::ResourceType* kind = domain::FindByName(name);
  return kind == nullptr ? "" : kind->type;
}

absl::Status RunSearch(store::SearchIndex& index,
                       store::PageTokenKey* page_token_key,
                       CostlyLists* costly_lists,
                       grpc::ServerContextBase* context,
                       const v1::SearchRequest& request,
                       v1::SearchResponse* response) {
  FR_ASSIGN_OR_RETURN(domain::SearchQuery query,
                      domain::ParseSearchRequest(
                          request.query(),
                          std::vector<std::string>(request.types().begin(),
                                                   request.types().end()),
                          request.filter(), request.page_size()));
  if (page_token_key == nullptr) {
    return absl::InternalError("no key to sign page tokens with");
  }
  const absl::Time deadline = DeadlineOf(context);
  FR_ASSIGN_OR_RETURN(const domain::PageTokens* tokens,
                      page_token_key->Get(deadline));
  const std::string fingerprint = domain::SearchFingerprint(query);
  if (!request.page_token().empty()) {
    FR_ASSIGN_OR_RETURN(
        const std::vector<std::string> key,
        tokens->DecodeKey(request.page_token(), fingerprint, 1));
    if (!absl::SimpleAtoi(key[0], &query.offset) || query.offset <= 0 ||
        query.offset >= domain::kMaxSearchResults) {
      return absl::InvalidArgumentError(
          "page_token: is not a token this service issued for this search");
    }
  }
  // No page reaches past the last result a query may yield.
  query.page_size =
      std::min(query.page_size, domain::kMaxSearchResults - query.offset);
  // A search for a word thousands of records hold reads them all to rank
  // them, and the planner cannot tell it from a cheap one (decisions §47):
  // every search holds a slot of the costly-read budget while it runs.
  std::optional<CostlyLists::Slot> slot;
  if (costly_lists != nullptr) {
    FR_ASSIGN_OR_RETURN(
        CostlyLists::Slot admitted,
        costly_lists->AdmitAlways(deadline, context, "a search"));
    slot.emplace(std::move(admitted));
  }
  FR_ASSIGN_OR_RETURN(const store::SearchPage page,
                      index.Search(query, deadline));
  for (const store::SearchHit& hit : page.hits) {
    v1::SearchResult* result = response->add_results();
    result->set_name(hit.name);
    result->set_type(TypeOf(hit.name));
    result->set_display_name(hit.display_name);
    result->set_score(hit.score);
    if (!hit.field.empty()) {
      const domain::HighlightedText snippet =
          domain::SplitHighlights(hit.snippet);
      result->mutable_snippet()->set_field(hit.field);
      result->mutable_snippet()->set_text(snippet.text);
      for (const auto& [start, end] : snippet.highlights) {
        v1::Highlight* highlight = result->mutable_snippet()->add_highlights();
        highlight->set_start(start);
        highlight->set_end(end);
      }
    }
  }
  const int next = query.offset + static_cast<int>(page.hits.size());
  if (page.more && next < domain::kMaxSearchResults) {
    response->set_next_page_token(
        tokens->Encode(fingerprint, {absl::StrCat(next)}));
  }
  return absl::OkStatus();
}

absl::Status RunLookup(store::SearchIndex& index,
                       grpc::ServerContextBase* context,
                       const v1::LookupExternalIdRequest& request,
                       v1::LookupExternalIdResponse* response) {
  FR_RETURN_IF_ERROR(domain::ValidateLookupExternalId(request.external_id()));
  FR_ASSIGN_OR_RETURN(
      const std::vector<store::RecordRef> records,
      index.LookupExternalId(request.external_id(), DeadlineOf(context)));
  for (const store::RecordRef& record : records) {
    v1::ExternalIdMatch* match = response->add_records();
    match->set_name(record.name);
    match->set_type(TypeOf(record.name));
    match->set_display_name(record.display_name);
  }
  return absl::OkStatus();
}

}  // namespace

SearchService::SearchService(const CommonDeps& deps)
    : index_(&deps.read_pool),
      dispatcher_(&deps.dispatcher),
      authorizer_(&deps.authorizer),
      page_token_key_(&deps.page_token_key),
      costly_lists_(&deps.costly_lists) {}

grpc::ServerUnaryReactor* SearchService::Search(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return StartUnaryRead<v1::SearchRequest, v1::SearchResponse>(
      dispatcher_, context, Dispatcher::Answer::kLarge, request, response,
      authorizer_, "Search",
      [this, context](const v1::SearchRequest& in, v1::SearchResponse* out) {
        return RunSearch(index_, page_token_key_, costly_lists_, context, in,
                         out);
      });
}

grpc::ServerUnaryReactor* SearchService::LookupExternalId(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return StartUnaryRead<v1::LookupExternalIdRequest,
                        v1::LookupExternalIdResponse>(
      dispatcher_, context, Dispatcher::Answer::kSmall, request, response,
      authorizer_, "LookupExternalId",
      [this, context](const v1::LookupExternalIdRequest& in,
                      v1::LookupExternalIdResponse* out) {
        return RunLookup(index_, context, in, out);
      });
}

}  // namespace forum_registry::api
