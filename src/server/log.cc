#include "src/server/log.h"

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace forum_registry::server {
namespace {

constexpr char kTime[] = R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",)";

// %* in a pattern: the message, escaped for a JSON string.
class EscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string escaped =
        JsonEscape(std::string(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

std::shared_ptr<spdlog::logger>& EventLogger() {
  static auto* const kLogger = new std::shared_ptr<spdlog::logger>;
  return *kLogger;
}

}  // namespace

void InitLogging(const std::string& level) {
  // A sink apiece: a logger's formatter is its sinks', so two loggers on
  // one sink would both write the last pattern set. (Stdout's sinks share
  // one lock, so their lines never interleave.)
  auto plain = std::make_shared<spdlog::logger>(
      "forum-registry", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  auto plain_format = std::make_unique<spdlog::pattern_formatter>(
      spdlog::pattern_time_type::utc, "\n");
  plain_format->add_flag<EscapedMessage>('*').set_pattern(
      absl::StrCat(kTime, R"("msg":"%*"})"));
  plain->set_formatter(std::move(plain_format));

  auto events = std::make_shared<spdlog::logger>(
      "events", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  events->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      absl::StrCat(kTime, "%v}"), spdlog::pattern_time_type::utc, "\n"));

  const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  for (const auto& logger : {plain, events}) {
    logger->set_level(parsed);
    logger->flush_on(spdlog::level::trace);  // one line per event, at once
  }
  spdlog::set_default_logger(plain);
  EventLogger() = events;
}

void LogEvent(spdlog::level::level_enum level, const std::string& event,
              const LogFields& fields) {
  const std::shared_ptr<spdlog::logger>& logger =
      EventLogger() ? EventLogger() : spdlog::default_logger();
  if (!logger->should_log(level)) return;
  std::string line = absl::StrCat("\"event\":\"", JsonEscape(event), "\"");
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&line, ",\"", JsonEscape(key), "\":");
    if (const auto* s = std::get_if<std::string>(&value)) {
      absl::StrAppend(&line, "\"", JsonEscape(*s), "\"");
    } else if (const auto* i = std::get_if<int64_t>(&value)) {
      absl::StrAppend(&line, *i);
    } else {
      absl::StrAppend(&line, absl::StrFormat("%.3f", std::get<double>(value)));
    }
  }
  logger->log(level, spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace forum_registry::server
