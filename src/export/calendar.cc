// The iCalendar of sessions: IcsWriter (ics_writer.h) writes each session;
// here the sessions are chosen and their venue and citations resolved.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "forumregistry/v1/session.pb.h"
#include "src/domain/status_macros.h"
#include "src/export/export_internal.h"
#include "src/export/ics_writer.h"

namespace forum_registry::exports::internal {

absl::Status WriteCalendar(Context& context, Sink* out) {
  const domain::ResourceType& sessions = TypeOf("sessions");
  CountingSink counted(out);
  IcsWriter::Options options;
  if (context.forum().empty()) {
    options.calendar_name = "Sessions of every forum (forum-registry)";
  } else {
    const std::string display = context.DisplayName(context.forum());
    options.calendar_name = absl::StrCat(
        "Sessions of ", display.empty() ? context.forum() : display);
  }
  options.span_imprecise = context.options().span_imprecise;
  IcsWriter writer(&counted, options);
  FR_RETURN_IF_ERROR(writer.Begin());
  FR_RETURN_IF_ERROR(context.ForEach(
      sessions,
      [&](const google::protobuf::Message& record,
          int64_t version) -> absl::Status {
        const auto& session =
            static_cast<const forumregistry::v1::Session&>(record);
        IcsEventContext event;
        event.version = version;
        event.location = context.Location(session.venue());
        for (const forumregistry::v1::Citation& citation :
             session.citations()) {
          IcsCitation cited{"", citation.excerpt(), citation.locator(), ""};
          if (const auto* source = context.Find(citation.source())) {
            cited.title = source->display_name;
            cited.uri = source->uri;
          }
          event.citations.push_back(std::move(cited));
        }
        const int64_t before = writer.written();
        FR_RETURN_IF_ERROR(writer.Add(session, event));
        if (writer.written() > before) {
          context.Count(sessions, counted.bytes());
        }
        return absl::OkStatus();
      }));
  return writer.End();
}

}  // namespace forum_registry::exports::internal
