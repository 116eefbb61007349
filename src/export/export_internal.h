#ifndef FORUM_REGISTRY_EXPORT_EXPORT_INTERNAL_H_
#define FORUM_REGISTRY_EXPORT_EXPORT_INTERNAL_H_

// What the three formats share: the snapshot, the options, the day records
// must hold on, lookups of referred records, and the scope of one forum.

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "google/protobuf/message.h"
#include "src/domain/filter.h"
#include "src/domain/resource_registry.h"
#include "src/export/export.h"
#include "src/store/exporter.h"

namespace forum_registry::exports::internal {

// Counts what passes through to `out`, for progress.
class CountingSink : public Sink {
 public:
  explicit CountingSink(Sink* out) : out_(out) {}
  absl::Status Write(absl::string_view bytes) override {
    bytes_ += bytes.size();
    return out_->Write(bytes);
  }
  int64_t bytes() const { return bytes_; }

 private:
  Sink* out_;
  int64_t bytes_ = 0;
};

class Context {
 public:
  Context(store::Exporter& source, const ExportOptions& options,
          const Progress& progress);

  // Parses what the options say (the day, the forum's scope): NOT_FOUND when
  // the forum does not exist in the snapshot.
  absl::Status Start();

  store::Exporter& source() { return source_; }
  const ExportOptions& options() const { return options_; }
  const std::optional<absl::CivilDay>& day() const { return day_; }
  // The forum the export is limited to, or empty.
  const std::string& forum() const { return forum_; }

  // Every record of `type` the export holds, in name order: in one forum's
  // scope only its own (the forum and its mechanisms, its memberships,
  // sessions and chairmanships, the action plans and statements of it) and
  // the participants and sources they refer to; as of a day only the
  // memberships and chairmanships that hold on it.
  absl::Status ForEach(const domain::ResourceType& type,
                       const store::Exporter::Each& each);

  // Whether a period or a name's validity holds on the export's day (always
  // without one). An open end is open.
  bool Holds(const forumregistry::v1::Period& period) const;

  // What the exports need of a record another refers to.
  struct Referent {
    std::string display_name;  // a source's title
    std::string uri;           // a source's
    bool person = false;       // a participant that is a person
  };
  // The record `name` as the snapshot has it, kept in a bounded memo; null
  // when it does not exist.
  const Referent* Find(const std::string& name);
  // Its display name, "" when it does not exist.
  std::string DisplayName(const std::string& name);
  // A session's venue as one line: "site, city, country's display name".
  std::string Location(const forumregistry::v1::Venue& venue);

  // Called after each record written.
  void Count(const domain::ResourceType& type, int64_t bytes);
  ExportSummary& summary() { return summary_; }

 private:
  // Collects the participants and sources the forum's records refer to.
  absl::Status CollectReferences();

  store::Exporter& source_;
  const ExportOptions& options_;
  const Progress& progress_;
  std::optional<absl::CivilDay> day_;
  std::string forum_;
  // In one forum's scope: the participants and sources to export.
  std::set<std::string> participants_;
  std::set<std::string> sources_;
  absl::flat_hash_map<std::string, std::optional<Referent>> memo_;
  ExportSummary summary_;
  int64_t records_ = 0;
  // The first lookup that failed other than NOT_FOUND.
  absl::Status error_;
};

// The kind whose table is `table` ("sessions"); one of the registry's.
const domain::ResourceType& TypeOf(absl::string_view table);

// An enum value as filters write it: "DIALOGUE_PARTNER" for
// MEMBERSHIP_ROLE_DIALOGUE_PARTNER; "" for the UNSPECIFIED value.
std::string EnumShortName(const google::protobuf::EnumValueDescriptor& value);

// The same in lower case with spaces ("dialogue partner"), for Popolo's
// free-text classifications and roles.
std::string EnumLabel(const google::protobuf::EnumValueDescriptor& value);

absl::Status WritePopolo(Context& context, Sink* out);
absl::Status WriteCsv(Context& context, FileSet* files);
absl::Status WriteCalendar(Context& context, Sink* out);

}  // namespace forum_registry::exports::internal

#endif  // FORUM_REGISTRY_EXPORT_EXPORT_INTERNAL_H_
