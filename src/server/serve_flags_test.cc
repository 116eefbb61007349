#include "src/server/serve_flags.h"

#include <set>

#include "absl/strings/str_cat.h"
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
  EXPECT_EQ(config.change_retention,
            absl::ZeroDuration());  // keeps every change
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
  config.allow_anonymous_reads = true;
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
  actors.allow_anonymous_reads = false;
  actors.tls_client_ca = "/ca.pem";
  actors.tls_cert = "/cert.pem";
  actors.tls_key = "/key.pem";
  actors.show_actors_to_anonymous = true;
  EXPECT_THAT(message(actors), HasSubstr("--show-actors-to-anonymous needs "
                                         "--allow-anonymous-reads"));
  actors.allow_anonymous_reads = true;
  EXPECT_TRUE(ValidateServeConfig(actors).ok());
  ServeConfig nobody = config;
  nobody.allow_anonymous_reads = false;
  EXPECT_THAT(message(nobody), HasSubstr("no way to know callers"));
}

// --no-auth fails closed: beside any other way to know callers, or beyond
// loopback without a second flag that says so, it is refused, naming both.
TEST(ServeFlags, NoAuthGoesWithNoCredentialAndStaysOnLoopback) {
  ServeConfig local = DefaultServeConfig();
  local.database_url = "postgresql:///db";
  local.no_auth = true;
  local.listen_address = "127.0.0.1:50051";
  EXPECT_TRUE(ValidateServeConfig(local).ok());
  for (const char* address : {"[::1]:0", "localhost:7000"}) {
    ServeConfig loopback = local;
    loopback.listen_address = address;
    EXPECT_TRUE(ValidateServeConfig(loopback).ok()) << address;
  }
  ServeConfig read_only = local;
  read_only.read_only = true;
  EXPECT_TRUE(ValidateServeConfig(read_only).ok());

  const auto message = [](const ServeConfig& c) {
    return std::string(ValidateServeConfig(c).message());
  };
  const std::pair<const char*, void (*)(ServeConfig&)> credentials[] = {
      {"--jwt-public-keys", [](ServeConfig& c) { c.jwt_public_keys = "k"; }},
      {"--jwt-issuer", [](ServeConfig& c) { c.jwt_issuer = "https://i"; }},
      {"--jwt-audience", [](ServeConfig& c) { c.jwt_audience = "a"; }},
      {"--jwt-roles-claim", [](ServeConfig& c) { c.jwt_roles_claim = "r"; }},
      {"--allow-anonymous-reads",
       [](ServeConfig& c) { c.allow_anonymous_reads = true; }},
      {"--tls-cert",
       [](ServeConfig& c) {
         c.tls_cert = "/cert.pem";
         c.tls_key = "/key.pem";
       }},
      {"--tls-client-ca",
       [](ServeConfig& c) {
         c.tls_cert = "/cert.pem";
         c.tls_key = "/key.pem";
         c.tls_client_ca = "/ca.pem";
       }},
      {"--tls-client-role",
       [](ServeConfig& c) { c.tls_client_role = "editor"; }},
      {"--jwt-refresh-interval",
       [](ServeConfig& c) { c.jwt_refresh_interval = absl::Seconds(5); }},
      {"--tls-refresh-interval",
       [](ServeConfig& c) { c.tls_refresh_interval = absl::Seconds(5); }},
  };
  for (const auto& [flag, set] : credentials) {
    ServeConfig both = local;
    set(both);
    EXPECT_THAT(message(both),
                HasSubstr(absl::StrCat("--no-auth cannot go with ", flag)));
  }

  ServeConfig anywhere = local;
  anywhere.listen_address = "0.0.0.0:50051";
  EXPECT_THAT(message(anywhere),
              HasSubstr("--no-auth on --listen-address \"0.0.0.0:50051\", "
                        "which is not loopback"));
  EXPECT_THAT(message(anywhere), HasSubstr("--no-auth-beyond-loopback"));
  anywhere.no_auth_beyond_loopback = true;
  EXPECT_TRUE(ValidateServeConfig(anywhere).ok());

  ServeConfig behind_edge = local;
  behind_edge.listen_address.clear();
  behind_edge.edge_address = "127.0.0.1:50052";
  EXPECT_THAT(message(behind_edge), HasSubstr("--no-auth with --edge-address"));
  behind_edge.no_auth_beyond_loopback = true;
  EXPECT_TRUE(ValidateServeConfig(behind_edge).ok());

  ServeConfig stray = DefaultServeConfig();
  stray.database_url = "postgresql:///db";
  stray.allow_anonymous_reads = true;
  stray.no_auth_beyond_loopback = true;
  EXPECT_THAT(message(stray), HasSubstr("goes with --no-auth only"));
}

}  // namespace
}  // namespace forum_registry::server
