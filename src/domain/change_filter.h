#ifndef FORUM_REGISTRY_DOMAIN_CHANGE_FILTER_H_
#define FORUM_REGISTRY_DOMAIN_CHANGE_FILTER_H_

// The fields a filter of the change feed may name (ListChanges,
// WatchChanges):
//
//   resource = "forums/arf"             one record's history
//   collection = "forums/arf/sessions"  the records of one collection
//   operation = DELETE                  or CREATE, UPDATE
//   revision > 120                      a position in the feed
//   change_time >= "2026-11-01"         when committed, by UTC day
//
// ListChanges reads them in SQL (src/store/change_log.cc); WatchChanges
// matches the changes it has in memory with MatchesChange, which gives the
// same answers (tests/integration/watch_test.cc compares the two).

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "src/domain/filter.h"

namespace forum_registry::domain {

const filter::Schema& ChangeFilterSchema();

// Parses a filter of the change feed (filter::Parse with
// ChangeFilterSchema()), and checks that each `resource` it names is "" or
// the name of a record of a kind the registry has.
absl::StatusOr<std::optional<filter::Node>> ParseChangeFilter(
    absl::string_view text);

// What a change filter looks at.
struct ChangeFacts {
  // The record's name; its collection is the name without the last segment.
  absl::string_view resource;
  // The full name of its forumregistry.v1.ChangeOperation value.
  absl::string_view operation;
  int64_t revision = 0;
  // The UTC day of the change.
  absl::CivilDay change_day;
};

// Whether `facts` satisfies `filter`, parsed with ChangeFilterSchema().
bool MatchesChange(const filter::Node& filter, const ChangeFacts& facts);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_CHANGE_FILTER_H_
