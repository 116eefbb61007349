#include "src/server/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::server {
namespace {

using ::testing::HasSubstr;

TEST(Metrics, CountsRpcsByMethodAndCode) {
  Metrics metrics;
  const std::string method = "/forumregistry.v1.ForumService/GetForum";
  metrics.RpcStarted(method);
  metrics.RpcStarted(method);
  metrics.RpcHandled(method, grpc::OK, 0.003);
  metrics.RpcHandled(method, grpc::NOT_FOUND, 0.2);
  const std::string text = metrics.Render();
  const std::string labels =
      "grpc_type=\"unary\",grpc_service=\"forumregistry.v1.ForumService\","
      "grpc_method=\"GetForum\"";
  EXPECT_THAT(text, HasSubstr("grpc_server_started_total{" + labels + "} 2\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{" + labels +
                              ",grpc_code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{" + labels +
                              ",grpc_code=\"NOT_FOUND\"} 1\n"));
}

TEST(Metrics, StreamingMethodsHaveTheirGrpcType) {
  Metrics metrics;
  metrics.RpcStarted("/forumregistry.v1.ChangeService/WatchChanges");
  metrics.RpcStarted("/forumregistry.v1.ChangeService/ListChanges");
  const std::string text = metrics.Render();
  EXPECT_THAT(text,
              HasSubstr("grpc_server_started_total{grpc_type=\"server_"
                        "stream\",grpc_service=\"forumregistry.v1."
                        "ChangeService\",grpc_method=\"WatchChanges\"} 1"));
  EXPECT_THAT(text, HasSubstr("grpc_server_started_total{grpc_type=\"unary\","
                              "grpc_service=\"forumregistry.v1.ChangeService\","
                              "grpc_method=\"ListChanges\"} 1"));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics metrics;
  const std::string method = "/s.S/M";
  metrics.RpcHandled(method, grpc::OK, 0.003);  // le 0.005
  metrics.RpcHandled(method, grpc::OK, 0.2);    // le 0.25
  metrics.RpcHandled(method, grpc::OK, 60);     // only +Inf
  const std::string text = metrics.Render();
  const std::string labels =
      "grpc_type=\"unary\",grpc_service=\"s.S\",grpc_method=\"M\"";
  EXPECT_THAT(text, HasSubstr("_bucket{" + labels + ",le=\"0.0025\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("_bucket{" + labels + ",le=\"0.005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("_bucket{" + labels + ",le=\"0.25\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("_bucket{" + labels + ",le=\"5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("_bucket{" + labels + ",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_count{" + labels +
                              "} 3\n"));
}

TEST(Metrics, ReportsPools) {
  store::ConnectionPool pool({.url = "postgresql:///unused", .size = 3});
  Metrics metrics;
  const std::string text = metrics.Render({.pools = {{"primary", &pool}}});
  EXPECT_THAT(text,
              HasSubstr("forum_registry_db_pool_size{pool=\"primary\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("forum_registry_db_pool_connections{pool="
                              "\"primary\",state=\"in_use\"} 0\n"));
  EXPECT_THAT(
      text, HasSubstr("forum_registry_db_pool_waiting{pool=\"primary\"} 0\n"));
}

}  // namespace
}  // namespace forum_registry::server
