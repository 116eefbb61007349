#include "src/store/errors.h"

#include <array>
#include <atomic>
#include <pqxx/pqxx>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

namespace forum_registry::store {
namespace {

constexpr absl::string_view kClientPrefix = "forum-registry: ";

// The text after 'forum-registry: ' on the first line of the server's
// message, or empty when the message is not one of ours.
std::string ClientMessage(absl::string_view what) {
  const size_t at = what.find(kClientPrefix);
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = what.substr(at + kClientPrefix.size());
  return std::string(rest.substr(0, rest.find('\n')));
}

// The first line of a server message, for logs.
std::string FirstLine(absl::string_view what) {
  return std::string(what.substr(0, what.find('\n')));
}

absl::Status FromSqlState(const std::string& state, absl::string_view what) {
  const std::string ours = ClientMessage(what);
  const auto with = [&](absl::Status (*make)(absl::string_view),
                        absl::string_view fallback) {
    return make(ours.empty() ? fallback : absl::string_view(ours));
  };
  if (state == "23505") {
    return with(absl::AlreadyExistsError, "the record already exists");
  }
  if (state == "23503") {
    if (absl::StrContains(what, "update or delete on table")) {
      return with(absl::FailedPreconditionError,
                  "the record is still referred to by another record");
    }
    return with(absl::InvalidArgumentError,
                "the record refers to a record that does not exist");
  }
  if (state == "23P01") {
    return with(absl::FailedPreconditionError,
                "the record conflicts with an existing record");
  }
  if (absl::StartsWith(state, "23") || absl::StartsWith(state, "22")) {
    if (ours.empty()) {
      spdlog::warn("database refused a write: {}", FirstLine(what));
    }
    return with(absl::InvalidArgumentError,
                "the record breaks a rule of the database");
  }
  if (state == "40001" || state == "40P01") {
    return absl::AbortedError(
        "the transaction conflicted with another one; retry");
  }
  if (state == "57014") {
    return absl::DeadlineExceededError(
        "the database did not answer in time (statement timeout)");
  }
  if (absl::StartsWith(state, "08") || absl::StartsWith(state, "57P") ||
      absl::StartsWith(state, "53")) {
    return absl::UnavailableError("the database is unavailable; retry");
  }
  spdlog::error("database error {}: {}", state, FirstLine(what));
  return absl::InternalError("internal database error");
}

std::array<std::atomic<uint64_t>, 17>& ErrorCounters() {
  static auto* const kCounters = new std::array<std::atomic<uint64_t>, 17>();
  return *kCounters;
}

}  // namespace

void CountDatabaseError(absl::StatusCode code) {
  const int index = static_cast<int>(code);
  if (index >= 0 && index < 17) ++ErrorCounters()[index];
}

std::map<int, uint64_t> DatabaseErrorCounts() {
  std::map<int, uint64_t> counts;
  for (absl::StatusCode code :
       {absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded,
        absl::StatusCode::kAborted, absl::StatusCode::kInternal,
        absl::StatusCode::kUnknown}) {
    counts[static_cast<int>(code)] = ErrorCounters()[static_cast<int>(code)];
  }
  return counts;
}

absl::Status CommitInDoubtError() {
  absl::Status status = absl::UnknownError(
      "the connection to the database was lost during COMMIT: the write may "
      "or may not have been applied; retry with the same request_id to apply "
      "it exactly once, or read the record to find out");
  status.SetPayload(kCommitInDoubtPayload, absl::Cord("1"));
  return status;
}

absl::Status CommitNotReplicatedError() {
  CountDatabaseError(absl::StatusCode::kUnknown);
  return absl::UnknownError(
      "the write was committed on the primary, but no replica confirmed it "
      "before the deadline (synchronous replication): it may be lost if the "
      "primary fails now; retry with the same request_id, which answers once "
      "a replica has it");
}

bool IsCommitInDoubt(const absl::Status& status) {
  return status.GetPayload(kCommitInDoubtPayload).has_value();
}

bool IsConnectionBroken(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) return true;
  // Thrown when the connection broke during COMMIT.
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) return true;
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    return absl::StartsWith(sql->sqlstate(), "08") ||
           absl::StartsWith(sql->sqlstate(), "57P");
  }
  return false;
}

// The mapping itself, without counting.
absl::Status MapException(const std::exception& e);

absl::Status StatusFromException(const std::exception& e) {
  absl::Status status = MapException(e);
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
      CountDatabaseError(status.code());
      break;
    default:
      break;
  }
  return status;
}

absl::Status MapException(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    spdlog::warn("database connection lost: {}", FirstLine(e.what()));
    return absl::UnavailableError("the database is unavailable; retry");
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    spdlog::warn("database connection lost during COMMIT: {}",
                 FirstLine(e.what()));
    return CommitInDoubtError();
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    return FromSqlState(sql->sqlstate(), e.what());
  }
  // libpqxx 6 throws serialization failures and deadlocks as
  // transaction_rollback, which carries no SQLSTATE.
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr) {
    return absl::AbortedError(
        "the transaction conflicted with another one; retry");
  }
  spdlog::error("store error: {}", FirstLine(e.what()));
  return absl::InternalError("internal database error");
}

}  // namespace forum_registry::store
