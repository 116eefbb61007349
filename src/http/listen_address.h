#ifndef FORUM_REGISTRY_HTTP_LISTEN_ADDRESS_H_
#define FORUM_REGISTRY_HTTP_LISTEN_ADDRESS_H_

// A HOST:PORT a libmicrohttpd listener binds (the HTTP door's, /metrics'):
// parsed and resolved once, the same way for each.

#include <netdb.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace forum_registry::http {

struct ListenAddress {
  // What getaddrinfo found (for MHD_OPTION_SOCK_ADDR and the family).
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> info{nullptr,
                                                          &freeaddrinfo};
  uint16_t port = 0;  // as given; 0 asks for a free one
};

// `address` ("127.0.0.1:8080", "[::1]:0", ":9090" for every address)
// resolved for listening; `flag` names it in errors ("metrics-address").
// INVALID_ARGUMENT if it is not HOST:PORT; UNAVAILABLE if the host does not
// resolve.
absl::StatusOr<ListenAddress> ResolveListenAddress(const std::string& address,
                                                   absl::string_view flag);

}  // namespace forum_registry::http

#endif  // FORUM_REGISTRY_HTTP_LISTEN_ADDRESS_H_
