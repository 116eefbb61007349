#include "src/api/statement_service.h"

#include "src/api/resources.h"
#include "src/store/kinds.h"

namespace forum_registry::api {

using forumregistry::v1::Statement;

StatementService::StatementService(store::ConnectionPool* pool,
                                   store::ConnectionPool* read_pool)
    : store_(pool, read_pool, store::kinds::Statements()),
      methods_(&store_, StatementApi()) {}

grpc::Status StatementService::GetStatement(
    grpc::ServerContext* context,
    const forumregistry::v1::GetStatementRequest* request,
    Statement* response) {
  return methods_.Get(context, request->name(), response);
}

grpc::Status StatementService::ListStatements(
    grpc::ServerContext* context,
    const forumregistry::v1::ListStatementsRequest* request,
    forumregistry::v1::ListStatementsResponse* response) {
  return methods_.List(
      context,
      {.page_size = request->page_size(),
       .page_token = request->page_token(),
       .filter = request->filter(),
       .order_by = request->order_by()},
      [response] { return response->add_statements(); },
      response->mutable_next_page_token());
}

grpc::Status StatementService::CreateStatement(
    grpc::ServerContext* context,
    const forumregistry::v1::CreateStatementRequest* request,
    Statement* response) {
  return methods_.Create(context, "", request->statement(),
                         request->has_statement(), request->statement_id(),
                         response);
}

grpc::Status StatementService::UpdateStatement(
    grpc::ServerContext* context,
    const forumregistry::v1::UpdateStatementRequest* request,
    Statement* response) {
  return methods_.Update(context, request->statement(),
                         request->has_statement(), request->update_mask(),
                         response);
}

grpc::Status StatementService::DeleteStatement(
    grpc::ServerContext* context,
    const forumregistry::v1::DeleteStatementRequest* request,
    google::protobuf::Empty* /*response*/) {
  return methods_.Delete(context, request->name(), request->etag(), false);
}

}  // namespace forum_registry::api
