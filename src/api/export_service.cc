#include "src/api/export_service.h"

#include <openssl/evp.h>

#include <algorithm>
#include <exception>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "src/api/status.h"
#include "src/domain/status_macros.h"
#include "src/export/zip_writer.h"
#include "src/store/change_log.h"
#include "src/store/exporter.h"

namespace forum_registry::api {
namespace {

namespace v1 = forumregistry::v1;

const char* FormatName(exports::Format format) {
  switch (format) {
    case exports::Format::kPopolo:
      return "popolo";
    case exports::Format::kCsv:
      return "csv";
    case exports::Format::kIcs:
      return "ics";
  }
  return "";
}

// The options of every method: the format, the forum, the dates.
absl::StatusOr<exports::ExportOptions> Checked(exports::ExportOptions options) {
  FR_RETURN_IF_ERROR(exports::ValidateOptions(options));
  return options;
}

// The file an export is, as Content-Disposition names it.
std::string Disposition(exports::Format format) {
  switch (format) {
    case exports::Format::kPopolo:
      return "attachment; filename=\"popolo.json\"";
    case exports::Format::kCsv:
      return "attachment; filename=\"csv.zip\"";
    case exports::Format::kIcs:
      return "inline; filename=\"sessions.ics\"";
  }
  return "";
}

// Caching: an export pinned to a revision never changes; one of the present
// is revalidated every time (If-None-Match makes that cheap).
const char* CacheControl(const exports::ExportOptions& options) {
  return options.as_of_revision > 0 ? "private, max-age=86400"
                                    : "private, no-cache";
}

// The export's snapshot: the present, or the registry as it stood after
// `as_of_revision` (OUT_OF_RANGE outside the log's history).
absl::StatusOr<std::unique_ptr<store::Exporter>> OpenSnapshot(
    const std::string& url, int64_t as_of_revision) {
  return store::Exporter::Open(url, as_of_revision);
}

// One entity tag of an If-None-Match value (RFC 9110: entity-tag =
// [ "W/" ] DQUOTE *etagc DQUOTE), without W/ and with its quotes; the
// value's rest after it. nullopt if malformed.
std::optional<absl::string_view> NextTag(absl::string_view* rest) {
  absl::string_view text = absl::StripLeadingAsciiWhitespace(*rest);
  absl::ConsumePrefix(&text, "W/");
  if (!absl::StartsWith(text, "\"")) return std::nullopt;
  const size_t close = text.find('"', 1);
  if (close == absl::string_view::npos) return std::nullopt;
  const absl::string_view tag = text.substr(0, close + 1);
  text = absl::StripLeadingAsciiWhitespace(text.substr(close + 1));
  if (!text.empty() && !absl::ConsumePrefix(&text, ",")) return std::nullopt;
  *rest = text;
  return tag;
}

// Every tag of an If-None-Match value; empty for `*` or a malformed value.
std::vector<absl::string_view> Tags(absl::string_view value) {
  std::vector<absl::string_view> tags;
  value = absl::StripAsciiWhitespace(value);
  if (value == "*") return tags;
  while (!absl::StripAsciiWhitespace(value).empty()) {
    // Empty list members (", ,") are allowed by the list syntax.
    value = absl::StripLeadingAsciiWhitespace(value);
    if (absl::ConsumePrefix(&value, ",")) continue;
    std::optional<absl::string_view> tag = NextTag(&value);
    if (!tag.has_value()) return {};
    tags.push_back(*tag);
  }
  return tags;
}

std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), size));
}

// What every export request carries: the day and the revision.
template <typename Request>
exports::ExportOptions OptionsOf(exports::Format format, std::string forum,
                                 const Request& request) {
  exports::ExportOptions options;
  options.format = format;
  options.forum = std::move(forum);
  options.as_of = request.as_of();
  options.as_of_revision = request.as_of_revision();
  return options;
}

}  // namespace

absl::StatusOr<exports::ExportOptions> ExportOptionsOf(
    const v1::ExportSessionsCalendarRequest& request) {
  exports::ExportOptions options =
      OptionsOf(exports::Format::kIcs, request.parent(), request);
  if (request.imprecise().empty() || request.imprecise() == "omit") {
    options.span_imprecise = false;
  } else if (request.imprecise() == "span") {
    options.span_imprecise = true;
  } else {
    return absl::InvalidArgumentError(
        "imprecise: must be \"omit\" (sessions known only to the month or "
        "year are left out, the default) or \"span\" (listed as events "
        "spanning the month or year)");
  }
  return Checked(std::move(options));
}

absl::StatusOr<exports::ExportOptions> ExportOptionsOf(
    const v1::ExportPopoloRequest& request) {
  return Checked(OptionsOf(exports::Format::kPopolo, request.forum(), request));
}

absl::StatusOr<exports::ExportOptions> ExportOptionsOf(
    const v1::ExportCsvRequest& request) {
  return Checked(OptionsOf(exports::Format::kCsv, request.forum(), request));
}

std::string ExportEtag(absl::string_view method,
                       const exports::ExportOptions& options,
                       int64_t revision) {
  // The request as its answer depends on it: "" and "forums/-" are one
  // forum, "omit" and "" one choice.
  const std::string canonical = absl::StrCat(
      method, "\nformat=", FormatName(options.format),
      "\nforum=", options.forum.empty() ? "forums/-" : options.forum,
      "\nas_of=", options.as_of, "\nas_of_revision=", options.as_of_revision,
      "\nspan_imprecise=", options.span_imprecise ? 1 : 0,
      "\nformat_version=", kExportFormatVersion);
  return absl::StrCat("\"r", revision, "-", Sha256Hex(canonical).substr(0, 12),
                      "\"");
}

std::vector<int64_t> TaggedRevisions(absl::string_view if_none_match) {
  std::vector<int64_t> revisions;
  for (absl::string_view tag : Tags(if_none_match)) {
    absl::string_view inside = tag.substr(1, tag.size() - 2);
    if (!absl::ConsumePrefix(&inside, "r")) continue;
    const size_t dash = inside.find('-');
    int64_t revision = 0;
    if (dash == absl::string_view::npos ||
        !absl::SimpleAtoi(inside.substr(0, dash), &revision) || revision < 0) {
      continue;
    }
    revisions.push_back(revision);
  }
  return revisions;
}

bool IfNoneMatchNames(absl::string_view if_none_match, absl::string_view etag) {
  for (absl::string_view tag : Tags(if_none_match)) {
    if (tag == etag) return true;
  }
  return false;
}

// --- ChunkFlow ---

ChunkFlow::ChunkFlow(CallOps ops, Options options)
    : ops_(std::move(ops)), options_(options) {
  partial_.reserve(options_.chunk_bytes);
}

void ChunkFlow::set_content_type(std::string type) {
  content_type_ = std::move(type);
}

absl::Status ChunkFlow::Write(absl::string_view bytes) {
  // Every write of an export that nobody takes any more fails, also those
  // that would only fill the chunk.
  if (ended_.load(std::memory_order_relaxed)) return Ended();
  if (options_.deadline != absl::InfiniteFuture() &&
      absl::Now() >= options_.deadline) {
    return Expired();
  }
  while (!bytes.empty()) {
    const size_t room = options_.chunk_bytes - partial_.size();
    const size_t take = std::min(room, bytes.size());
    partial_.append(bytes.data(), take);
    bytes.remove_prefix(take);
    if (partial_.size() == options_.chunk_bytes) {
      std::string chunk;
      chunk.reserve(options_.chunk_bytes);
      chunk.swap(partial_);
      FR_RETURN_IF_ERROR(Send(std::move(chunk)));
    }
  }
  return absl::OkStatus();
}

absl::Status ChunkFlow::Send(std::string chunk) {
  sent_any_ = true;
  bool start = false;
  {
    absl::MutexLock lock(&mu_);
    const auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return cancelled_ || finished_ || closing_ ||
             static_cast<int>(queue_.size()) + (writing_ ? 1 : 0) <
                 options_.max_queued;
    };
    const absl::Time stalled = absl::Now() + options_.stall_timeout;
    if (!mu_.AwaitWithDeadline(absl::Condition(&room),
                               std::min(stalled, options_.deadline))) {
      if (absl::Now() >= options_.deadline) {
        mu_.Unlock();
        absl::Status expired = Expired();
        mu_.Lock();
        return expired;
      }
      // The client takes nothing: end the call, which fails the write in
      // flight and so finishes it.
      cancelled_ = true;
      ended_ = true;
      mu_.Unlock();
      CancelCall();
      mu_.Lock();
      return absl::DeadlineExceededError(absl::StrCat(
          "the client took no data for ",
          absl::FormatDuration(options_.stall_timeout), "; the export ended"));
    }
    if (cancelled_ || finished_ || closing_) return Ended();
    bytes_ += static_cast<int64_t>(chunk.size());
    queue_.push_back(std::move(chunk));
    start = NextWriteLocked();
  }
  if (start) ops_.write(&current_);
  return absl::OkStatus();
}

absl::Status ChunkFlow::Expired() {
  const std::string message = absl::StrCat(
      "the export ran longer than ",
      absl::FormatDuration(options_.max_duration),
      " (--max-export-duration) and was ended: the file is cut; ask for a "
      "smaller one (one forum, as_of) or retry");
  Abort(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, message));
  return absl::DeadlineExceededError(message);
}

void ChunkFlow::CancelCall() {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;  // the call may be gone
    cancelling_ = true;
  }
  ops_.cancel();
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    cancelling_ = false;
    finish = FinishNowLocked();
  }
  if (finish) ops_.finish(std::move(*finish));
}

bool ChunkFlow::NextWriteLocked() {
  if (writing_ || queue_.empty() || cancelled_ || finished_) return false;
  current_.Clear();
  current_.set_content_type(content_type_);
  current_.set_data(std::move(queue_.front()));
  queue_.pop_front();
  writing_ = true;
  return true;
}

std::optional<grpc::Status> ChunkFlow::FinishNowLocked() {
  if (!closing_ || finished_ || writing_ || cancelling_ || held_) {
    return std::nullopt;
  }
  // An OK end waits for its messages; an error drops them.
  if (final_.ok() && !queue_.empty() && !cancelled_) return std::nullopt;
  finished_ = true;
  return final_;
}

void ChunkFlow::SendHeaders() {
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || closing_) return;  // Close releases the call
  }
  // Still held: an Abort meanwhile does not finish the call under it.
  ops_.send_headers();
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    held_ = false;
    finish = FinishNowLocked();
  }
  if (finish) ops_.finish(std::move(*finish));
}

absl::Status ChunkFlow::Flush() {
  if (partial_.empty() && sent_any_) return absl::OkStatus();
  std::string last;
  last.swap(partial_);
  return Send(std::move(last));
}

void ChunkFlow::Close(const grpc::Status& status) {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    // The export's side is done with the call's context: an Abort that came
    // first may finish it now.
    held_ = false;
    if (!closing_) {
      closing_ = true;
      final_ = status;
      if (final_.ok() && cancelled_) {
        final_ = grpc::Status(grpc::StatusCode::CANCELLED,
                              "the call ended before the export was sent");
      }
      if (!final_.ok()) queue_.clear();
    }
    finish = FinishNowLocked();
  }
  if (finish) ops_.finish(std::move(*finish));
}

bool ChunkFlow::Abort(const grpc::Status& status) {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    if (closing_) return false;
    closing_ = true;
    final_ = status;
    ended_ = true;
    queue_.clear();
    finish = FinishNowLocked();
  }
  if (finish) ops_.finish(std::move(*finish));
  return true;
}

void ChunkFlow::Settle() {
  {
    absl::MutexLock lock(&mu_);
    if (!closing_ || final_.ok()) return;
    const auto over = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return finished_;
    };
    if (mu_.AwaitWithTimeout(absl::Condition(&over), options_.finish_grace)) {
      return;
    }
    // A write that its client never takes: cancelling the call fails it,
    // which finishes the call.
    cancelled_ = true;
  }
  CancelCall();
}

int64_t ChunkFlow::bytes_written() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

void ChunkFlow::WriteDone(bool ok) {
  bool start;
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The call is over for writes (cancelled, or the client gone).
      cancelled_ = true;
      ended_ = true;
      queue_.clear();
      if (closing_ && final_.ok()) {
        final_ = grpc::Status(grpc::StatusCode::CANCELLED,
                              "the call ended before the export was sent");
      }
    }
    start = NextWriteLocked();
    if (!start) finish = FinishNowLocked();
  }
  if (start) ops_.write(&current_);
  if (finish) ops_.finish(std::move(*finish));
}

void ChunkFlow::Cancelled() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  ended_ = true;
}

absl::Status ChunkFlow::Ended() {
  return absl::CancelledError(
      "the call ended (the client left or its deadline passed)");
}

// --- ExportSlots ---

bool ExportSlots::TryTake() {
  absl::MutexLock lock(&mu_);
  if (in_use_ >= slots_) return false;
  ++in_use_;
  return true;
}

void ExportSlots::Give() {
  absl::MutexLock lock(&mu_);
  --in_use_;
}

int ExportSlots::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

void ExportSlots::AwaitIdle() {
  absl::MutexLock lock(&mu_);
  const auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_use_ == 0;
  };
  mu_.Await(absl::Condition(&idle));
}

// --- ExportService ---

// One export's call. gRPC holds it until OnDone; the export's thread and the
// flow reach it only through the flow's CallOps, which the flow never starts
// after Finish.
class ExportService::Reactor final
    : public grpc::ServerWriteReactor<google::api::HttpBody> {
 public:
  Reactor(grpc::CallbackServerContext* context, ChunkFlow::Options options)
      : flow_(std::make_shared<ChunkFlow>(
            ChunkFlow::CallOps{
                .send_headers = [this] { StartSendInitialMetadata(); },
                .write =
                    [this](const google::api::HttpBody* message) {
                      StartWrite(message);
                    },
                .finish = [this](grpc::Status status) { Finish(status); },
                .cancel = [context] { context->TryCancel(); }},
            options)) {}

  const std::shared_ptr<ChunkFlow>& flow() const { return flow_; }

  void OnSendInitialMetadataDone(bool /*ok*/) override {}
  void OnWriteDone(bool ok) override { flow_->WriteDone(ok); }
  void OnCancel() override { flow_->Cancelled(); }
  void OnDone() override { delete this; }

 private:
  const std::shared_ptr<ChunkFlow> flow_;
};

ExportService::ExportService(ExportServiceDeps deps)
    : dispatcher_(&deps.common.dispatcher),
      authorizer_(&deps.common.authorizer),
      read_pool_(&deps.common.read_pool),
      primary_(&deps.primary),
      database_url_(std::move(deps.database_url)),
      stall_timeout_(deps.stall_timeout),
      max_export_duration_(deps.max_export_duration),
      slots_(std::max(1, deps.max_concurrent_exports)) {}

ExportService::~ExportService() {
  slots_.AwaitIdle();
  std::vector<std::thread> all;
  {
    absl::MutexLock lock(&threads_mu_);
    for (auto& [id, thread] : threads_) all.push_back(std::move(thread));
    threads_.clear();
    for (std::thread& thread : finished_) all.push_back(std::move(thread));
    finished_.clear();
  }
  for (std::thread& thread : all) thread.join();
}

grpc::ServerWriteReactor<google::api::HttpBody>*
ExportService::ExportSessionsCalendar(
    grpc::CallbackServerContext* context,
    const v1::ExportSessionsCalendarRequest* request) {
  return Start(context, "ExportSessionsCalendar",
               [request] { return ExportOptionsOf(*request); });
}

grpc::ServerWriteReactor<google::api::HttpBody>* ExportService::ExportPopolo(
    grpc::CallbackServerContext* context,
    const v1::ExportPopoloRequest* request) {
  return Start(context, "ExportPopolo",
               [request] { return ExportOptionsOf(*request); });
}

grpc::ServerWriteReactor<google::api::HttpBody>* ExportService::ExportCsv(
    grpc::CallbackServerContext* context, const v1::ExportCsvRequest* request) {
  return Start(context, "ExportCsv",
               [request] { return ExportOptionsOf(*request); });
}

grpc::ServerWriteReactor<google::api::HttpBody>* ExportService::Start(
    grpc::CallbackServerContext* context, const char* method,
    std::function<absl::StatusOr<exports::ExportOptions>()> options) {
  // The export's time counts from its call's start.
  const absl::Time deadline = max_export_duration_ == absl::InfiniteDuration()
                                  ? absl::InfiniteFuture()
                                  : absl::Now() + max_export_duration_;
  auto* reactor = new Reactor(context, {.stall_timeout = stall_timeout_,
                                        .deadline = deadline,
                                        .max_duration = max_export_duration_});
  // The request and the context live until the reactor is done, which it
  // cannot be before the start has run (it finishes nothing until then).
  dispatcher_->StartStream(
      context, Dispatcher::Answer::kSmall,
      [this, reactor, context, method,
       options = std::move(options)](grpc::Status admitted) {
        if (!admitted.ok()) return reactor->flow()->Close(admitted);
        Begin(reactor, context, method, options);
      });
  return reactor;
}

void ExportService::Begin(
    Reactor* reactor, grpc::CallbackServerContext* context, const char* method,
    const std::function<absl::StatusOr<exports::ExportOptions>()>&
        make_options) {
  const std::shared_ptr<ChunkFlow>& flow = reactor->flow();
  if (authorizer_ != nullptr) {
    const absl::StatusOr<auth::Caller> caller =
        authorizer_->Authorize(*context, method, auth::Verb::kRead);
    if (!caller.ok()) return flow->Close(ToGrpcStatus(caller.status()));
  }
  absl::StatusOr<exports::ExportOptions> options = make_options();
  if (!options.ok()) return flow->Close(ToGrpcStatus(options.status()));

  // A client that holds the current export is told so, and a HEAD is
  // answered its headers: one read of the newest revision, no slot, no
  // snapshot.
  const auto& metadata = context->client_metadata();
  std::string if_none_match;
  if (const auto found = metadata.find(kIfNoneMatchHeader);
      found != metadata.end()) {
    if_none_match.assign(found->second.data(), found->second.size());
  }
  const std::vector<int64_t> tagged = TaggedRevisions(if_none_match);
  const auto head_found = metadata.find(kHeadHeader);
  const bool head = head_found != metadata.end() && head_found->second == "1";
  if (head || !tagged.empty()) {
    int64_t revision = options->as_of_revision;
    if (revision == 0) {
      absl::StatusOr<int64_t> newest = NewestRevision(
          tagged.empty() ? 0 : *std::max_element(tagged.begin(), tagged.end()),
          DeadlineOf(context));
      if (!newest.ok()) return flow->Close(ToGrpcStatus(newest.status()));
      revision = *newest;
    }
    const std::string etag = ExportEtag(method, *options, revision);
    const bool not_modified =
        !tagged.empty() && IfNoneMatchNames(if_none_match, etag);
    if (not_modified || head) {
      context->AddInitialMetadata(kEtagHeader, etag);
      context->AddInitialMetadata(kCacheControlHeader, CacheControl(*options));
      if (not_modified) {
        context->AddInitialMetadata(kNotModifiedHeader, "1");
      } else {
        context->AddInitialMetadata(kContentDispositionHeader,
                                    Disposition(options->format));
        context->AddInitialMetadata(kContentTypeHeader,
                                    exports::ContentType(options->format));
      }
      return flow->Close(grpc::Status::OK);
    }
  }

  // A client that left while its start waited costs nothing more.
  if (context->IsCancelled() || flow->ended()) {
    return flow->Close(grpc::Status(grpc::StatusCode::CANCELLED,
                                    "the call ended before the export began"));
  }
  {
    absl::MutexLock lock(&running_mu_);
    if (stopping_) {
      return flow->Close(grpc::Status(
          grpc::StatusCode::UNAVAILABLE,
          "the server is shutting down: fetch the export from another "
          "replica"));
    }
    if (!slots_.TryTake()) {
      context->AddTrailingMetadata("grpc-retry-pushback-ms",
                                   std::to_string(kPushbackMs));
      return flow->Close(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("the server is running as many exports as it allows (",
                       slots_.slots(),
                       "; --max-concurrent-exports): retry in a moment")));
    }
    running_.insert(flow);
  }
  flow->set_content_type(exports::ContentType(options->format));
  const auto leave = [this, flow] {
    {
      absl::MutexLock lock(&running_mu_);
      running_.erase(flow);
    }
    slots_.Give();
  };
  const grpc::Status spawned =
      SpawnOrUndo([this](std::function<void()> run) { Spawn(std::move(run)); },
                  [this, flow = flow, context, method = std::string(method),
                   options = *std::move(options), leave]() mutable {
                    Run(flow, context, std::move(method), std::move(options));
                    leave();
                  },
                  leave);
  if (!spawned.ok()) flow->Close(spawned);
}

void ExportService::Stop() {
  std::vector<std::shared_ptr<ChunkFlow>> flows;
  {
    absl::MutexLock lock(&running_mu_);
    stopping_ = true;
    flows.assign(running_.begin(), running_.end());
  }
  for (const std::shared_ptr<ChunkFlow>& flow : flows) {
    flow->Abort(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             "the server is shutting down: the file is cut; "
                             "fetch it from another replica"));
  }
}

grpc::Status SpawnOrUndo(
    const std::function<void(std::function<void()>)>& spawn,
    std::function<void()> run, const std::function<void()>& undo) {
  try {
    spawn(std::move(run));
    return grpc::Status::OK;
  } catch (const std::system_error& e) {
    undo();
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("cannot start the export's thread (",
                                     e.what(), "): retry in a moment"));
  }
}

absl::StatusOr<int64_t> ExportService::NewestRevision(int64_t at_least,
                                                      absl::Time deadline) {
  store::ChangeLog reads(read_pool_);
  FR_ASSIGN_OR_RETURN(const store::RevisionBounds bounds,
                      reads.Bounds(deadline));
  if (bounds.newest >= at_least || read_pool_ == primary_) {
    return bounds.newest;
  }
  // The replica has not replayed the revision the client saw: the primary
  // has (a tag from the future is simply not matched).
  store::ChangeLog primary(primary_);
  FR_ASSIGN_OR_RETURN(const store::RevisionBounds current,
                      primary.Bounds(deadline));
  return current.newest;
}

void ExportService::Run(std::shared_ptr<ChunkFlow> flow,
                        grpc::CallbackServerContext* context,
                        std::string method, exports::ExportOptions options) {
  absl::Status status;
  try {
    absl::StatusOr<std::unique_ptr<store::Exporter>> exporter =
        OpenSnapshot(database_url_, options.as_of_revision);
    if (!exporter.ok()) return flow->Close(ToGrpcStatus(exporter.status()));
    // A client that left while the snapshot opened: nothing is read for it
    // (and a drain's Abort, which waits for this, finishes the call now).
    if (context->IsCancelled() || flow->ended()) {
      return flow->Close(
          grpc::Status(grpc::StatusCode::CANCELLED,
                       "the call ended before the export began"));
    }
    // The revision the export shows is the one its tag names: the
    // snapshot's own (or the one it is pinned to).
    const int64_t revision = options.as_of_revision > 0
                                 ? options.as_of_revision
                                 : (*exporter)->revision();
    context->AddInitialMetadata(kEtagHeader,
                                ExportEtag(method, options, revision));
    context->AddInitialMetadata(kCacheControlHeader, CacheControl(options));
    context->AddInitialMetadata(kContentDispositionHeader,
                                Disposition(options.format));
    flow->SendHeaders();
    if (options.format == exports::Format::kCsv) {
      exports::ZipFileSet zip(flow.get());
      absl::StatusOr<exports::ExportSummary> done =
          exports::RunExport(**exporter, options, nullptr, &zip);
      status = done.status();  // RunExport finishes the zip
    } else {
      absl::StatusOr<exports::ExportSummary> done =
          exports::RunExport(**exporter, options, flow.get(), nullptr);
      status = done.status();
    }
    // The rest of the file, which the client is waiting for.
    if (status.ok()) status = flow->Flush();
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("the export failed: ", e.what()));
  }
  flow->Close(ToGrpcStatus(status));
  // An export ended by an error (its deadline, the drain) is not left
  // waiting for a client that reads nothing.
  flow->Settle();
}

void ExportService::Spawn(std::function<void()> run) {
  JoinFinished();
  absl::MutexLock lock(&threads_mu_);
  const int64_t id = next_thread_++;
  threads_.emplace(id, std::thread([this, id, run = std::move(run)]() mutable {
                     run();
                     run = nullptr;  // what it held, released here
                     absl::MutexLock lock(&threads_mu_);
                     const auto self = threads_.find(id);
                     if (self != threads_.end()) {
                       finished_.push_back(std::move(self->second));
                       threads_.erase(self);
                     }
                   }));
}

void ExportService::JoinFinished() {
  std::vector<std::thread> done;
  {
    absl::MutexLock lock(&threads_mu_);
    done.swap(finished_);
  }
  for (std::thread& thread : done) thread.join();
}

}  // namespace forum_registry::api
