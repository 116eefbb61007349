#ifndef FORUM_REGISTRY_SERVER_LOG_H_
#define FORUM_REGISTRY_SERVER_LOG_H_

// Logs as JSON lines on stdout, one object per line, ready for a log
// collector:
//
//   {"time":"2026-11-28T02:41:07.123456Z","level":"info","event":"rpc",
//    "method":"/forumregistry.v1.ForumService/GetForum","code":"OK",...}
//
// Structured events go through LogEvent with their fields; plain spdlog calls
// elsewhere (spdlog::warn("...")) come out as {"time":...,"level":...,
// "msg":"..."}. Both use spdlog, which Debian ships, on one shared sink.

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "spdlog/spdlog.h"
#include "src/domain/json_text.h"

namespace forum_registry::server {

// One field of an event: a string, an integer or a floating-point number.
using LogValue = std::variant<std::string, int64_t, double>;
using LogFields = std::vector<std::pair<std::string, LogValue>>;

// Sets up the JSON format and the level ("debug", "info", "warn", "error").
// Call once, before logging.
void InitLogging(const std::string& level);

// Logs the event `event` with `fields`.
void LogEvent(spdlog::level::level_enum level, const std::string& event,
              const LogFields& fields = {});

// `text` as the inside of a JSON string (without the quotes).
using domain::JsonEscape;

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_LOG_H_
