// Partial dates ("2023", "2023-06", "2023-06-15"). Properties: a date that
// parses is valid, formats back to the same text, and covers a non-empty
// range of days.

#include <cstdint>

#include "fuzz/fuzz_check.h"
#include "src/domain/partial_date.h"

namespace fr = forum_registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fr::fuzz::Text(data, size);
  const auto date = fr::domain::ParsePartialDate(text);
  if (!date.ok()) return 0;
  FUZZ_CHECK(fr::domain::ValidatePartialDate(*date, "date").ok()) << text;
  FUZZ_CHECK(fr::domain::FormatPartialDate(*date) == text) << text;
  const fr::domain::DayRange days = fr::domain::CoveredDays(*date);
  FUZZ_CHECK(days.first.has_value() && days.last.has_value() &&
             *days.first <= *days.last)
      << text;
  return 0;
}
