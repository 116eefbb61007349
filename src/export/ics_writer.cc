#include "src/export/ics_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "src/domain/partial_date.h"
#include "src/domain/status_macros.h"

namespace forum_registry::exports {
namespace {

using forumregistry::v1::PartialDate;
using forumregistry::v1::Session;
using forumregistry::v1::SessionStatus;

// RFC 5545 3.1: "Lines of text SHOULD NOT be longer than 75 octets,
// excluding the line break."
constexpr size_t kMaxLineOctets = 75;

// DTSTAMP is required; a record without an update_time (none the store
// writes, but a message built by hand) gets the epoch rather than the
// time of the export, which would make the output differ from run to run.
constexpr absl::string_view kEpochStamp = "19700101T000000Z";

constexpr const char* kMonthNames[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

// UTC in the basic format RFC 5545 3.3.5 calls "form #2".
std::string UtcStamp(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ",
                          absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

std::string DateValue(absl::CivilDay day) {
  return absl::StrFormat("%04d%02d%02d", day.year(), day.month(), day.day());
}

// A URI value is not TEXT and has no escapes; a control character in one
// (there should be none) would end the content line, so it is dropped.
std::string UriValue(absl::string_view uri) {
  std::string out;
  out.reserve(uri.size());
  for (const char c : uri) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out.push_back(c);
  }
  return out;
}

// "July 2023" or "2023": the precision the source gave.
std::string ImpreciseLabel(const PartialDate& date) {
  if (date.month() >= 1 && date.month() <= 12) {
    return absl::StrCat(kMonthNames[date.month() - 1], " ", date.year());
  }
  return absl::StrCat(date.year());
}

// STATUS for a session's status; empty for none. A postponed meeting has
// no new date yet, so it is as tentative as a planned one; the description
// says why.
absl::string_view StatusValue(SessionStatus status) {
  switch (status) {
    case forumregistry::v1::SESSION_STATUS_PLANNED:
    case forumregistry::v1::SESSION_STATUS_POSTPONED:
      return "TENTATIVE";
    case forumregistry::v1::SESSION_STATUS_HELD:
      return "CONFIRMED";
    case forumregistry::v1::SESSION_STATUS_CANCELLED:
      return "CANCELLED";
    default:
      return "";
  }
}

// `<title>: “<excerpt>” (<locator>) <uri>`, with the parts that are empty
// (and the punctuation that goes with them) left out.
std::string CitationLine(const IcsCitation& citation) {
  std::string line = citation.title;
  const auto separate = [&line](absl::string_view separator) {
    if (!line.empty()) absl::StrAppend(&line, separator);
  };
  if (!citation.excerpt.empty()) {
    separate(": ");
    absl::StrAppend(&line, "\u201c", citation.excerpt, "\u201d");
  }
  if (!citation.locator.empty()) {
    separate(" ");
    absl::StrAppend(&line, "(", citation.locator, ")");
  }
  if (!citation.uri.empty()) {
    separate(" ");
    absl::StrAppend(&line, citation.uri);
  }
  return line;
}

}  // namespace

std::string IcsEscapeText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\\':
      case ';':
      case ',':
        out.push_back('\\');
        out.push_back(c);
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\t':
        out.push_back(c);
        break;
      default:
        // RFC 5545 3.3.11 excludes CONTROL (0x00-0x1F but tab, and 0x7F)
        // from TEXT; a CR of a CRLF in the record's text is one of them.
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string IcsFoldLine(absl::string_view line) {
  std::string out;
  out.reserve(line.size() + line.size() / (kMaxLineOctets - 1) * 3 + 2);
  // The first physical line holds 75 octets of the line; each continuation
  // holds 74, since its leading space counts.
  size_t room = kMaxLineOctets;
  while (line.size() > room) {
    size_t cut = room;
    // Back up to the start of a UTF-8 sequence (a byte not of the form
    // 10xxxxxx). Invalid text with a run of continuation bytes longer than a
    // line is cut where it must be rather than not at all.
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    if (cut == 0) cut = room;
    out.append(line.data(), cut);
    out.append("\r\n ");
    line.remove_prefix(cut);
    room = kMaxLineOctets - 1;
  }
  out.append(line.data(), line.size());
  out.append("\r\n");
  return out;
}

IcsWriter::IcsWriter(Sink* out, Options options)
    : out_(out), options_(std::move(options)) {}

absl::Status IcsWriter::Line(absl::string_view line) {
  return out_->Write(IcsFoldLine(line));
}

absl::Status IcsWriter::Begin() {
  if (state_ != State::kNotBegun) {
    return absl::FailedPreconditionError("the calendar was already begun");
  }
  state_ = State::kOpen;
  const absl::string_view description =
      options_.span_imprecise
          ? "Sessions whose day is not known are listed as events spanning "
            "their month or year, with \"day unknown\" in the summary."
          : "Sessions known only to the month or year are not listed.";
  FR_RETURN_IF_ERROR(Line("BEGIN:VCALENDAR"));
  FR_RETURN_IF_ERROR(Line("VERSION:2.0"));
  FR_RETURN_IF_ERROR(Line("PRODID:-//forum-registry//export//EN"));
  FR_RETURN_IF_ERROR(Line("CALSCALE:GREGORIAN"));
  FR_RETURN_IF_ERROR(Line(
      absl::StrCat("X-WR-CALNAME:", IcsEscapeText(options_.calendar_name))));
  return Line(absl::StrCat("X-WR-CALDESC:", IcsEscapeText(description)));
}

absl::Status IcsWriter::Add(const Session& session,
                            const IcsEventContext& context) {
  if (state_ != State::kOpen) {
    return absl::FailedPreconditionError(
        "sessions are added between Begin and End");
  }
  const PartialDate& start = session.start_date();
  // A session without a start date breaks a required field's rule; it
  // cannot be put on a calendar either.
  if (domain::IsEmpty(start)) {
    ++omitted_;
    return absl::OkStatus();
  }
  const bool day_known = start.month() != 0 && start.day() != 0;
  if (!day_known && !options_.span_imprecise) {
    ++omitted_;
    return absl::OkStatus();
  }

  // The event runs from the first day the start covers to the last day
  // either date covers; DTEND is the day after it (RFC 5545 3.6.1: a DATE
  // end is exclusive). For a day-precise start this is the end_date's last
  // day, or the start itself. Taking the later of the two also keeps an
  // event whose end_date is shorter than an imprecise start (the start
  // "2023", the end "2023-03") from ending before the start's span does.
  const domain::DayRange start_days = domain::CoveredDays(start);
  absl::CivilDay last = *start_days.last;
  if (session.has_end_date() && !domain::IsEmpty(session.end_date())) {
    last = std::max(last, *domain::CoveredDays(session.end_date()).last);
  }

  FR_RETURN_IF_ERROR(Line("BEGIN:VEVENT"));
  FR_RETURN_IF_ERROR(Line(absl::StrCat("UID:", IcsEscapeText(session.name()),
                                       "@forumregistry.org")));
  FR_RETURN_IF_ERROR(Line(
      absl::StrCat("SEQUENCE:", std::max<int64_t>(context.version - 1, 0))));
  FR_RETURN_IF_ERROR(Line(absl::StrCat(
      "DTSTAMP:", session.has_update_time() ? UtcStamp(session.update_time())
                                            : std::string(kEpochStamp))));
  if (session.has_create_time()) {
    FR_RETURN_IF_ERROR(
        Line(absl::StrCat("CREATED:", UtcStamp(session.create_time()))));
  }
  if (session.has_update_time()) {
    FR_RETURN_IF_ERROR(
        Line(absl::StrCat("LAST-MODIFIED:", UtcStamp(session.update_time()))));
  }
  FR_RETURN_IF_ERROR(
      Line(absl::StrCat("DTSTART;VALUE=DATE:", DateValue(*start_days.first))));
  FR_RETURN_IF_ERROR(
      Line(absl::StrCat("DTEND;VALUE=DATE:", DateValue(last + 1))));

  std::string summary = session.display_name();
  if (!day_known) {
    // Transparent: a month-long event must not mark the subscriber busy.
    FR_RETURN_IF_ERROR(Line("TRANSP:TRANSPARENT"));
    absl::StrAppend(&summary, " (day unknown: ", ImpreciseLabel(start), ")");
  }
  FR_RETURN_IF_ERROR(Line(absl::StrCat("SUMMARY:", IcsEscapeText(summary))));
  if (!context.location.empty()) {
    FR_RETURN_IF_ERROR(
        Line(absl::StrCat("LOCATION:", IcsEscapeText(context.location))));
  }
  if (session.topics_size() > 0) {
    // Each topic is escaped on its own, so that a comma inside one does not
    // split it into two categories.
    FR_RETURN_IF_ERROR(Line(absl::StrCat(
        "CATEGORIES:",
        absl::StrJoin(session.topics(), ",",
                      [](std::string* out, const std::string& topic) {
                        out->append(IcsEscapeText(topic));
                      }))));
  }
  if (const absl::string_view status = StatusValue(session.status());
      !status.empty()) {
    FR_RETURN_IF_ERROR(Line(absl::StrCat("STATUS:", status)));
  }

  std::vector<std::string> paragraphs;
  if (!session.description().empty()) {
    paragraphs.push_back(session.description());
  }
  if (session.status() == forumregistry::v1::SESSION_STATUS_POSTPONED) {
    paragraphs.push_back("Postponed.");
  }
  if (start.inferred() || session.end_date().inferred()) {
    paragraphs.push_back("Date inferred from the source.");
  }
  const std::string* url = nullptr;
  for (const IcsCitation& citation : context.citations) {
    if (std::string line = CitationLine(citation); !line.empty()) {
      paragraphs.push_back(std::move(line));
    }
    if (url == nullptr && !citation.uri.empty()) url = &citation.uri;
  }
  if (!paragraphs.empty()) {
    FR_RETURN_IF_ERROR(Line(absl::StrCat(
        "DESCRIPTION:", IcsEscapeText(absl::StrJoin(paragraphs, "\n")))));
  }
  if (url != nullptr) {
    FR_RETURN_IF_ERROR(Line(absl::StrCat("URL:", UriValue(*url))));
  }
  FR_RETURN_IF_ERROR(Line("END:VEVENT"));
  ++written_;
  return absl::OkStatus();
}

absl::Status IcsWriter::End() {
  if (state_ != State::kOpen) {
    return absl::FailedPreconditionError(
        "the calendar is ended once, after Begin");
  }
  state_ = State::kEnded;
  return Line("END:VCALENDAR");
}

}  // namespace forum_registry::exports
