// WithConnectionDefaults: the settings every connection gets (pool.h).

#include "src/store/pool.h"

#include <cstdlib>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace forum_registry::store {
namespace {

// Sets (or, given nullptr, unsets) an environment variable for a scope.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) {
    if (const char* was = std::getenv(name)) was_ = was;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnvironment() {
    if (was_.has_value()) {
      setenv(name_, was_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> was_;
};

TEST(ConnectionDefaults, AreAddedWhereTheUrlLeavesThemUnset) {
  ScopedEnvironment no_pgoptions("PGOPTIONS", nullptr);
  const absl::StatusOr<std::string> url = WithConnectionDefaults(
      "postgresql://u@db.example:6543/registry?connect_timeout=9");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_NE(url->find("host='db.example'"), std::string::npos) << *url;
  EXPECT_NE(url->find("port='6543'"), std::string::npos) << *url;
  EXPECT_NE(url->find("dbname='registry'"), std::string::npos) << *url;
  EXPECT_NE(url->find("connect_timeout='9'"), std::string::npos)
      << "the URL's own value wins: " << *url;
  EXPECT_NE(url->find("keepalives='1'"), std::string::npos) << *url;
  EXPECT_NE(url->find("keepalives_idle='10'"), std::string::npos) << *url;
  EXPECT_NE(url->find("tcp_user_timeout='15000'"), std::string::npos) << *url;

  EXPECT_NE(url->find("options='-c jit=off'"), std::string::npos) << *url;

  const absl::StatusOr<std::string> with_options = WithConnectionDefaults(
      "postgresql:///registry?options=-c%20search_path%3Dx");
  ASSERT_TRUE(with_options.ok()) << with_options.status();
  EXPECT_NE(with_options->find("options='-c search_path=x -c jit=off'"),
            std::string::npos)
      << "added to the URL's own options: " << *with_options;
  const absl::StatusOr<std::string> jit_on =
      WithConnectionDefaults("postgresql:///registry?options=-c%20jit%3Don");
  ASSERT_TRUE(jit_on.ok()) << jit_on.status();
  EXPECT_NE(jit_on->find("options='-c jit=on'"), std::string::npos)
      << "the URL's own jit wins: " << *jit_on;

  const absl::StatusOr<std::string> named_alike = WithConnectionDefaults(
      "postgresql:///registry?options=-c%20search_path%3Djitter%20"
      "-c%20jit_above_cost%3D0");
  ASSERT_TRUE(named_alike.ok()) << named_alike.status();
  EXPECT_NE(named_alike->find("jit_above_cost=0 -c jit=off'"),
            std::string::npos)
      << "other settings naming jit do not set it: " << *named_alike;

  const absl::StatusOr<std::string> quoted =
      WithConnectionDefaults(R"(host=/tmp/s password='it\'s \\x')");
  ASSERT_TRUE(quoted.ok()) << quoted.status();
  EXPECT_NE(quoted->find("connect_timeout='3'"), std::string::npos);
  EXPECT_NE(quoted->find(R"(password='it\'s \\x')"), std::string::npos)
      << "quotes and backslashes survive: " << *quoted;

  const absl::StatusOr<std::string> broken =
      WithConnectionDefaults("not a connection string");
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(broken.status().message().find("cannot be parsed"),
            absl::string_view::npos)
      << broken.status();
}

// libpq sends PGOPTIONS when the URL has no options: the default joins it,
// unless it sets jit itself.
TEST(ConnectionDefaults, JitOffJoinsPgoptions) {
  {
    ScopedEnvironment pgoptions("PGOPTIONS", "-c search_path=x");
    const absl::StatusOr<std::string> url =
        WithConnectionDefaults("postgresql:///registry");
    ASSERT_TRUE(url.ok()) << url.status();
    EXPECT_NE(url->find("options='-c search_path=x -c jit=off'"),
              std::string::npos)
        << *url;
  }
  {
    ScopedEnvironment pgoptions("PGOPTIONS", "-c JIT=on");
    const absl::StatusOr<std::string> url =
        WithConnectionDefaults("postgresql:///registry");
    ASSERT_TRUE(url.ok()) << url.status();
    EXPECT_EQ(url->find("options="), std::string::npos)
        << "PGOPTIONS's own jit is left to libpq to send: " << *url;
  }
  {
    ScopedEnvironment pgoptions("PGOPTIONS", "");
    const absl::StatusOr<std::string> url =
        WithConnectionDefaults("postgresql:///registry");
    ASSERT_TRUE(url.ok()) << url.status();
    EXPECT_NE(url->find("options='-c jit=off'"), std::string::npos) << *url;
  }
}

}  // namespace
}  // namespace forum_registry::store
