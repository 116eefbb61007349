#include "src/api/status.h"

#include <algorithm>
#include <string>

namespace forum_registry::api {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string message(status.message());
  if (message.size() > kMaxStatusMessageBytes) {
    // Whole characters only: back off UTF-8 continuation bytes.
    size_t cut = kMaxStatusMessageBytes;
    while (cut > 0 &&
           (static_cast<unsigned char>(message[cut]) & 0xc0) == 0x80) {
      --cut;
    }
    message.resize(cut);
    message += "... (cut)";
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::move(message));
}

absl::Time DeadlineOf(const grpc::ServerContextBase* context,
                      absl::Duration cap) {
  const absl::Time limit = absl::Now() + cap;
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return limit;
  return std::min(absl::FromChrono(deadline), limit);
}

}  // namespace forum_registry::api
