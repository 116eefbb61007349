#include "src/export/ics_writer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/partial_date.h"

namespace forum_registry::exports {
namespace {

using forumregistry::v1::Session;
using ::testing::HasSubstr;
using ::testing::Not;

Session MakeSession(absl::string_view start, absl::string_view end = "") {
  Session session;
  session.set_name("forums/arf/sessions/30");
  session.set_display_name("30th ASEAN Regional Forum");
  *session.mutable_start_date() = *domain::ParsePartialDate(start);
  if (!end.empty())
    *session.mutable_end_date() = *domain::ParsePartialDate(end);
  return session;
}

// The whole calendar for `sessions`.
std::string Calendar(const std::vector<Session>& sessions,
                     bool span_imprecise = false,
                     const IcsEventContext& context = {}) {
  StringSink out;
  IcsWriter writer(&out,
                   {.calendar_name = "ARF", .span_imprecise = span_imprecise});
  EXPECT_TRUE(writer.Begin().ok());
  for (const Session& session : sessions) {
    EXPECT_TRUE(writer.Add(session, context).ok());
  }
  EXPECT_TRUE(writer.End().ok());
  return out.text();
}

// The logical lines of `text`, unfolded, without their CRLF.
std::vector<std::string> Unfolded(const std::string& text) {
  std::vector<std::string> lines =
      absl::StrSplit(absl::StrReplaceAll(text, {{"\r\n ", ""}}), "\r\n");
  EXPECT_EQ(lines.back(), "") << "the text ends with CRLF";
  lines.pop_back();
  return lines;
}

// The value of the first property `name` (with its parameters, as in
// "DTEND;VALUE=DATE"), or "(absent)".
std::string Value(const std::string& text, absl::string_view name) {
  const std::string prefix = absl::StrCat(name, ":");
  for (const std::string& line : Unfolded(text)) {
    if (absl::StartsWith(line, prefix)) return line.substr(prefix.size());
  }
  return "(absent)";
}

std::string DtEnd(absl::string_view start, absl::string_view end = "") {
  return Value(Calendar({MakeSession(start, end)}), "DTEND;VALUE=DATE");
}

// Whether `text` is well-formed UTF-8 (as far as sequence lengths go).
bool IsWholeUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = text[i];
    const size_t length = lead < 0x80             ? 1
                          : (lead & 0xE0) == 0xC0 ? 2
                          : (lead & 0xF0) == 0xE0 ? 3
                          : (lead & 0xF8) == 0xF0 ? 4
                                                  : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += length;
  }
  return true;
}

// Checks the rules of RFC 5545 3.1 on a folded line.
void ExpectFoldedWell(const std::string& line, const std::string& folded) {
  ASSERT_TRUE(absl::EndsWith(folded, "\r\n"));
  std::vector<absl::string_view> physical = absl::StrSplit(
      absl::string_view(folded).substr(0, folded.size() - 2), "\r\n");
  EXPECT_GT(physical.size(), 1u);
  for (size_t i = 0; i < physical.size(); ++i) {
    EXPECT_LE(physical[i].size(), 75u) << i;
    if (i > 0) {
      ASSERT_TRUE(absl::StartsWith(physical[i], " ")) << i;
      physical[i].remove_prefix(1);
    }
    EXPECT_TRUE(IsWholeUtf8(physical[i])) << i << ": " << physical[i];
  }
  EXPECT_EQ(absl::StrReplaceAll(folded, {{"\r\n ", ""}}),
            absl::StrCat(line, "\r\n"));
}

TEST(IcsEscapeText, EscapesBackslashSemicolonCommaAndNewline) {
  EXPECT_EQ(IcsEscapeText("a\\b;c,d\ne"), "a\\\\b\\;c\\,d\\ne");
}

TEST(IcsEscapeText, DropsCarriageReturnsAndControlsButKeepsTabs) {
  EXPECT_EQ(IcsEscapeText("one\r\ntwo\x01\tthree"), "one\\ntwo\tthree");
}

TEST(IcsFoldLine, LeavesALineOf75OctetsAlone) {
  const std::string line(75, 'x');
  EXPECT_EQ(IcsFoldLine(line), line + "\r\n");
  EXPECT_EQ(IcsFoldLine(line + "y"), line + "\r\n y\r\n");
}

TEST(IcsFoldLine, FoldsCyrillicBetweenCharacters) {
  // Two octets a letter, after an odd-length name: every naive cut at 75
  // would fall inside a letter.
  std::string line = "SUMMARY:";
  for (int i = 0; i < 40; ++i) line += "Совещание министров ";
  ExpectFoldedWell(line, IcsFoldLine(line));
}

TEST(IcsFoldLine, FoldsEmojiBetweenCharacters) {
  for (const std::string prefix : {"X:", "XY:", "XYZ:", "XYZW:"}) {
    std::string line = prefix;
    for (int i = 0; i < 60; ++i) line += "\U0001F30F\u2014";
    ExpectFoldedWell(line, IcsFoldLine(line));
  }
}

TEST(IcsWriter, WritesACompleteEvent) {
  Session session = MakeSession("2023-07-12", "2023-07-14");
  session.set_description("Chaired by Indonesia.");
  session.add_topics("maritime security");
  session.add_topics("food, energy");
  session.set_status(forumregistry::v1::SESSION_STATUS_HELD);
  session.mutable_create_time()->set_seconds(1688117400);  // 2023-06-30 09:30
  session.mutable_update_time()->set_seconds(1689327000);  // 2023-07-14 09:30
  const IcsEventContext context = {
      .location = "Shangri-La, Jakarta, Indonesia",
      .citations = {{.title = "Chairman's Statement",
                     .excerpt = "The 30th ARF was held",
                     .locator = "paragraph 1",
                     .uri = "https://asean.org/arf-30"}},
      .version = 3,
  };
  EXPECT_EQ(Calendar({session}, false, context),
            "BEGIN:VCALENDAR\r\n"
            "VERSION:2.0\r\n"
            "PRODID:-//forum-registry//export//EN\r\n"
            "CALSCALE:GREGORIAN\r\n"
            "X-WR-CALNAME:ARF\r\n"
            "X-WR-CALDESC:Sessions known only to the month or year are not "
            "listed.\r\n"
            "BEGIN:VEVENT\r\n"
            "UID:forums/arf/sessions/30@forumregistry.org\r\n"
            "SEQUENCE:2\r\n"
            "DTSTAMP:20230714T093000Z\r\n"
            "CREATED:20230630T093000Z\r\n"
            "LAST-MODIFIED:20230714T093000Z\r\n"
            "DTSTART;VALUE=DATE:20230712\r\n"
            "DTEND;VALUE=DATE:20230715\r\n"
            "SUMMARY:30th ASEAN Regional Forum\r\n"
            "LOCATION:Shangri-La\\, Jakarta\\, Indonesia\r\n"
            "CATEGORIES:maritime security,food\\, energy\r\n"
            "STATUS:CONFIRMED\r\n"
            "DESCRIPTION:Chaired by Indonesia.\\nChairman's Statement: "
            "\u201cThe 30th ARF wa\r\n"
            " s held\u201d (paragraph 1) https://asean.org/arf-30\r\n"
            "URL:https://asean.org/arf-30\r\n"
            "END:VEVENT\r\n"
            "END:VCALENDAR\r\n");
}

TEST(IcsWriter, EndsTheDayAfterTheLastDay) {
  EXPECT_EQ(DtEnd("2023-07-12", "2023-07-14"), "20230715");
  EXPECT_EQ(DtEnd("2023-07-12"), "20230713");
  EXPECT_EQ(DtEnd("2023-01-30", "2023-01-31"), "20230201");
  EXPECT_EQ(DtEnd("2023-12-30", "2023-12-31"), "20240101");
  EXPECT_EQ(DtEnd("2024-02-28", "2024-02-29"), "20240301");
  EXPECT_EQ(DtEnd("2023-02-28"), "20230301");
}

TEST(IcsWriter, EndsAfterTheLastDayOfAnEndKnownToTheMonth) {
  EXPECT_EQ(DtEnd("2024-02-27", "2024-02"), "20240301");
  EXPECT_EQ(DtEnd("2023-11-28", "2023-12"), "20240101");
}

TEST(IcsWriter, LeavesOutAndCountsSessionsWithoutADay) {
  StringSink out;
  IcsWriter writer(&out, {.calendar_name = "ARF"});
  ASSERT_TRUE(writer.Begin().ok());
  ASSERT_TRUE(writer.Add(MakeSession("2023-07"), {}).ok());
  ASSERT_TRUE(writer.Add(MakeSession("2023"), {}).ok());
  ASSERT_TRUE(writer.Add(MakeSession("2023-07-12"), {}).ok());
  ASSERT_TRUE(writer.End().ok());
  EXPECT_EQ(writer.written(), 1);
  EXPECT_EQ(writer.omitted(), 2);
  EXPECT_THAT(out.text(), Not(HasSubstr("day unknown")));
}

TEST(IcsWriter, SpansTheMonthOrYearOfASessionWithoutADayWhenAsked) {
  const std::string month = Calendar({MakeSession("2023-07")}, true);
  EXPECT_EQ(Value(month, "DTSTART;VALUE=DATE"), "20230701");
  EXPECT_EQ(Value(month, "DTEND;VALUE=DATE"), "20230801");
  EXPECT_EQ(Value(month, "TRANSP"), "TRANSPARENT");
  EXPECT_EQ(Value(month, "SUMMARY"),
            "30th ASEAN Regional Forum (day unknown: July 2023)");
  EXPECT_THAT(Value(month, "X-WR-CALDESC"), HasSubstr("spanning"));

  const std::string year = Calendar({MakeSession("2023")}, true);
  EXPECT_EQ(Value(year, "DTSTART;VALUE=DATE"), "20230101");
  EXPECT_EQ(Value(year, "DTEND;VALUE=DATE"), "20240101");
  EXPECT_EQ(Value(year, "SUMMARY"),
            "30th ASEAN Regional Forum (day unknown: 2023)");

  // An end known to a later month extends the span; a day-precise session
  // is opaque, the default, and says nothing of days.
  EXPECT_EQ(Value(Calendar({MakeSession("2023-11", "2024-01")}, true),
                  "DTEND;VALUE=DATE"),
            "20240201");
  const std::string day = Calendar({MakeSession("2023-07-12")}, true);
  EXPECT_EQ(Value(day, "TRANSP"), "(absent)");
  EXPECT_EQ(Value(day, "SUMMARY"), "30th ASEAN Regional Forum");
}

TEST(IcsWriter, MapsTheSessionStatus) {
  const struct {
    forumregistry::v1::SessionStatus status;
    const char* value;
  } cases[] = {
      {forumregistry::v1::SESSION_STATUS_UNSPECIFIED, "(absent)"},
      {forumregistry::v1::SESSION_STATUS_PLANNED, "TENTATIVE"},
      {forumregistry::v1::SESSION_STATUS_HELD, "CONFIRMED"},
      {forumregistry::v1::SESSION_STATUS_POSTPONED, "TENTATIVE"},
      {forumregistry::v1::SESSION_STATUS_CANCELLED, "CANCELLED"},
  };
  for (const auto& c : cases) {
    Session session = MakeSession("2023-07-12");
    session.set_status(c.status);
    EXPECT_EQ(Value(Calendar({session}), "STATUS"), c.value) << c.status;
  }
  Session postponed = MakeSession("2023-07-12");
  postponed.set_status(forumregistry::v1::SESSION_STATUS_POSTPONED);
  EXPECT_EQ(Value(Calendar({postponed}), "DESCRIPTION"), "Postponed.");
}

TEST(IcsWriter, NumbersTheSequenceFromTheVersion) {
  const Session session = MakeSession("2023-07-12");
  EXPECT_EQ(Value(Calendar({session}, false, {.version = 1}), "SEQUENCE"), "0");
  EXPECT_EQ(Value(Calendar({session}, false, {.version = 7}), "SEQUENCE"), "6");
}

TEST(IcsWriter, StampsTheEpochWhenTheRecordHasNoTimes) {
  const std::string text = Calendar({MakeSession("2023-07-12")});
  EXPECT_EQ(Value(text, "DTSTAMP"), "19700101T000000Z");
  EXPECT_EQ(Value(text, "CREATED"), "(absent)");
  EXPECT_EQ(Value(text, "LAST-MODIFIED"), "(absent)");
}

TEST(IcsWriter, DescribesInferredDatesAndCitationsWithTheirEmptyPartsLeftOut) {
  Session session = MakeSession("2023-07-12");
  session.mutable_start_date()->set_inferred(true);
  const IcsEventContext context = {
      .citations = {{.title = "Press release"},
                    {.excerpt = "met in Jakarta", .uri = "https://a.org/1"},
                    {},
                    {.title = "Report", .locator = "p. 4"}},
  };
  const std::string text = Calendar({session}, false, context);
  EXPECT_EQ(Value(text, "DESCRIPTION"),
            "Date inferred from the source.\\nPress release\\n"
            "\u201cmet in Jakarta\u201d https://a.org/1\\nReport (p. 4)");
  EXPECT_EQ(Value(text, "URL"), "https://a.org/1");
}

TEST(IcsWriter, WritesTheSameBytesForTheSameInput) {
  Session session = MakeSession("2023-07-12", "2023-07-14");
  session.mutable_update_time()->set_seconds(1689327000);
  std::string long_text;
  for (int i = 0; i < 50; ++i) long_text += "Совещание; министров, ";
  session.set_description(long_text);
  const std::string first = Calendar({session, MakeSession("2023-08")}, true);
  EXPECT_EQ(Calendar({session, MakeSession("2023-08")}, true), first);
  // Every line ends in CRLF: no bare LF, no bare CR.
  EXPECT_EQ(absl::StrReplaceAll(first, {{"\r\n", ""}}).find_first_of("\r\n"),
            std::string::npos);
}

TEST(IcsWriter, RefusesSessionsOutsideBeginAndEnd) {
  StringSink out;
  IcsWriter writer(&out, {.calendar_name = "ARF"});
  EXPECT_EQ(writer.Add(MakeSession("2023-07-12"), {}).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(writer.Begin().ok());
  ASSERT_TRUE(writer.End().ok());
  EXPECT_EQ(writer.Add(MakeSession("2023-07-12"), {}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer.End().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace forum_registry::exports
