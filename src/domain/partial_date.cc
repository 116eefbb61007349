#include "src/domain/partial_date.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace forum_registry::domain {

bool IsEmpty(const PartialDate& date) {
  return date.year() == 0 && date.month() == 0 && date.day() == 0;
}

absl::Status ValidatePartialDate(const PartialDate& date,
                                 absl::string_view field) {
  if (date.year() < 1 || date.year() > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".year: must be between 1 and 9999"));
  }
  if (date.month() < 0 || date.month() > 12) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".month: must be between 1 and 12, or 0 when unknown"));
  }
  if (date.day() != 0) {
    if (date.month() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".day: a day needs a month"));
    }
    const absl::CivilDay day(date.year(), date.month(), date.day());
    if (date.day() < 1 || day.month() != date.month() ||
        day.day() != date.day()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s.day: %d-%02d has no day %d", field, date.year(),
                          date.month(), date.day()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePeriod(const Period& period, absl::string_view field) {
  const bool has_start = period.has_start() && !IsEmpty(period.start());
  const bool has_end = period.has_end() && !IsEmpty(period.end());
  if (has_start) {
    if (absl::Status s =
            ValidatePartialDate(period.start(), absl::StrCat(field, ".start"));
        !s.ok()) {
      return s;
    }
  }
  if (has_end) {
    if (absl::Status s =
            ValidatePartialDate(period.end(), absl::StrCat(field, ".end"));
        !s.ok()) {
      return s;
    }
  }
  if (has_start && has_end &&
      *CoveredDays(period.end()).last < *CoveredDays(period.start()).first) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".end: ", FormatPartialDate(period.end()),
        " is before the start ", FormatPartialDate(period.start())));
  }
  return absl::OkStatus();
}

DayRange CoveredDays(const PartialDate& date) {
  if (date.month() == 0) {
    return {absl::CivilDay(date.year(), 1, 1),
            absl::CivilDay(date.year(), 12, 31)};
  }
  if (date.day() == 0) {
    const absl::CivilMonth month(date.year(), date.month());
    return {absl::CivilDay(month), absl::CivilDay(month + 1) - 1};
  }
  const absl::CivilDay day(date.year(), date.month(), date.day());
  return {day, day};
}

DayRange CoveredDays(const Period& period) {
  DayRange range;
  if (period.has_start() && !IsEmpty(period.start())) {
    range.first = CoveredDays(period.start()).first;
  }
  if (period.has_end() && !IsEmpty(period.end())) {
    range.last = CoveredDays(period.end()).last;
  }
  return range;
}

std::string FormatPartialDate(const PartialDate& date) {
  if (date.month() == 0) return absl::StrFormat("%04d", date.year());
  if (date.day() == 0) {
    return absl::StrFormat("%04d-%02d", date.year(), date.month());
  }
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(),
                         date.day());
}

absl::StatusOr<PartialDate> ParsePartialDate(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not a date: use YYYY, YYYY-MM or YYYY-MM-DD"));
  };
  if (parts.size() > 3 || parts[0].size() != 4) return bad();
  int values[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    if ((i > 0 && parts[i].size() != 2) ||
        parts[i].find_first_not_of("0123456789") != absl::string_view::npos ||
        !absl::SimpleAtoi(parts[i], &values[i])) {
      return bad();
    }
  }
  PartialDate date;
  date.set_year(values[0]);
  date.set_month(values[1]);
  date.set_day(values[2]);
  if (parts.size() >= 2 && date.month() == 0) return bad();
  if (parts.size() == 3 && date.day() == 0) return bad();
  if (absl::Status s = ValidatePartialDate(date, "date"); !s.ok()) return s;
  return date;
}

}  // namespace forum_registry::domain
