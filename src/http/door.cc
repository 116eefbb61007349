#include "src/http/door.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/api/httpbody.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"
#include "src/auth/edge.h"
#include "src/http/listen_address.h"
#include "src/http/transcode.h"

namespace forum_registry::http {
namespace {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

constexpr char kJson[] = "application/json";
constexpr char kProto[] = "application/proto";
constexpr char kConnectJson[] = "application/connect+json";
constexpr char kConnectProto[] = "application/connect+proto";
constexpr char kEventStream[] = "text/event-stream";
// The header of a watch that began (api::kWatchStartHeader).
constexpr char kWatchStarted[] = "x-forum-registry-watch-after";
// The answer type of a method whose HTTP answer is raw bytes (an export's
// file): the concatenated `data` of its messages, as the first one's
// `content_type`.
constexpr char kHttpBody[] = "google.api.HttpBody";
// The marker of a raw answer that has not changed since the client's
// If-None-Match (api::kNotModifiedHeader): HTTP 304.
constexpr char kNotModified[] = "x-forum-registry-not-modified";
// Sent on a raw answer's HEAD (api::kHeadHeader): its service answers the
// headers alone, with the media type in kBodyType (api::kContentTypeHeader).
constexpr char kHead[] = "x-forum-registry-head";
constexpr char kBodyType[] = "x-forum-registry-content-type";
// The initial metadata a raw answer passes on, and the HTTP header of each.
constexpr std::pair<const char*, const char*> kRawHeaders[] = {
    {"etag", "ETag"},
    {"cache-control", "Cache-Control"},
    {"content-disposition", "Content-Disposition"}};
// What a stream holds for a client that reads slowly before it stops
// reading from the API (which then holds it, up to --watch-buffer).
constexpr size_t kStreamHighWater = 256 * 1024;
// What EventSource waits before it reconnects (the SSE `retry` field).
constexpr int kSseRetryMs = 1000;

// The request headers a browser may send cross-origin (CORS preflight).
constexpr char kAllowedHeaders[] =
    "authorization, content-type, connect-protocol-version, "
    "connect-timeout-ms, x-server-timeout, last-event-id, if-none-match";
// The response headers a browser's script may read.
constexpr char kExposedHeaders[] =
    "x-forum-registry-revision, x-forum-registry-replayed, "
    "x-forum-registry-watch-after, retry-after, etag, content-disposition";

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

std::optional<std::string> RequestHeader(MHD_Connection* connection,
                                         const char* name) {
  const char* value =
      MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// Every value of request header `name`, joined with ", " as RFC 9110 §5.3
// lets a list header be (MHD_lookup_connection_value gives the first line
// only); nullopt if it was not sent.
std::optional<std::string> JoinedRequestHeader(MHD_Connection* connection,
                                               const char* name) {
  struct Lookup {
    const char* name;
    std::vector<std::string> values;
  } lookup{name, {}};
  MHD_get_connection_values(
      connection, MHD_HEADER_KIND,
      +[](void* cls, MHD_ValueKind, const char* key, const char* value) {
        auto* lookup = static_cast<Lookup*>(cls);
        if (key != nullptr && strcasecmp(key, lookup->name) == 0) {
          lookup->values.emplace_back(value == nullptr ? "" : value);
        }
        return MHD_YES;
      },
      &lookup);
  if (lookup.values.empty()) return std::nullopt;
  return absl::StrJoin(lookup.values, ", ");
}

std::string PeerAddress(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return "unknown";
  char text[INET6_ADDRSTRLEN] = {0};
  const sockaddr* address = info->client_addr;
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr,
              text, sizeof(text));
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6,
              &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
              sizeof(text));
  }
  return text;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A query parameter's name or value, %HH-decoded (libmicrohttpd has made
// "+" a space already; the door turns its own decoding off, so that a path
// is decoded once, segment by segment, in routes.cc). A malformed escape
// stays as it is.
std::string FormDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = HexDigit(text[i + 1]), low = HexDigit(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// Whether a Host header names this machine's loopback (with any port).
bool LoopbackHost(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    const size_t close = host.find(']');
    return close != absl::string_view::npos &&
           host.substr(0, close + 1) == "[::1]";
  }
  host = host.substr(0, host.find(':'));
  return host == "localhost" || absl::StartsWith(host, "127.");
}

bool Printable(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 &&
           static_cast<unsigned char>(c) < 0x7f;
  });
}

// The media type of a Content-Type header, lowercased, without parameters.
std::string MediaType(absl::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  return absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(content_type.substr(0, semicolon)));
}

// A Connect stream's envelope: flags, a big-endian length, the bytes.
std::string Envelope(uint8_t flags, absl::string_view bytes) {
  std::string out(5, '\0');
  out[0] = static_cast<char>(flags);
  const uint32_t size = static_cast<uint32_t>(bytes.size());
  out[1] = static_cast<char>(size >> 24);
  out[2] = static_cast<char>(size >> 16);
  out[3] = static_cast<char>(size >> 8);
  out[4] = static_cast<char>(size);
  out.append(bytes.data(), bytes.size());
  return out;
}

enum class Protocol { kRest, kConnect };
// The protocols as the metrics name them: HTTP/JSON (raw answers of
// google.api.HttpBody, such as the exports' files, included), Connect, and a
// watch as Server-Sent Events.
constexpr const char* kProtocols[] = {"http_json", "connect", "sse"};

// One HTTP response, before it is queued.
struct Answer {
  unsigned status = 200;
  std::string body;
  std::string content_type = kJson;
  std::vector<std::pair<std::string, std::string>> headers;
  // A HEAD's answer of content whose length is unknown: no Content-Length
  // (RFC 9110 §8.6: one of 0 would be false).
  bool length_unknown = false;
};

class Exchange;

}  // namespace

struct Door::State {
  DoorOptions options;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
  RouteTable routes;
  std::vector<MHD_Daemon*> daemons;

  absl::Mutex mu;
  // The exchanges whose API call is in flight.
  std::set<Exchange*> calls ABSL_GUARDED_BY(mu);
  // Connections suspended and not yet taken up again by libmicrohttpd: the
  // daemons may stop only once there are none (MHD_stop_daemon aborts).
  int parked ABSL_GUARDED_BY(mu) = 0;
  // Once set, new requests are answered 503 and their connection closed.
  std::atomic<bool> stopping{false};
  // Request bodies held at once, across connections.
  std::atomic<size_t> buffered{0};
  // Listening sockets quiesced at shutdown, closed once the daemons stop.
  std::vector<int> quiesced;
  // Answers queued, by protocol (kProtocols) and class of HTTP status.
  std::atomic<int64_t> answered[3][5] = {};
  std::atomic<int64_t> streams_open{0};
};

namespace {

// What each listener passes its callbacks.
struct Listener {
  std::shared_ptr<Door::State> state;
  bool edge = false;
};

// One HTTP request and the API call it makes. libmicrohttpd holds it from
// the request's headers until the request ends (Gone); the call holds it
// until the call ends, so either may outlive the other.
class Exchange
    : public std::enable_shared_from_this<Exchange>,
      public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  Exchange(std::shared_ptr<Door::State> state, MHD_Connection* connection,
           bool from_edge, std::string method, std::string path)
      : state_(std::move(state)),
        connection_(connection),
        from_edge_(from_edge),
        method_(std::move(method)),
        path_(std::move(path)) {}

  ~Exchange() override {
    state_->buffered -= body_.size();
    if (stream_counted_) --state_->streams_open;
  }

  // A piece of the request body.
  void Append(const char* data, size_t size) {
    if (body_too_large_ || door_busy_) return;
    if (body_.size() + size > state_->options.max_body_bytes) {
      body_too_large_ = true;
      return;
    }
    if (state_->buffered.fetch_add(size) + size >
        state_->options.max_buffered_bytes) {
      state_->buffered -= size;
      door_busy_ = true;
      return;
    }
    body_.append(data, size);
  }

  // Answers at once, before any body is read, what cannot be served
  // whatever the body: a body declared too large, a door shutting down, a
  // Host a loopback door does not serve. True if it queued an answer.
  bool Refused(MHD_Result* result);

  // Called once the request is whole, and again each time it is resumed.
  MHD_Result Serve();

  // The request ended (answered, or the client went away).
  void Gone() {
    bool cancel, release;
    {
      absl::MutexLock lock(&mu_);
      gone_ = true;
      cancel = calling_ && !done_;
      release = DropHoldLocked();
    }
    // Never under a lock: gRPC may run the call's end (Finished) inline.
    if (cancel) context_.TryCancel();
    if (release) RemoveHold();
  }

  // Ends the API call now (the door is closing).
  void Cancel() {
    bool release;
    {
      absl::MutexLock lock(&mu_);
      release = DropHoldLocked();
    }
    context_.TryCancel();
    if (release) RemoveHold();
  }

  // Taken up again by libmicrohttpd after a suspension (Serve or Read).
  void Unparked() {
    bool was;
    {
      absl::MutexLock lock(&mu_);
      was = parked_;
      parked_ = false;
    }
    if (was) {
      absl::MutexLock lock(&state_->mu);
      --state_->parked;
    }
  }

  // Content of a streamed answer (libmicrohttpd's reader callback).
  ssize_t Read(char* buffer, size_t max);

  // ClientBidiReactor: a streaming call's events.
  void OnReadInitialMetadataDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    // A watch that began says so (api::kWatchStartHeader); one refused at
    // its start ends with empty headers.
    const auto& headers = context_.GetServerInitialMetadata();
    if (ok && headers.find(kWatchStarted) != headers.end()) {
      headers_ready_ = true;
    }
    WakeLocked();
  }
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override { Finished(status); }

 private:
  // Starts the work of the request: an answer queued at once (errors, the
  // OpenAPI document, CORS preflight) or an API call started. Sets *result
  // and returns true in the first case.
  bool Start(MHD_Result* result);
  bool StartRest(MHD_Result* result);
  bool StartConnect(const MethodDescriptor* method, MHD_Result* result);
  void Call(const MethodDescriptor& method, const Message& request);
  // The deadline the header `name` asks for, counted from the request's
  // arrival, set on the call. INVALID_ARGUMENT for a header that is not a
  // positive number; DEADLINE_EXCEEDED when it has passed already for a
  // unary call: gRPC keeps deadlines to the millisecond, rounded up, so a
  // call started past a shorter one could still be answered.
  grpc::Status TakeDeadline(const char* name);
  // The API call ended.
  void Finished(const grpc::Status& status);

  // Answer of a unary call, once done.
  Answer UnaryAnswer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Answer ErrorAnswer(const grpc::Status& status) const;
  // A raw answer's headers (kRawHeaders from the initial metadata), its
  // media type `type`; and the answer of a raw call that ended before any
  // message: 304 Not Modified, its error, or an empty 200.
  Answer RawAnswer(std::string type) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Answer RawEndAnswer() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The frame of one streamed message, and of the stream's end.
  std::string Frame(const grpc::ByteBuffer& message) const;
  std::string Finale() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  MHD_Result Queue(Answer answer);
  void Count(unsigned status);
  MHD_Result QueueStream(const Answer& headers);
  void AddCommonHeaders(MHD_Response* response);
  void AddMetadataHeaders(Answer* answer) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SuspendLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    {
      absl::MutexLock lock(&state_->mu);
      ++state_->parked;
    }
    MHD_suspend_connection(connection_);
    suspended_ = true;
    parked_ = true;
  }
  // A stream paused its reads with a hold on the call (so that the read
  // restarted from libmicrohttpd's thread finds the call alive); true if
  // the caller must now remove it.
  bool DropHoldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const bool held = holding_;
    holding_ = false;
    read_paused_ = false;
    return held;
  }
  void WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (suspended_ && !gone_) {
      suspended_ = false;
      MHD_resume_connection(connection_);
    }
  }
  // The CORS headers for this request's Origin; empty for none.
  std::vector<std::pair<std::string, std::string>> CorsHeaders() const;
  std::optional<std::string> Header(const char* name) const {
    return RequestHeader(connection_, name);
  }

  const std::shared_ptr<Door::State> state_;
  MHD_Connection* const connection_;
  const bool from_edge_;
  const std::string method_;
  const std::string path_;
  const absl::Time arrived_ = absl::Now();
  std::string body_;
  bool body_too_large_ = false;
  bool door_busy_ = false;       // the bodies held at once reached their bound
  bool stream_counted_ = false;  // in the door's streams_open
  bool started_ = false;

  Protocol protocol_ = Protocol::kRest;
  bool binary_ = false;     // Connect with application/proto
  bool streaming_ = false;  // a server-streaming method
  // HTTP/JSON of a method answering google.api.HttpBody: the answer is the
  // messages' `data`, raw.
  bool raw_ = false;
  const MethodDescriptor* method_descriptor_ = nullptr;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;       // unary answer, or the message being read
  std::shared_ptr<Exchange> self_;  // while the call runs

  absl::Mutex mu_;
  bool calling_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool suspended_ ABSL_GUARDED_BY(mu_) = false;
  bool gone_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  // Streams.
  bool headers_ready_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_queued_ ABSL_GUARDED_BY(mu_) = false;
  bool finale_written_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool holding_ ABSL_GUARDED_BY(mu_) = false;  // AddHold while paused
  bool parked_ ABSL_GUARDED_BY(mu_) = false;   // counted in state's parked
  std::string pending_ ABSL_GUARDED_BY(mu_);
  size_t sent_ ABSL_GUARDED_BY(mu_) = 0;
  // Raw answers: whether a message came, and the first one's media type.
  bool got_message_ ABSL_GUARDED_BY(mu_) = false;
  std::string body_type_ ABSL_GUARDED_BY(mu_);
};

bool Exchange::Refused(MHD_Result* result) {
  if (state_->stopping) {
    Answer answer = ErrorAnswer(
        grpc::Status(grpc::StatusCode::UNAVAILABLE,
                     "the server is shutting down; call another replica"));
    answer.headers.emplace_back("Connection", "close");
    *result = Queue(std::move(answer));
    return true;
  }
  if (state_->options.loopback_hosts_only && !from_edge_) {
    const std::string host = Header("Host").value_or("");
    if (!LoopbackHost(host)) {
      *result = Queue(ErrorAnswer(grpc::Status(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrCat("Host \"", host,
                       "\" is not served here: this door listens on loopback "
                       "and answers localhost, 127.0.0.1 and [::1] only (a "
                       "page of another site may not reach it by DNS "
                       "rebinding)"))));
      return true;
    }
  }
  uint64_t declared = 0;
  if (const std::optional<std::string> length = Header("Content-Length");
      length.has_value() && absl::SimpleAtoi(*length, &declared) &&
      declared > state_->options.max_body_bytes) {
    Answer answer = ErrorAnswer(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat("the request body is larger than ",
                                  state_->options.max_body_bytes, " bytes")));
    answer.status = MHD_HTTP_CONTENT_TOO_LARGE;
    answer.headers.emplace_back("Connection", "close");
    *result = Queue(std::move(answer));
    return true;
  }
  return false;
}

MHD_Result Exchange::Serve() {
  Unparked();
  if (!started_) {
    started_ = true;
    MHD_Result result;
    if (Start(&result)) return result;
  }
  // Decided under the lock, queued outside it: libmicrohttpd may ask a
  // stream for its first bytes (Read, which locks) as it is queued.
  Answer answer;
  bool stream = false;
  {
    absl::MutexLock lock(&mu_);
    if (streaming_ && raw_) {
      // A raw answer begins with its first message: an error before it is
      // an HTTP error; after it, a cut answer (Read).
      if (stream_queued_) return MHD_YES;
      if (!got_message_ && !done_) {
        SuspendLocked();
        return MHD_YES;
      }
      if (got_message_ && (!done_ || status_.ok())) {
        // The 200 is committed only now: a call that already failed is
        // answered its error, not a cut file.
        stream = true;
        stream_queued_ = true;
        answer = RawAnswer(body_type_);
      } else {
        answer = RawEndAnswer();
      }
    } else if (streaming_) {
      if (stream_queued_) return MHD_YES;
      if (!headers_ready_ && !done_) {
        SuspendLocked();
        return MHD_YES;
      }
      if (!headers_ready_ && protocol_ == Protocol::kRest) {
        // Refused before it began: an HTTP error, which a browser's
        // EventSource does not retry. (A Connect stream ends with its
        // error in the stream, after a 200.)
        answer = ErrorAnswer(status_);
      } else {
        stream = true;
        stream_queued_ = true;
        if (protocol_ == Protocol::kRest) {
          // Frames read meanwhile stay after it.
          pending_.insert(0, absl::StrCat("retry: ", kSseRetryMs, "\n\n"));
        }
      }
      AddMetadataHeaders(&answer);
    } else {
      if (!done_) {
        SuspendLocked();
        return MHD_YES;
      }
      answer = UnaryAnswer();
    }
  }
  return stream ? QueueStream(answer) : Queue(std::move(answer));
}

bool Exchange::Start(MHD_Result* result) {
  const auto refuse = [&](grpc::StatusCode code, std::string message,
                          unsigned http_status = 0) {
    const grpc::Status status(code, std::move(message));
    Answer answer = ErrorAnswer(status);
    if (http_status != 0) answer.status = http_status;
    *result = Queue(std::move(answer));
    return true;
  };
  if (body_too_large_) {
    return refuse(grpc::StatusCode::RESOURCE_EXHAUSTED,
                  absl::StrCat("the request body is larger than ",
                               state_->options.max_body_bytes, " bytes"),
                  MHD_HTTP_CONTENT_TOO_LARGE);
  }
  if (door_busy_) {
    Answer answer = ErrorAnswer(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        "the door holds too many request bodies at once; retry shortly"));
    answer.headers.emplace_back("Retry-After", "1");
    *result = Queue(std::move(answer));
    return true;
  }
  if (method_ == "OPTIONS") {
    Answer answer{.status = MHD_HTTP_NO_CONTENT, .content_type = ""};
    if (!Header("Origin").has_value() ||
        !Header("Access-Control-Request-Method").has_value()) {
      answer.headers = {{"Allow", "GET, HEAD, POST, PATCH, DELETE, OPTIONS"}};
    } else if (CorsHeaders().empty()) {
      return refuse(grpc::StatusCode::PERMISSION_DENIED,
                    absl::StrCat("origin ", *Header("Origin"),
                                 " is not in --http-cors-origins"));
    } else {
      answer.headers = {
          {"Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE"},
          {"Access-Control-Allow-Headers",
           Header("Access-Control-Request-Headers").value_or(kAllowedHeaders)},
          {"Access-Control-Max-Age", "600"}};
    }
    *result = Queue(std::move(answer));
    return true;
  }
  if (path_ == "/openapi.json" && (method_ == "GET" || method_ == "HEAD")) {
    // The document lives as long as the door: served from where it is,
    // never copied.
    const std::string& document = state_->options.openapi;
    MHD_Response* response = MHD_create_response_from_buffer(
        document.size(), const_cast<char*>(document.data()),
        MHD_RESPMEM_PERSISTENT);
    if (response == nullptr) {
      *result = MHD_NO;
      return true;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, kJson);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL,
                            "public, max-age=300");
    AddCommonHeaders(response);
    *result = MHD_queue_response(connection_, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return true;
  }
  if (const MethodDescriptor* method = state_->routes.MethodByPath(path_)) {
    protocol_ = Protocol::kConnect;
    return StartConnect(method, result);
  }
  return StartRest(result);
}

bool Exchange::StartRest(MHD_Result* result) {
  absl::StatusOr<RouteMatch> match = state_->routes.Find(method_, path_);
  if (!match.ok()) {
    const bool wrong_method =
        match.status().code() == absl::StatusCode::kUnimplemented;
    Answer answer =
        ErrorAnswer(grpc::Status(wrong_method ? grpc::StatusCode::UNIMPLEMENTED
                                              : grpc::StatusCode::NOT_FOUND,
                                 std::string(match.status().message())));
    if (wrong_method) {
      answer.status = MHD_HTTP_METHOD_NOT_ALLOWED;
      std::set<std::string> allowed;
      for (const Route& route : state_->routes.routes()) {
        if (route.path.Match(path_)) allowed.insert(route.http_method);
      }
      if (allowed.count("GET")) allowed.insert("HEAD");
      answer.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
    }
    *result = Queue(std::move(answer));
    return true;
  }
  const MethodDescriptor& method = *match->route->method;
  // A route with a body takes JSON, and says so: a browser sends a
  // cross-site form or `no-cors` fetch (text/plain, form types) without
  // asking first, but never application/json (CORS preflight).
  if (!match->route->body.empty() &&
      MediaType(Header("Content-Type").value_or("")) != kJson) {
    Answer answer = ErrorAnswer(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     absl::StrCat("Content-Type: ", method.full_name(),
                                  " takes its body as application/json")));
    answer.status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
    *result = Queue(std::move(answer));
    return true;
  }
  Params query;
  MHD_get_connection_values(
      connection_, MHD_GET_ARGUMENT_KIND,
      +[](void* cls, MHD_ValueKind, const char* key, const char* value) {
        static_cast<Params*>(cls)->emplace_back(
            FormDecode(key), FormDecode(value == nullptr ? "" : value));
        return MHD_YES;
      },
      &query);
  streaming_ = method.server_streaming();
  raw_ = method.output_type()->full_name() == kHttpBody;
  // EventSource reconnects to the same URL and says in Last-Event-ID where
  // it got to: that revision wins over the URL's.
  if (const std::optional<std::string> last = Header("Last-Event-ID");
      streaming_ && !raw_ && last.has_value() && !last->empty()) {
    std::erase_if(query, [](const auto& parameter) {
      return parameter.first == "after_revision" ||
             parameter.first == "afterRevision";
    });
    query.emplace_back("after_revision", *last);
  }
  std::unique_ptr<Message> request = NewMessage(method.input_type());
  const absl::Status built = BuildRequest(match->route->body, body_, query,
                                          match->bindings, request.get());
  if (!built.ok()) {
    *result = Queue(ErrorAnswer(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                             std::string(built.message()))));
    return true;
  }
  if (const grpc::Status timed = TakeDeadline("X-Server-Timeout");
      !timed.ok()) {
    *result = Queue(ErrorAnswer(timed));
    return true;
  }
  method_descriptor_ = &method;
  Call(method, *request);
  return false;
}

bool Exchange::StartConnect(const MethodDescriptor* method,
                            MHD_Result* result) {
  const auto refuse = [&](grpc::StatusCode code, std::string message,
                          unsigned http_status = 0) {
    Answer answer = ErrorAnswer(grpc::Status(code, std::move(message)));
    if (http_status != 0) answer.status = http_status;
    *result = Queue(std::move(answer));
    return true;
  };
  if (const std::optional<std::string> version =
          Header("Connect-Protocol-Version");
      version.has_value() && *version != "1") {
    return refuse(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("Connect-Protocol-Version: \"", *version, "\" is not 1"));
  }
  streaming_ = method->server_streaming();
  std::unique_ptr<Message> request = NewMessage(method->input_type());
  std::string payload = body_;
  std::string encoding;
  if (method_ == "GET") {
    // Connect's GET: only for methods without side effects.
    if (streaming_ || method->options().idempotency_level() !=
                          google::protobuf::MethodOptions::NO_SIDE_EFFECTS) {
      return refuse(
          grpc::StatusCode::UNIMPLEMENTED,
          absl::StrCat(method->full_name(),
                       streaming_ ? " is a server stream" : " has side effects",
                       ": call it with POST"),
          MHD_HTTP_METHOD_NOT_ALLOWED);
    }
    const auto argument = [&](const char* key) -> std::optional<std::string> {
      const char* value =
          MHD_lookup_connection_value(connection_, MHD_GET_ARGUMENT_KIND, key);
      if (value == nullptr) return std::nullopt;
      return FormDecode(value);
    };
    encoding = argument("encoding").value_or("");
    if (encoding != "json" && encoding != "proto") {
      return refuse(grpc::StatusCode::INVALID_ARGUMENT,
                    "encoding: must be json or proto");
    }
    if (argument("compression").value_or("identity") != "identity") {
      return refuse(grpc::StatusCode::UNIMPLEMENTED,
                    "compression: only identity is served");
    }
    payload = argument("message").value_or("");
    if (argument("base64").value_or("") == "1") {
      std::string decoded;
      if (!absl::WebSafeBase64Unescape(payload, &decoded) &&
          !absl::Base64Unescape(payload, &decoded)) {
        return refuse(grpc::StatusCode::INVALID_ARGUMENT,
                      "message: not base64");
      }
      payload = std::move(decoded);
    }
  } else if (method_ == "POST") {
    const std::string type = MediaType(Header("Content-Type").value_or(""));
    if (streaming_) {
      if (type != kConnectJson && type != kConnectProto) {
        return refuse(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat(method->full_name(), " is a server stream: send ",
                         kConnectJson, " or ", kConnectProto),
            MHD_HTTP_UNSUPPORTED_MEDIA_TYPE);
      }
      encoding = type == kConnectJson ? "json" : "proto";
      // One enveloped message.
      if (payload.size() < 5) {
        return refuse(grpc::StatusCode::INVALID_ARGUMENT,
                      "a stream's request is one enveloped message");
      }
      const auto byte = [&](int i) {
        return static_cast<uint32_t>(static_cast<unsigned char>(payload[i]));
      };
      const uint32_t size =
          byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4);
      if (byte(0) != 0 || size != payload.size() - 5) {
        return refuse(grpc::StatusCode::INVALID_ARGUMENT,
                      "a stream's request is one uncompressed enveloped "
                      "message");
      }
      payload = payload.substr(5);
    } else {
      if (type != kJson && type != kProto) {
        return refuse(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("Content-Type: send ", kJson, " or ", kProto),
            MHD_HTTP_UNSUPPORTED_MEDIA_TYPE);
      }
      encoding = type == kJson ? "json" : "proto";
    }
    if (const std::optional<std::string> coding = Header("Content-Encoding");
        coding.has_value() && *coding != "identity") {
      return refuse(grpc::StatusCode::UNIMPLEMENTED,
                    "Content-Encoding: only identity is served");
    }
  } else {
    return refuse(
        grpc::StatusCode::UNIMPLEMENTED,
        absl::StrCat(method_, " ", path_, ": Connect takes POST",
                     method->options().idempotency_level() ==
                             google::protobuf::MethodOptions::NO_SIDE_EFFECTS
                         ? " or GET"
                         : ""),
        MHD_HTTP_METHOD_NOT_ALLOWED);
  }
  binary_ = encoding == "proto";
  if (binary_) {
    if (!request->ParseFromString(payload)) {
      return refuse(grpc::StatusCode::INVALID_ARGUMENT,
                    absl::StrCat("the request is not a binary ",
                                 method->input_type()->full_name()));
    }
  } else if (!absl::StripAsciiWhitespace(payload).empty()) {
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(payload, request.get());
    if (!parsed.ok()) {
      return refuse(grpc::StatusCode::INVALID_ARGUMENT,
                    absl::StrCat("request: ", std::string(parsed.message())));
    }
  }
  if (grpc::Status timed = TakeDeadline("Connect-Timeout-Ms"); !timed.ok()) {
    return refuse(timed.error_code(), timed.error_message());
  }
  method_descriptor_ = method;
  Call(*method, *request);
  return false;
}

void Exchange::Call(const MethodDescriptor& method, const Message& request) {
  // Who the client is, as the edge says it (auth/edge.h).
  context_.AddMetadata(auth::kDoorMark, auth::DoorSecret());
  const MHD_ConnectionInfo* serial =
      MHD_get_connection_info(connection_, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  context_.AddMetadata(
      auth::kDoorConnection,
      absl::StrCat(serial == nullptr
                       ? 0
                       : reinterpret_cast<uintptr_t>(serial->socket_context)));
  std::string address = PeerAddress(connection_);
  if (from_edge_) {
    if (std::optional<std::string> edge = Header(auth::kEdgeClientAddress)) {
      address = *std::move(edge);
    }
    if (std::optional<std::string> certificate =
            Header(auth::kEdgeClientCertificate);
        certificate.has_value() && Printable(*certificate)) {
      context_.AddMetadata(auth::kEdgeClientCertificate, *certificate);
    }
  }
  if (Printable(address)) {
    context_.AddMetadata(auth::kEdgeClientAddress, address);
  }
  if (std::optional<std::string> authorization = Header("Authorization")) {
    // gRPC takes printable ASCII only; anything else is no credential the
    // server could read, and is sent so that it is refused as one.
    context_.AddMetadata("authorization", Printable(*authorization)
                                              ? *authorization
                                              : std::string("unreadable"));
  }
  // A raw answer may be conditional: its service compares the entity tag
  // (api/export_service.h) and answers "not modified" without its body.
  // Every If-None-Match line counts (a list may be split over several).
  if (std::optional<std::string> tags =
          JoinedRequestHeader(connection_, "If-None-Match");
      raw_ && tags.has_value() && Printable(*tags)) {
    context_.AddMetadata("if-none-match", *tags);
  }
  // A HEAD of a file costs what a 304 does: its service sends the headers
  // alone, no file is made.
  if (raw_ && method_ == "HEAD") context_.AddMetadata(kHead, "1");
  request_ = ToBuffer(request.SerializeAsString());
  self_ = shared_from_this();
  {
    absl::MutexLock lock(&state_->mu);
    state_->calls.insert(this);
  }
  {
    absl::MutexLock lock(&mu_);
    calling_ = true;
  }
  const std::string path = GrpcPath(method);
  if (streaming_) {
    state_->stub->PrepareBidiStreamingCall(&context_, path, grpc::StubOptions(),
                                           this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  } else {
    state_->stub->UnaryCall(&context_, path, grpc::StubOptions(), &request_,
                            &response_,
                            [this](grpc::Status status) { Finished(status); });
  }
}

grpc::Status Exchange::TakeDeadline(const char* name) {
  const std::optional<std::string> timeout = Header(name);
  if (!timeout.has_value()) return grpc::Status::OK;
  const absl::StatusOr<double> seconds = ParseTimeoutSeconds(name, *timeout);
  if (!seconds.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        std::string(seconds.status().message()));
  }
  const absl::Time deadline = arrived_ + absl::Seconds(std::min(*seconds, 1e6));
  // A stream's end carries its error in-stream (Connect) or after its
  // headers (SSE): gRPC ends it as it would any other.
  if (!streaming_ && absl::Now() >= deadline) {
    return grpc::Status(
        grpc::StatusCode::DEADLINE_EXCEEDED,
        absl::StrCat(name, ": the deadline passed before the call began"));
  }
  context_.set_deadline(absl::ToChronoTime(deadline));
  return grpc::Status::OK;
}

void Exchange::Finished(const grpc::Status& status) {
  std::shared_ptr<Exchange> keep = std::move(self_);
  {
    absl::MutexLock lock(&mu_);
    done_ = true;
    status_ = status;
    WakeLocked();
  }
  // Only now: the door's shutdown waits for `calls` to empty, and then for
  // every connection woken here to be taken up again.
  absl::MutexLock lock(&state_->mu);
  state_->calls.erase(this);
}

void Exchange::OnReadDone(bool ok) {
  if (!ok) return;  // the call's end follows (OnDone)
  std::string frame;
  google::api::HttpBody body;
  if (raw_) {
    body.ParseFromString(FromBuffer(response_));
    frame = std::move(*body.mutable_data());
  } else {
    frame = Frame(response_);
  }
  bool more;
  {
    absl::MutexLock lock(&mu_);
    if (raw_ && !got_message_) {
      got_message_ = true;
      body_type_ = body.content_type();
    }
    // A message means the stream began (a Connect stream that sends no
    // header of its own is answered from its first message on).
    headers_ready_ = true;
    pending_.append(frame);
    more = pending_.size() - sent_ < kStreamHighWater || gone_;
    if (!more) {
      // Reads start again from libmicrohttpd's thread (Read), outside any
      // reaction: a hold keeps the call until then.
      read_paused_ = true;
      holding_ = true;
      AddHold();
    }
    WakeLocked();
  }
  if (more) StartRead(&response_);
}

ssize_t Exchange::Read(char* buffer, size_t max) {
  Unparked();
  bool read_again = false;
  bool release = false;
  size_t copied = 0;
  {
    absl::MutexLock lock(&mu_);
    if (sent_ == pending_.size() && done_ && !finale_written_) {
      // A raw answer cut by an error ends without its last chunk, so that
      // the client sees it is not whole.
      if (raw_ && !status_.ok()) return MHD_CONTENT_READER_END_WITH_ERROR;
      pending_.append(Finale());
      finale_written_ = true;
    }
    if (sent_ == pending_.size()) {
      if (finale_written_) return MHD_CONTENT_READER_END_OF_STREAM;
      SuspendLocked();
      return 0;
    }
    copied = std::min(max, pending_.size() - sent_);
    std::memcpy(buffer, pending_.data() + sent_, copied);
    sent_ += copied;
    if (sent_ == pending_.size()) {
      pending_.clear();
      sent_ = 0;
    } else if (sent_ > kStreamHighWater) {
      pending_.erase(0, sent_);
      sent_ = 0;
    }
    if (read_paused_ && pending_.size() - sent_ < kStreamHighWater) {
      read_again = true;
      release = DropHoldLocked();
    }
  }
  if (read_again) StartRead(&response_);
  if (release) RemoveHold();
  return static_cast<ssize_t>(copied);
}

std::string Exchange::Frame(const grpc::ByteBuffer& message) const {
  const std::string bytes = FromBuffer(message);
  if (protocol_ == Protocol::kConnect && binary_) return Envelope(0, bytes);
  std::unique_ptr<Message> parsed =
      NewMessage(method_descriptor_->output_type());
  parsed->ParseFromString(bytes);
  const std::string json = ToJson(*parsed);
  if (protocol_ == Protocol::kConnect) return Envelope(0, json);
  // Server-Sent Events: the revision to resume after as the event's id (a
  // message without one, in an initial state, sets none), bookmarks as
  // events of their own name.
  std::string event;
  const google::protobuf::Reflection& reflection = *parsed->GetReflection();
  const google::protobuf::Descriptor& type = *parsed->GetDescriptor();
  const google::protobuf::FieldDescriptor* revision =
      type.FindFieldByName("revision");
  const google::protobuf::FieldDescriptor* changes =
      type.FindFieldByName("changes");
  if (revision != nullptr &&
      revision->cpp_type() ==
          google::protobuf::FieldDescriptor::CPPTYPE_INT64 &&
      reflection.GetInt64(*parsed, revision) > 0) {
    absl::StrAppend(&event, "id: ", reflection.GetInt64(*parsed, revision),
                    "\n");
  }
  if (changes != nullptr && changes->is_repeated() &&
      reflection.FieldSize(*parsed, changes) == 0) {
    absl::StrAppend(&event, "event: bookmark\n");
  }
  absl::StrAppend(&event, "data: ", json, "\n\n");
  return event;
}

std::string Exchange::Finale() const {
  if (raw_) return "";  // a file ends where its bytes do
  if (protocol_ == Protocol::kConnect) {
    // The end of a Connect stream: its error, if any, and its trailers.
    std::string json = "{";
    if (!status_.ok()) {
      absl::StrAppend(&json, "\"error\":", ConnectErrorJson(status_), ",");
    }
    std::vector<std::string> metadata;
    for (const auto& [key, value] : context_.GetServerTrailingMetadata()) {
      const std::string name(key.data(), key.size());
      if (!absl::StartsWith(name, "x-forum-registry-")) continue;
      metadata.push_back(absl::StrCat(
          JsonQuote(name), ":[",
          JsonQuote(absl::string_view(value.data(), value.size())), "]"));
    }
    absl::StrAppend(&json, "\"metadata\":{", absl::StrJoin(metadata, ","),
                    "}}");
    return Envelope(2, json);
  }
  // Server-Sent Events: the status the stream ended with, as an event a
  // page may listen for; EventSource then reconnects by itself.
  return absl::StrCat("event: status\ndata: ", StatusJson(status_), "\n\n");
}

Answer Exchange::ErrorAnswer(const grpc::Status& status) const {
  Answer answer;
  answer.status = HttpStatusOf(status.error_code());
  answer.body = protocol_ == Protocol::kConnect ? ConnectErrorJson(status)
                                                : StatusJson(status);
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    answer.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return answer;
}

Answer Exchange::UnaryAnswer() {
  Answer answer;
  if (!status_.ok()) {
    answer = ErrorAnswer(status_);
  } else if (raw_) {
    google::api::HttpBody body;
    if (!body.ParseFromString(FromBuffer(response_))) {
      answer = ErrorAnswer(
          grpc::Status(grpc::StatusCode::INTERNAL, "the answer did not parse"));
    } else if (context_.GetServerInitialMetadata().count(kNotModified) > 0) {
      return RawEndAnswer();
    } else {
      answer = RawAnswer(body.content_type());
      answer.body = std::move(*body.mutable_data());
      return answer;
    }
  } else if (protocol_ == Protocol::kConnect && binary_) {
    answer.body = FromBuffer(response_);
    answer.content_type = kProto;
  } else {
    std::unique_ptr<Message> message =
        NewMessage(method_descriptor_->output_type());
    if (!message->ParseFromString(FromBuffer(response_))) {
      answer = ErrorAnswer(
          grpc::Status(grpc::StatusCode::INTERNAL, "the answer did not parse"));
    } else {
      answer.body = ToJson(*message);
    }
  }
  AddMetadataHeaders(&answer);
  return answer;
}

Answer Exchange::RawAnswer(std::string type) const {
  Answer answer;
  answer.content_type =
      type.empty() ? std::string("application/octet-stream") : std::move(type);
  const auto& metadata = context_.GetServerInitialMetadata();
  for (const auto& [name, header] : kRawHeaders) {
    const auto found = metadata.find(name);
    if (found == metadata.end()) continue;
    const std::string value(found->second.data(), found->second.size());
    if (Printable(value)) answer.headers.emplace_back(header, value);
  }
  return answer;
}

Answer Exchange::RawEndAnswer() const {
  if (!status_.ok()) {
    Answer answer = ErrorAnswer(status_);
    AddMetadataHeaders(&answer);
    return answer;
  }
  const auto& metadata = context_.GetServerInitialMetadata();
  if (const auto type = metadata.find(kBodyType);
      method_ == "HEAD" && type != metadata.end()) {
    // A HEAD's answer: the headers the file would have had.
    Answer answer =
        RawAnswer(std::string(type->second.data(), type->second.size()));
    if (!Printable(answer.content_type)) {
      answer.content_type = "application/octet-stream";
    }
    answer.length_unknown = true;
    return answer;
  }
  Answer answer = RawAnswer("");
  if (metadata.count(kNotModified) > 0) {
    // RFC 9110 §15.4.5: the validators and caching headers a 200 would
    // have had, no content (and so no type).
    answer.status = MHD_HTTP_NOT_MODIFIED;
    answer.content_type.clear();
    std::erase_if(answer.headers, [](const auto& header) {
      return header.first == "Content-Disposition";
    });
  }
  return answer;
}

void Exchange::AddMetadataHeaders(Answer* answer) const {
  const auto add =
      [&](const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
          bool trailing) {
        for (const auto& [key, value] : metadata) {
          const std::string name(key.data(), key.size());
          const std::string text(value.data(), value.size());
          if (name == "grpc-retry-pushback-ms") {
            int64_t ms = 0;
            if (absl::SimpleAtoi(text, &ms) && ms >= 0) {
              answer->headers.emplace_back("Retry-After",
                                           absl::StrCat((ms + 999) / 1000));
            }
            continue;
          }
          if (!absl::StartsWith(name, "x-forum-registry-")) continue;
          // Connect names a unary call's trailers apart.
          answer->headers.emplace_back(
              trailing && protocol_ == Protocol::kConnect && !streaming_
                  ? absl::StrCat("trailer-", name)
                  : name,
              text);
        }
      };
  add(context_.GetServerInitialMetadata(), false);
  if (done_) add(context_.GetServerTrailingMetadata(), true);
}

std::vector<std::pair<std::string, std::string>> Exchange::CorsHeaders() const {
  const std::optional<std::string> origin = Header("Origin");
  if (!origin.has_value()) return {};
  const std::vector<std::string>& allowed = state_->options.cors_origins;
  if (std::find(allowed.begin(), allowed.end(), *origin) != allowed.end()) {
    return {{"Access-Control-Allow-Origin", *origin},
            {"Access-Control-Allow-Credentials", "true"},
            {"Access-Control-Expose-Headers", kExposedHeaders},
            {"Vary", "Origin"}};
  }
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) {
    return {{"Access-Control-Allow-Origin", "*"},
            {"Access-Control-Expose-Headers", kExposedHeaders}};
  }
  return {};
}

void Exchange::AddCommonHeaders(MHD_Response* response) {
  for (const auto& [name, value] : CorsHeaders()) {
    if (name == "Vary") continue;
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  // The answer depends on Origin wherever CORS is on, also when it names
  // none: a shared cache must not give one origin's answer to another.
  if (!state_->options.cors_origins.empty()) {
    MHD_add_response_header(response, "Vary", "Origin");
  }
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
}

void Exchange::Count(unsigned status) {
  const int protocol = protocol_ == Protocol::kConnect ? 1
                       : streaming_ && !raw_           ? 2
                                                       : 0;
  const unsigned which = std::clamp(status / 100, 1u, 5u) - 1;
  ++state_->answered[protocol][which];
}

MHD_Result Exchange::Queue(Answer answer) {
  Count(answer.status);
  MHD_Response* response =
      answer.length_unknown
          ? MHD_create_response_from_callback(
                MHD_SIZE_UNKNOWN, 1024,
                +[](void*, uint64_t, char*, size_t) -> ssize_t {
                  return MHD_CONTENT_READER_END_OF_STREAM;
                },
                nullptr, nullptr)
          : MHD_create_response_from_buffer(
                answer.body.size(), answer.body.data(), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  if (!answer.content_type.empty()) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                            answer.content_type.c_str());
  }
  for (const auto& [name, value] : answer.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  AddCommonHeaders(response);
  const MHD_Result queued =
      MHD_queue_response(connection_, answer.status, response);
  MHD_destroy_response(response);
  return queued;
}

MHD_Result Exchange::QueueStream(const Answer& headers) {
  Count(200);
  stream_counted_ = true;
  ++state_->streams_open;
  MHD_Response* response = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, 16 * 1024,
      +[](void* cls, uint64_t, char* buffer, size_t max) -> ssize_t {
        return static_cast<Exchange*>(cls)->Read(buffer, max);
      },
      this, nullptr);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                          raw_ ? headers.content_type.c_str()
                          : protocol_ == Protocol::kRest
                              ? kEventStream
                              : (binary_ ? kConnectProto : kConnectJson));
  // A raw answer's caching is its service's to say (the exports: revalidate
  // with the entity tag, or a day for a pinned revision).
  const bool cache_control_given = std::any_of(
      headers.headers.begin(), headers.headers.end(),
      [](const auto& header) { return header.first == "Cache-Control"; });
  if (!cache_control_given) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL,
                            "no-cache");
  }
  for (const auto& [name, value] : headers.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  AddCommonHeaders(response);
  const MHD_Result queued = MHD_queue_response(connection_, 200, response);
  MHD_destroy_response(response);
  return queued;
}

MHD_Result Handle(void* cls, MHD_Connection* connection, const char* url,
                  const char* method, const char* /*version*/,
                  const char* upload_data, size_t* upload_data_size,
                  void** request_state) {
  auto** holder = reinterpret_cast<std::shared_ptr<Exchange>**>(request_state);
  if (*holder == nullptr) {
    const auto* listener = static_cast<const Listener*>(cls);
    *holder = new std::shared_ptr<Exchange>(std::make_shared<Exchange>(
        listener->state, connection, listener->edge, method, url));
    MHD_Result refused;
    if ((**holder)->Refused(&refused)) return refused;
    return MHD_YES;
  }
  Exchange& exchange = ***holder;
  if (*upload_data_size > 0) {
    exchange.Append(upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  return exchange.Serve();
}

void Completed(void* /*cls*/, MHD_Connection* /*connection*/,
               void** request_state, MHD_RequestTerminationCode /*why*/) {
  auto** holder = reinterpret_cast<std::shared_ptr<Exchange>**>(request_state);
  if (*holder == nullptr) return;
  (**holder)->Gone();
  delete *holder;
  *holder = nullptr;
}

// Each connection's serial number, for the per-connection bounds (a
// connection's address may be reused by the next one; a serial is not).
void Connected(void* /*cls*/, MHD_Connection* /*connection*/,
               void** socket_context, MHD_ConnectionNotificationCode code) {
  static std::atomic<uintptr_t> next{1};
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    *socket_context = reinterpret_cast<void*>(next.fetch_add(1));
  }
}

size_t KeepEscapes(void* /*cls*/, MHD_Connection* /*connection*/, char* text) {
  return std::strlen(text);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Door>> Door::Start(
    DoorOptions options, std::shared_ptr<grpc::Channel> channel,
    RouteTable routes) {
  std::unique_ptr<Door> door(new Door());
  door->state_ = std::make_shared<State>();
  State& state = *door->state_;
  state.options = std::move(options);
  state.channel = std::move(channel);
  state.stub = std::make_unique<grpc::GenericStub>(state.channel);
  state.routes = std::move(routes);
  const auto listen = [&](const std::string& address, bool edge,
                          int* port) -> absl::Status {
    if (address.empty()) return absl::OkStatus();
    const absl::string_view flag = edge ? "http-edge-address" : "http-address";
    absl::StatusOr<ListenAddress> resolved =
        ResolveListenAddress(address, flag);
    if (!resolved.ok()) return resolved.status();
    const addrinfo* found = resolved->info.get();
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    if (found->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    // Deliberately leaked to the daemon for its whole life: freed in the
    // destructor after the daemon stops.
    auto* listener = new Listener{.state = door->state_, .edge = edge};
    MHD_Daemon* daemon = MHD_start_daemon(
        flags, resolved->port, nullptr, nullptr, &Handle, listener,
        MHD_OPTION_SOCK_ADDR, found->ai_addr,  //
        MHD_OPTION_THREAD_POOL_SIZE,
        static_cast<unsigned>(std::max(1u, state.options.threads)),
        MHD_OPTION_CONNECTION_TIMEOUT,
        static_cast<unsigned>(absl::ToInt64Seconds(state.options.idle_timeout)),
        MHD_OPTION_CONNECTION_LIMIT, state.options.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        edge ? 0u : state.options.max_connections_per_address,
        // A request's line and headers: room for a bearer token and a long
        // filter, not for a flood (431 past it).
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, &Completed, nullptr,  //
        MHD_OPTION_NOTIFY_CONNECTION, &Connected, nullptr,
        // The path reaches the routes as sent: they decode it once, segment
        // by segment, so "%2F" never splits a segment (routes.cc); query
        // parameters are decoded by the door (FormDecode).
        MHD_OPTION_UNESCAPE_CALLBACK, &KeepEscapes, nullptr,  //
        MHD_OPTION_END);
    if (daemon == nullptr) {
      delete listener;
      return absl::UnavailableError(
          absl::StrCat("--", flag, ": cannot listen on ", address));
    }
    state.daemons.push_back(daemon);
    door->listeners_.push_back(listener);
    const MHD_DaemonInfo* info =
        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port = info == nullptr ? resolved->port : info->port;
    return absl::OkStatus();
  };
  if (absl::Status status = listen(state.options.address, false, &door->port_);
      !status.ok()) {
    return status;
  }
  if (absl::Status status =
          listen(state.options.edge_address, true, &door->edge_port_);
      !status.ok()) {
    return status;
  }
  return door;
}

void Door::Shutdown(absl::Time deadline) {
  if (state_ == nullptr || stopped_) return;
  stopped_ = true;
  state_->stopping = true;
  for (MHD_Daemon* daemon : state_->daemons) {
    const int socket = MHD_quiesce_daemon(daemon);
    absl::MutexLock lock(&state_->mu);
    if (socket >= 0) state_->quiesced.push_back(socket);
  }
  // Calls in flight end by themselves (watches as the server's drain ends
  // them); past the deadline they are cancelled.
  const auto idle = [](State* state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state->mu) {
    return state->calls.empty();
  };
  std::vector<std::shared_ptr<Exchange>> left;
  {
    absl::MutexLock lock(&state_->mu);
    if (!state_->mu.AwaitWithDeadline(absl::Condition(+idle, state_.get()),
                                      deadline)) {
      // Each is alive while it is listed (its call holds it).
      for (Exchange* exchange : state_->calls) {
        left.push_back(exchange->shared_from_this());
      }
    }
  }
  for (const std::shared_ptr<Exchange>& exchange : left) exchange->Cancel();
  left.clear();
  absl::MutexLock lock(&state_->mu);
  state_->mu.AwaitWithTimeout(absl::Condition(+idle, state_.get()),
                              absl::Seconds(5));
}

Door::Stats Door::GetStats() const {
  Stats stats;
  if (state_ == nullptr) return stats;
  for (int protocol = 0; protocol < 3; ++protocol) {
    std::vector<int64_t> classes;
    for (int which = 0; which < 5; ++which) {
      classes.push_back(state_->answered[protocol][which].load());
    }
    stats.answered.emplace_back(kProtocols[protocol], std::move(classes));
  }
  stats.streams_open = state_->streams_open.load();
  return stats;
}

Door::~Door() {
  Shutdown(absl::Now());
  if (state_ == nullptr) return;
  // Every call has ended and woken its connection; libmicrohttpd must also
  // have taken each up again before its daemon may stop (it aborts on a
  // suspended connection).
  bool parked;
  {
    absl::MutexLock lock(&state_->mu);
    const auto none = [](State* state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                          state->mu) { return state->parked == 0; };
    parked = !state_->mu.AwaitWithTimeout(absl::Condition(+none, state_.get()),
                                          absl::Seconds(5));
  }
  if (parked) {
    // Not seen in tests; should it happen, the process is ending anyway:
    // leaving the daemons running beats aborting in MHD_stop_daemon.
    return;
  }
  for (MHD_Daemon* daemon : state_->daemons) MHD_stop_daemon(daemon);
  for (void* listener : listeners_) delete static_cast<Listener*>(listener);
  absl::MutexLock lock(&state_->mu);
  for (int socket : state_->quiesced) close(socket);
}

}  // namespace forum_registry::http
