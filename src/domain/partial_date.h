#ifndef FORUM_REGISTRY_DOMAIN_PARTIAL_DATE_H_
#define FORUM_REGISTRY_DOMAIN_PARTIAL_DATE_H_

// Partial dates and periods.
//
// Sources date things to the precision they know: "2022", "June 2023",
// "15 December 2022". A PartialDate keeps exactly that, and means every day it
// names: "June 2023" covers 1 to 30 June 2023. A Period runs from the first
// day of its start to the last day of its end; either end may be open.
//
//   PartialDate june;  june.set_year(2023); june.set_month(6);
//   DayRange r = *CoveredDays(june);   // [2023-06-01, 2023-06-30]
//
// Validation errors are INVALID_ARGUMENT and name the field given.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "forumregistry/v1/common.pb.h"

namespace forum_registry::domain {

using forumregistry::v1::PartialDate;
using forumregistry::v1::Period;

// The first and last day a partial date or period covers, both inclusive.
// An absent bound is open.
struct DayRange {
  std::optional<absl::CivilDay> first;
  std::optional<absl::CivilDay> last;
};

// True if no part of the date is set (the message is absent or all zero).
bool IsEmpty(const PartialDate& date);

// Checks year 1-9999, month 0-12, day 0-31 and valid for its month, and that
// a day comes with a month.
absl::Status ValidatePartialDate(const PartialDate& date,
                                 absl::string_view field);

// Checks both ends and that the end is not before the start: the end's last
// day must not fall before the start's first day.
absl::Status ValidatePeriod(const Period& period, absl::string_view field);

// The days a valid, non-empty date covers.
DayRange CoveredDays(const PartialDate& date);

// The days a valid period covers: from the first day of its start to the last
// day of its end.
DayRange CoveredDays(const Period& period);

// "2023", "2023-06", "2023-06-15".
std::string FormatPartialDate(const PartialDate& date);

// Parses the three forms FormatPartialDate writes.
absl::StatusOr<PartialDate> ParsePartialDate(absl::string_view text);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_PARTIAL_DATE_H_
