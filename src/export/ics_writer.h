#ifndef FORUM_REGISTRY_EXPORT_ICS_WRITER_H_
#define FORUM_REGISTRY_EXPORT_ICS_WRITER_H_

// An iCalendar (RFC 5545) of sessions, one VEVENT each, for calendar
// applications that subscribe to a forum's meetings.
//
//   IcsWriter ics(&out, {.calendar_name = "ASEAN Regional Forum"});
//   FR_RETURN_IF_ERROR(ics.Begin());
//   for (...) FR_RETURN_IF_ERROR(ics.Add(session, context));
//   FR_RETURN_IF_ERROR(ics.End());
//
// Calendars hold days, and a session known only to its month or year has no
// day to put it on. Such sessions are left out by default (and counted in
// omitted()) rather than pinned to the 1st; with `span_imprecise` they are
// listed as transparent events covering the whole month or year, so that
// they do not show the subscriber as busy, and their summary says the day is
// unknown.
//
// The output is a function of the input alone: no wall-clock time is written
// (DTSTAMP is the record's update_time), so the same snapshot always gives
// the same bytes and a subscriber's client sees no change when nothing
// changed. Each event's SEQUENCE is the record's version less one, which is
// what clients compare to take an update.
//
// The writer resolves nothing itself: the caller looks up the venue's country
// and the citations' sources and passes them in an IcsEventContext.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "forumregistry/v1/session.pb.h"
#include "src/export/sink.h"

namespace forum_registry::exports {

// A citation with its source resolved. Any part may be empty.
struct IcsCitation {
  std::string title;    // The source's display name.
  std::string excerpt;  // The quoted passage.
  std::string locator;  // Where in the source ("paragraph 3").
  std::string uri;      // Where the source can be read.
};

// What an event shows that the Session itself does not hold.
struct IcsEventContext {
  // Already resolved: "site, city, Country display name". Empty for none.
  std::string location;
  std::vector<IcsCitation> citations;
  // The record's version (1 for a new record).
  int64_t version = 1;
};

class IcsWriter {
 public:
  struct Options {
    // X-WR-CALNAME, the name clients show for the subscription.
    std::string calendar_name;
    // List sessions whose start is known only to the month or year as
    // events spanning it, instead of leaving them out.
    bool span_imprecise = false;
  };

  // `out` must outlive the writer.
  IcsWriter(Sink* out, Options options);

  IcsWriter(const IcsWriter&) = delete;
  IcsWriter& operator=(const IcsWriter&) = delete;

  // Writes BEGIN:VCALENDAR and the calendar's properties. Once, first.
  absl::Status Begin();
  // Writes one VEVENT for `session`, or nothing (counted in omitted()) when
  // its start is not known to the day and span_imprecise is false, or when
  // it has no start date at all. Between Begin and End.
  absl::Status Add(const forumregistry::v1::Session& session,
                   const IcsEventContext& context);
  // Writes END:VCALENDAR. Once, last.
  absl::Status End();

  // Events written, and sessions left out.
  int64_t written() const { return written_; }
  int64_t omitted() const { return omitted_; }

 private:
  enum class State { kNotBegun, kOpen, kEnded };

  // Folds `line` and writes it with its CRLF.
  absl::Status Line(absl::string_view line);

  Sink* const out_;
  const Options options_;
  State state_ = State::kNotBegun;
  int64_t written_ = 0;
  int64_t omitted_ = 0;
};

// Escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma get
// a backslash, a line feed becomes "\n". Carriage returns and the other
// control characters, which a TEXT value may not hold, are dropped; a tab is
// kept.
std::string IcsEscapeText(absl::string_view text);

// Folds one content line, given without its CRLF (RFC 5545 3.1): the result
// is physical lines of at most 75 octets, each continuation starting with a
// space, joined by "\r\n " and ending with "\r\n". A UTF-8 sequence is never
// split between two lines.
std::string IcsFoldLine(absl::string_view line);

}  // namespace forum_registry::exports

#endif  // FORUM_REGISTRY_EXPORT_ICS_WRITER_H_
