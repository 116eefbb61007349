#include "src/server/serve_flags.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::server {
namespace {

using ::testing::HasSubstr;

TEST(ServeFlags, DefaultsComeFromTheTable) {
  const ServeConfig config = DefaultServeConfig();
  EXPECT_EQ(config.listen_address, "0.0.0.0:50051");
  EXPECT_EQ(config.metrics_address, "0.0.0.0:9090");
  EXPECT_EQ(config.pool_size, 4);
  EXPECT_EQ(config.max_message_bytes, 4 << 20);
  EXPECT_EQ(config.max_unsent_bytes, 32 << 20);
  EXPECT_EQ(config.watch_buffer_bytes, 64 << 20);
  EXPECT_EQ(config.change_retention, absl::Hours(720));
  EXPECT_EQ(config.request_id_retention, absl::Hours(24));
  EXPECT_EQ(config.tls_client_role, "reader");
  EXPECT_EQ(config.jwt_roles_claim, "roles");
  EXPECT_FALSE(config.no_auth);
}

TEST(ServeFlags, EveryRowHasANameHelpAndGroupOfItsOwn) {
  FlagSet flags("serve", "");
  ServeConfig config;
  AddServeFlags(&flags, &config);
  std::set<std::string> names;
  for (const FlagSpec& spec : flags.specs()) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    EXPECT_FALSE(spec.help.empty()) << spec.name;
    EXPECT_FALSE(spec.group.empty()) << spec.name;
  }
  EXPECT_GE(names.size(), 50u);
}

TEST(ServeFlags, SetsTheFieldOfItsRowFromFlagsAndEnvironment) {
  FlagSet flags("serve", "");
  ServeConfig config;
  AddServeFlags(&flags, &config);
  std::vector<std::string> positional;
  bool help = false;
  ASSERT_TRUE(flags
                  .Parse({"--max-unsent-bytes=8MiB", "--pool-size", "7",
                          "--watch-stall-timeout=250ms", "--no-auth",
                          "--tls-client-ca=/ca.pem"},
                         &positional, &help)
                  .ok());
  EXPECT_EQ(config.max_unsent_bytes, 8 << 20);
  EXPECT_EQ(config.pool_size, 7);
  EXPECT_EQ(config.watch_stall_timeout, absl::Milliseconds(250));
  EXPECT_TRUE(config.no_auth);
  EXPECT_EQ(config.tls_client_ca, "/ca.pem");
  const absl::Status zero = flags.Parse({"--pool-size=0"}, &positional, &help);
  EXPECT_THAT(std::string(zero.message()),
              HasSubstr("--pool-size: \"0\" is out of range: it must be from "
                        "1 to 10000"));
  // A purge batch has the bounds of the database's purge functions.
  ASSERT_TRUE(
      flags.Parse({"--change-purge-batch=250"}, &positional, &help).ok());
  EXPECT_EQ(config.change_purge_batch, 250);
  for (const char* batch :
       {"--change-purge-batch=0", "--change-purge-batch=100001"}) {
    EXPECT_THAT(std::string(flags.Parse({batch}, &positional, &help).message()),
                HasSubstr("it must be from 1 to 100000"))
        << batch;
  }
}

TEST(ServeFlags, ChecksAcrossFlagsNameTheFlags) {
  ServeConfig config = DefaultServeConfig();
  config.database_url = "postgresql:///db";
  config.no_auth = true;
  EXPECT_TRUE(ValidateServeConfig(config).ok());

  const auto message = [](const ServeConfig& c) {
    return std::string(ValidateServeConfig(c).message());
  };
  ServeConfig no_database = config;
  no_database.database_url.clear();
  EXPECT_THAT(message(no_database), HasSubstr("--database-url"));
  ServeConfig nothing_to_listen_on = config;
  nothing_to_listen_on.listen_address.clear();
  EXPECT_THAT(message(nothing_to_listen_on), HasSubstr("nothing to listen on"));
  ServeConfig open_edge = config;
  open_edge.edge_address = "0.0.0.0:50052";
  open_edge.listen_address.clear();
  EXPECT_THAT(message(open_edge), HasSubstr("must be a loopback address"));
  ServeConfig big_records = config;
  big_records.max_record_bytes = config.max_message_bytes;
  EXPECT_THAT(message(big_records), HasSubstr("--max-record-bytes"));
  ServeConfig half_tls = config;
  half_tls.tls_cert = "/cert.pem";
  EXPECT_THAT(message(half_tls), HasSubstr("go together"));
  ServeConfig bad_role = config;
  bad_role.tls_client_role = "owner";
  EXPECT_THAT(message(bad_role), HasSubstr("--tls-client-role"));
  ServeConfig actors = config;
  actors.show_actors_to_anonymous = true;
  EXPECT_THAT(message(actors), HasSubstr("--show-actors-to-anonymous needs "
                                         "--allow-anonymous-reads"));
  actors.allow_anonymous_reads = true;
  EXPECT_TRUE(ValidateServeConfig(actors).ok());
  ServeConfig nobody = config;
  nobody.no_auth = false;
  EXPECT_THAT(message(nobody), HasSubstr("no way to know callers"));
}

}  // namespace
}  // namespace forum_registry::server
