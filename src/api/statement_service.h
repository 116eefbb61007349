#ifndef FORUM_REGISTRY_API_STATEMENT_SERVICE_H_
#define FORUM_REGISTRY_API_STATEMENT_SERVICE_H_

#include "forumregistry/v1/statement.grpc.pb.h"
#include "src/api/resource_methods.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// forumregistry.v1.StatementService on the synchronous server: each RPC
// forwards to the standard methods with the statement resource's rules.
class StatementService final
    : public forumregistry::v1::StatementService::Service {
 public:
  // Writes go to `pool`; reads (Get, List) to `read_pool`, which may be the
  // same pool or one on a replica.
  StatementService(store::ConnectionPool* pool,
                   store::ConnectionPool* read_pool);

  grpc::Status GetStatement(
      grpc::ServerContext* context,
      const forumregistry::v1::GetStatementRequest* request,
      forumregistry::v1::Statement* response) override;
  grpc::Status ListStatements(
      grpc::ServerContext* context,
      const forumregistry::v1::ListStatementsRequest* request,
      forumregistry::v1::ListStatementsResponse* response) override;
  grpc::Status CreateStatement(
      grpc::ServerContext* context,
      const forumregistry::v1::CreateStatementRequest* request,
      forumregistry::v1::Statement* response) override;
  grpc::Status UpdateStatement(
      grpc::ServerContext* context,
      const forumregistry::v1::UpdateStatementRequest* request,
      forumregistry::v1::Statement* response) override;
  grpc::Status DeleteStatement(
      grpc::ServerContext* context,
      const forumregistry::v1::DeleteStatementRequest* request,
      google::protobuf::Empty* response) override;

 private:
  store::ResourceStore store_;
  ResourceMethods methods_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_STATEMENT_SERVICE_H_
