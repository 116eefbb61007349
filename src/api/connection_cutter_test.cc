#include "src/api/connection_cutter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace forum_registry::api {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

TEST(ParsePeer, ReadsGrpcsIpv4AndIpv6Peers) {
  const auto v4 = ParsePeer("ipv4:127.0.0.1:5000");
  ASSERT_TRUE(v4.has_value());
  const auto& in = reinterpret_cast<const sockaddr_in&>(*v4);
  EXPECT_EQ(in.sin_family, AF_INET);
  EXPECT_EQ(ntohs(in.sin_port), 5000);
  EXPECT_EQ(ntohl(in.sin_addr.s_addr), 0x7f000001u);

  const auto v6 = ParsePeer("ipv6:[::ffff:10.0.0.1]:443");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->ss_family, AF_INET6);
  EXPECT_TRUE(SameAddress(*v6, *ParsePeer("ipv6:[::ffff:10.0.0.1]:443")));
  EXPECT_FALSE(SameAddress(*v6, *ParsePeer("ipv6:[::ffff:10.0.0.1]:444")));
  EXPECT_FALSE(SameAddress(*v4, *ParsePeer("ipv4:127.0.0.2:5000")));
  // gRPC's dual-stack sockets see IPv4 clients as mapped IPv6 addresses.
  EXPECT_TRUE(SameAddress(*ParsePeer("ipv6:[::ffff:127.0.0.1]:5000"), *v4));
  EXPECT_FALSE(SameAddress(*ParsePeer("ipv6:[::ffff:127.0.0.1]:5001"), *v4));
}

TEST(ParsePeer, ReadsPercentEncodedPeersAsGrpcWritesThem) {
  const auto v6 = ParsePeer("ipv6:%5B::1%5D:5000");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(SameAddress(*v6, *ParsePeer("ipv6:[::1]:5000")));
  EXPECT_FALSE(ParsePeer("ipv6:%5B::1%5:5000").has_value()) << "cut short";
}

TEST(ParsePeer, RefusesWhatIsNotAnInternetPeer) {
  for (const char* peer :
       {"", "unix:/tmp/s", "ipv4:", "ipv4:127.0.0.1", "ipv4:127.0.0.1:x",
        "ipv4:127.0.0.1:70000", "ipv4:999.0.0.1:1", "ipv6:::1:80",
        "ipv6:[::1:80", "ipv6:[zz]:80"}) {
    EXPECT_FALSE(ParsePeer(peer).has_value()) << peer;
  }
}

TEST(ConnectionCutter, CutsOnceWhenOneSecondsCancellationsPassTheLimit) {
  ConnectionCutter cutter(3);
  const std::string peer = "unix:nothing-to-cut";  // counted, never found
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(cutter.Cancelled(peer, kStart + absl::Milliseconds(i)));
  }
  EXPECT_FALSE(cutter.Cancelled("unix:other", kStart)) << "counted apart";
  EXPECT_TRUE(cutter.Cancelled(peer, kStart + absl::Milliseconds(10)));
  EXPECT_FALSE(cutter.Cancelled(peer, kStart + absl::Milliseconds(11)))
      << "once";
  EXPECT_EQ(cutter.cut(), 1);
  // A second later the count starts over (the address may be a new
  // connection, or the cut may have missed).
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(cutter.Cancelled(peer, kStart + absl::Seconds(5)));
  }
  EXPECT_TRUE(cutter.Cancelled(peer, kStart + absl::Seconds(5)));
  EXPECT_EQ(cutter.cut(), 2);
}

TEST(ConnectionCutter, ANewSecondStartsANewCount) {
  ConnectionCutter cutter(2);
  const std::string peer = "unix:x";
  EXPECT_FALSE(cutter.Cancelled(peer, kStart));
  EXPECT_FALSE(cutter.Cancelled(peer, kStart + absl::Milliseconds(500)));
  EXPECT_FALSE(cutter.Cancelled(peer, kStart + absl::Milliseconds(1000)));
  EXPECT_FALSE(cutter.Cancelled(peer, kStart + absl::Milliseconds(1500)));
  EXPECT_TRUE(cutter.Cancelled(peer, kStart + absl::Milliseconds(1600)));
}

TEST(ConnectionCutter, ZeroNeverCuts) {
  ConnectionCutter cutter(0);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(cutter.Cancelled("p", kStart));
  EXPECT_EQ(cutter.cut(), 0);
}

// A real connection on loopback: the side whose peer is named is shut down,
// and the other end reads end-of-stream. The listener is dual-stack, as
// gRPC's are: the accepted socket is IPv6, its peer a mapped IPv4 address.
TEST(ConnectionCutter, CutShutsDownTheSocketConnectedToThePeer) {
  const int listener = socket(AF_INET6, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  int off = 0;
  setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_addr = in6addr_any;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t length = sizeof any;
  getsockname(listener, reinterpret_cast<sockaddr*>(&any), &length);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = any.sin6_port;
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(
      connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address),
      0);
  const int server = accept(listener, nullptr, nullptr);
  ASSERT_GE(server, 0);
  sockaddr_in client_address{};
  length = sizeof client_address;
  getsockname(client, reinterpret_cast<sockaddr*>(&client_address), &length);
  const std::string peer =
      absl::StrCat("ipv4:127.0.0.1:", ntohs(client_address.sin_port));

  EXPECT_FALSE(ConnectionCutter::Cut("ipv4:127.0.0.1:1")) << "no such peer";
  EXPECT_FALSE(ConnectionCutter::Cut(peer, {ntohs(any.sin6_port) + 1}))
      << "a socket of another local port";
  char byte = 0;
  ASSERT_TRUE(ConnectionCutter::Cut(peer, {ntohs(any.sin6_port)}));
  // The client's side reads end-of-stream: the server's side was shut down
  // (the client's own socket has the listener's address as its peer).
  EXPECT_EQ(read(client, &byte, 1), 0);
  EXPECT_EQ(read(server, &byte, 1), 0) << "shut down for reading too";
  close(client);
  close(server);
  close(listener);
}

}  // namespace
}  // namespace forum_registry::api
