#include "src/domain/partial_date.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::domain {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

PartialDate Date(int year, int month = 0, int day = 0) {
  PartialDate date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

Period MakePeriod(const PartialDate* start, const PartialDate* end) {
  Period period;
  if (start != nullptr) *period.mutable_start() = *start;
  if (end != nullptr) *period.mutable_end() = *end;
  return period;
}

// --- IsEmpty ---------------------------------------------------------------

TEST(IsEmpty, DefaultDateIsEmpty) { EXPECT_TRUE(IsEmpty(PartialDate())); }

TEST(IsEmpty, DateWithYearIsNotEmpty) { EXPECT_FALSE(IsEmpty(Date(2023))); }

// --- ValidatePartialDate ---------------------------------------------------

TEST(ValidatePartialDate, AcceptsYearMonthAndDayPrecision) {
  EXPECT_TRUE(ValidatePartialDate(Date(2023), "d").ok());
  EXPECT_TRUE(ValidatePartialDate(Date(2023, 6), "d").ok());
  EXPECT_TRUE(ValidatePartialDate(Date(2023, 6, 15), "d").ok());
}

TEST(ValidatePartialDate, AcceptsYearBounds) {
  EXPECT_TRUE(ValidatePartialDate(Date(1), "d").ok());
  EXPECT_TRUE(ValidatePartialDate(Date(9999, 12, 31), "d").ok());
}

TEST(ValidatePartialDate, RejectsYearZero) {
  const absl::Status status = ValidatePartialDate(Date(0), "forum.founded");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("forum.founded.year: "));
}

TEST(ValidatePartialDate, RejectsYearTenThousand) {
  const absl::Status status = ValidatePartialDate(Date(10000), "forum.founded");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("forum.founded.year: "));
}

TEST(ValidatePartialDate, RejectsNegativeYear) {
  EXPECT_EQ(ValidatePartialDate(Date(-5), "d").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidatePartialDate, RejectsMonthThirteen) {
  const absl::Status status = ValidatePartialDate(Date(2023, 13), "d");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("d.month: "));
}

TEST(ValidatePartialDate, RejectsNegativeMonth) {
  const absl::Status status = ValidatePartialDate(Date(2023, -1), "d");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("d.month: "));
}

TEST(ValidatePartialDate, RejectsDayWithoutMonth) {
  const absl::Status status = ValidatePartialDate(Date(2023, 0, 15), "d");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("d.day: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("month"));
}

TEST(ValidatePartialDate, RejectsFebruary29InCommonYear) {
  const absl::Status status = ValidatePartialDate(Date(2023, 2, 29), "d");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("d.day: "));
}

TEST(ValidatePartialDate, AcceptsFebruary29InLeapYear) {
  EXPECT_TRUE(ValidatePartialDate(Date(2024, 2, 29), "d").ok());
  EXPECT_TRUE(ValidatePartialDate(Date(2000, 2, 29), "d").ok());
}

TEST(ValidatePartialDate, RejectsFebruary29InCenturyNonLeapYear) {
  EXPECT_EQ(ValidatePartialDate(Date(1900, 2, 29), "d").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidatePartialDate, RejectsDayPastEndOfMonth) {
  EXPECT_EQ(ValidatePartialDate(Date(2023, 4, 31), "d").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidatePartialDate(Date(2023, 1, 32), "d").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidatePartialDate(Date(2023, 1, 31), "d").ok());
}

TEST(ValidatePartialDate, RejectsNegativeDay) {
  EXPECT_EQ(ValidatePartialDate(Date(2023, 3, -1), "d").code(),
            absl::StatusCode::kInvalidArgument);
}

// --- CoveredDays -----------------------------------------------------------

TEST(CoveredDays, YearCoversJanuaryFirstToDecemberThirtyFirst) {
  const DayRange range = CoveredDays(Date(2023));
  EXPECT_EQ(range.first, absl::CivilDay(2023, 1, 1));
  EXPECT_EQ(range.last, absl::CivilDay(2023, 12, 31));
}

TEST(CoveredDays, MonthCoversItsFirstToLastDay) {
  const DayRange range = CoveredDays(Date(2023, 6));
  EXPECT_EQ(range.first, absl::CivilDay(2023, 6, 1));
  EXPECT_EQ(range.last, absl::CivilDay(2023, 6, 30));
}

TEST(CoveredDays, FebruaryOfLeapYearEndsOnTwentyNinth) {
  const DayRange range = CoveredDays(Date(2024, 2));
  EXPECT_EQ(range.first, absl::CivilDay(2024, 2, 1));
  EXPECT_EQ(range.last, absl::CivilDay(2024, 2, 29));
}

TEST(CoveredDays, FebruaryOfCommonYearEndsOnTwentyEighth) {
  EXPECT_EQ(CoveredDays(Date(2023, 2)).last, absl::CivilDay(2023, 2, 28));
}

TEST(CoveredDays, DecemberEndsOnThirtyFirstOfSameYear) {
  const DayRange range = CoveredDays(Date(2023, 12));
  EXPECT_EQ(range.first, absl::CivilDay(2023, 12, 1));
  EXPECT_EQ(range.last, absl::CivilDay(2023, 12, 31));
}

TEST(CoveredDays, DayCoversOnlyItself) {
  const DayRange range = CoveredDays(Date(2022, 12, 15));
  EXPECT_EQ(range.first, absl::CivilDay(2022, 12, 15));
  EXPECT_EQ(range.last, absl::CivilDay(2022, 12, 15));
}

TEST(CoveredDays, PeriodRunsFromFirstDayOfStartToLastDayOfEnd) {
  const PartialDate start = Date(2020, 3);
  const PartialDate end = Date(2022);
  const DayRange range = CoveredDays(MakePeriod(&start, &end));
  EXPECT_EQ(range.first, absl::CivilDay(2020, 3, 1));
  EXPECT_EQ(range.last, absl::CivilDay(2022, 12, 31));
}

TEST(CoveredDays, PeriodWithAbsentEndsIsOpen) {
  const PartialDate start = Date(2020);
  const DayRange open_end = CoveredDays(MakePeriod(&start, nullptr));
  EXPECT_EQ(open_end.first, absl::CivilDay(2020, 1, 1));
  EXPECT_FALSE(open_end.last.has_value());

  const DayRange open_start = CoveredDays(MakePeriod(nullptr, &start));
  EXPECT_FALSE(open_start.first.has_value());
  EXPECT_EQ(open_start.last, absl::CivilDay(2020, 12, 31));
}

TEST(CoveredDays, PeriodWithEmptyEndMessagesIsOpen) {
  const PartialDate empty;
  const DayRange range = CoveredDays(MakePeriod(&empty, &empty));
  EXPECT_FALSE(range.first.has_value());
  EXPECT_FALSE(range.last.has_value());
}

// --- ValidatePeriod --------------------------------------------------------

TEST(ValidatePeriod, AcceptsEndAfterStart) {
  const PartialDate start = Date(2020, 1, 1);
  const PartialDate end = Date(2021, 6);
  EXPECT_TRUE(ValidatePeriod(MakePeriod(&start, &end), "p").ok());
}

TEST(ValidatePeriod, AcceptsStartEqualToEnd) {
  const PartialDate day = Date(2023, 6, 15);
  EXPECT_TRUE(ValidatePeriod(MakePeriod(&day, &day), "p").ok());
}

TEST(ValidatePeriod, RejectsEndBeforeStart) {
  const PartialDate start = Date(2023, 6, 15);
  const PartialDate end = Date(2023, 6, 14);
  const absl::Status status =
      ValidatePeriod(MakePeriod(&start, &end), "role.period");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("role.period.end: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("2023-06-14"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("2023-06-15"));
}

TEST(ValidatePeriod, AcceptsCoarseEndCoveringFinerStart) {
  // "From 15 June 2023 until some time in June 2023" is consistent.
  const PartialDate start = Date(2023, 6, 15);
  const PartialDate end = Date(2023, 6);
  EXPECT_TRUE(ValidatePeriod(MakePeriod(&start, &end), "p").ok());
}

TEST(ValidatePeriod, AcceptsYearEndCoveringFinerStart) {
  const PartialDate start = Date(2023, 11, 30);
  const PartialDate end = Date(2023);
  EXPECT_TRUE(ValidatePeriod(MakePeriod(&start, &end), "p").ok());
}

TEST(ValidatePeriod, RejectsFineEndBeforeCoarseStart) {
  const PartialDate start = Date(2023, 7);
  const PartialDate end = Date(2023, 6, 30);
  const absl::Status status = ValidatePeriod(MakePeriod(&start, &end), "p");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("p.end: "));
}

TEST(ValidatePeriod, RejectsYearEndBeforeYearStart) {
  const PartialDate start = Date(2023);
  const PartialDate end = Date(2022);
  EXPECT_EQ(ValidatePeriod(MakePeriod(&start, &end), "p").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidatePeriod, AcceptsOpenEnds) {
  const PartialDate date = Date(2023, 6);
  EXPECT_TRUE(ValidatePeriod(MakePeriod(&date, nullptr), "p").ok());
  EXPECT_TRUE(ValidatePeriod(MakePeriod(nullptr, &date), "p").ok());
  EXPECT_TRUE(ValidatePeriod(Period(), "p").ok());
}

TEST(ValidatePeriod, TreatsAllZeroEndAsOpen) {
  const PartialDate start = Date(2023, 6);
  const PartialDate empty;
  EXPECT_TRUE(ValidatePeriod(MakePeriod(&start, &empty), "p").ok());
}

TEST(ValidatePeriod, NamesTheInvalidEnd) {
  const PartialDate good = Date(2023);
  const PartialDate bad = Date(2023, 13);
  const absl::Status bad_start =
      ValidatePeriod(MakePeriod(&bad, &good), "names[0].validity");
  EXPECT_EQ(bad_start.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_start.message()),
              StartsWith("names[0].validity.start.month: "));

  const absl::Status bad_end =
      ValidatePeriod(MakePeriod(&good, &bad), "names[0].validity");
  EXPECT_EQ(bad_end.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_end.message()),
              StartsWith("names[0].validity.end.month: "));
}

TEST(ValidatePeriod, RejectsDayWithoutMonthInEnd) {
  // Not all zero, so not "open": the end must be validated.
  const PartialDate end = Date(0, 0, 5);
  const absl::Status status = ValidatePeriod(MakePeriod(nullptr, &end), "p");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("p.end."));
}

// --- FormatPartialDate / ParsePartialDate ----------------------------------

TEST(FormatPartialDate, WritesEachPrecision) {
  EXPECT_EQ(FormatPartialDate(Date(2023)), "2023");
  EXPECT_EQ(FormatPartialDate(Date(2023, 6)), "2023-06");
  EXPECT_EQ(FormatPartialDate(Date(2023, 6, 5)), "2023-06-05");
}

TEST(FormatPartialDate, PadsYearToFourDigits) {
  EXPECT_EQ(FormatPartialDate(Date(987, 1, 2)), "0987-01-02");
}

TEST(ParsePartialDate, ReadsEachPrecision) {
  absl::StatusOr<PartialDate> year = ParsePartialDate("2023");
  ASSERT_TRUE(year.ok()) << year.status();
  EXPECT_EQ(year->year(), 2023);
  EXPECT_EQ(year->month(), 0);
  EXPECT_EQ(year->day(), 0);

  absl::StatusOr<PartialDate> month = ParsePartialDate("2023-06");
  ASSERT_TRUE(month.ok()) << month.status();
  EXPECT_EQ(month->year(), 2023);
  EXPECT_EQ(month->month(), 6);
  EXPECT_EQ(month->day(), 0);

  absl::StatusOr<PartialDate> day = ParsePartialDate("2024-02-29");
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(day->year(), 2024);
  EXPECT_EQ(day->month(), 2);
  EXPECT_EQ(day->day(), 29);
}

TEST(ParsePartialDate, RoundTripsWithFormat) {
  for (const PartialDate& date :
       {Date(1), Date(2023), Date(2023, 1), Date(2023, 12), Date(2022, 12, 15),
        Date(2024, 2, 29), Date(9999, 12, 31), Date(987, 7, 4)}) {
    const std::string text = FormatPartialDate(date);
    const absl::StatusOr<PartialDate> parsed = ParsePartialDate(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(parsed->year(), date.year()) << text;
    EXPECT_EQ(parsed->month(), date.month()) << text;
    EXPECT_EQ(parsed->day(), date.day()) << text;
    EXPECT_EQ(FormatPartialDate(*parsed), text);
  }
}

TEST(ParsePartialDate, RejectsMalformedText) {
  for (const char* text :
       {"2023-6",   "23",        "2023-00",       "2023-02-30",
        "abcd",     "",          "2023-",         "-2023",
        "2023-06-", "2023-06-1", "2023-06-15-01", "20231",
        "+202",     "2023-+6",   "2023-06-00",    "2023-13",
        "0000",     " 2023",     "2023 ",         "2023/06"}) {
    const absl::StatusOr<PartialDate> parsed = ParsePartialDate(text);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << "\"" << text << "\"";
  }
}

TEST(ParsePartialDate, ErrorQuotesTheText) {
  const absl::StatusOr<PartialDate> parsed = ParsePartialDate("2023-6");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("\"2023-6\""));
}

}  // namespace
}  // namespace forum_registry::domain
