#include "src/auth/edge.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::auth {
namespace {

using ::testing::HasSubstr;

// Certificates as the edge sends them (DER in base64), made with
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 ...
// CN registry-client; DNS client.example.org, URI https://example.org/client,
// URI spiffe://forum-registry.test/ns/a/sa/b.
constexpr char kWithSpiffe[] =
    "MIIB8DCCAZagAwIBAgIUFLeXu7scHRAuSBt5pSQPMt2K/PMwCgYIKoZIzj0EAwIw"
    "GjEYMBYGA1UEAwwPcmVnaXN0cnktY2xpZW50MCAXDTI2MTIwNjA1MzIxMloYDzIx"
    "MjYxMTEyMDUzMjEyWjAaMRgwFgYDVQQDDA9yZWdpc3RyeS1jbGllbnQwWTATBgcq"
    "hkjOPQIBBggqhkjOPQMBBwNCAATdwatg95gQWsLPFqDVXy0avkBnEyqmCqsUywOg"
    "rDB6x10T4vZQxRrik5rnIw3Os8tItnlsAopdJlKJBbWoiLMio4G3MIG0MB0GA1Ud"
    "DgQWBBQuEDiifJrc2YAU+OOsHRZwGh/iYDAfBgNVHSMEGDAWgBQuEDiifJrc2YAU"
    "+OOsHRZwGh/iYDAPBgNVHRMBAf8EBTADAQH/MGEGA1UdEQRaMFiCEmNsaWVudC5l"
    "eGFtcGxlLm9yZ4YaaHR0cHM6Ly9leGFtcGxlLm9yZy9jbGllbnSGJnNwaWZmZTov"
    "L2ZvcnVtLXJlZ2lzdHJ5LnRlc3QvbnMvYS9zYS9iMAoGCCqGSM49BAMCA0gAMEUC"
    "IE5ee4UywDa4evHODh6hFhbLf2gn9lj906Zb9t+2fHquAiEAhd56dDRubW2IAduA"
    "9Aa+skonbR81VcEtMzwZK33q90U=";
// CN "Ministère client" (UTF-8), no subject alternative names.
constexpr char kCommonNameOnly[] =
    "MIIBjzCCATWgAwIBAgIULvuGu7GhhuSUx4nY+60Flvw5L60wCgYIKoZIzj0EAwIw"
    "HDEaMBgGA1UEAwwRTWluaXN0w6hyZSBjbGllbnQwIBcNMjYxMjA2MDUzMjEyWhgP"
    "MjEyNjExMTIwNTMyMTJaMBwxGjAYBgNVBAMMEU1pbmlzdMOocmUgY2xpZW50MFkw"
    "EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEL6B+knPZT/biny+rYRt9AerjOw30/JA4"
    "Vg6AKR1E52ypdaPjCYOI0NZoiMnfQsaA8zOHMznlcgeGKO/5p4Y3UqNTMFEwHQYD"
    "VR0OBBYEFMzx/QPiGND/86SSqba9iCkUiakzMB8GA1UdIwQYMBaAFMzx/QPiGND/"
    "86SSqba9iCkUiakzMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIh"
    "ALWO/U8hT5ErKWXrZN1n5vXJ3Wsa7LIZUSiouXlEx2sIAiAt8aiiwVWSSIbXwwI2"
    "EwhrESEoVJhwlMp9tqRG30Dkvw==";
// CN ignored; DNS only.example.org.
constexpr char kDnsOnly[] =
    "MIIBmTCCAT6gAwIBAgIUd/jXOlUXXdr9uFx0EyXrUXC43XYwCgYIKoZIzj0EAwIw"
    "EjEQMA4GA1UEAwwHaWdub3JlZDAgFw0yNjEyMDYwNTMyMTJaGA8yMTI2MTExMjA1"
    "MzIxMlowEjEQMA4GA1UEAwwHaWdub3JlZDBZMBMGByqGSM49AgEGCCqGSM49AwEH"
    "A0IABPXzdK9HRBCcVAg+LytzptADxP40bFTxXF1aQcX6kKDPFuQ1ustEfDTBRhHM"
    "XRY3+6SjOhicm5I3adL6yi2gYv6jcDBuMB0GA1UdDgQWBBQZ31O6/JHEAynl7vXI"
    "ywbkEHRGuTAfBgNVHSMEGDAWgBQZ31O6/JHEAynl7vXIywbkEHRGuTAPBgNVHRMB"
    "Af8EBTADAQH/MBsGA1UdEQQUMBKCEG9ubHkuZXhhbXBsZS5vcmcwCgYIKoZIzj0E"
    "AwIDSQAwRgIhAJwec+/QQ2KHsq04zE6NZalyHDgS5T7VKRImoDiVLBThAiEA3u7+"
    "yAJ0HmNMHzL/kk6twIBUP8ucMmTsjF8o+8SuQz8=";

TEST(CertificateName, TheSpiffeIdFirstThenUriThenDnsThenCommonName) {
  EXPECT_EQ(CertificateName(kWithSpiffe).value(),
            "spiffe://forum-registry.test/ns/a/sa/b");
  EXPECT_EQ(CertificateName(kDnsOnly).value(), "only.example.org");
  EXPECT_EQ(CertificateName(kCommonNameOnly).value(), "Ministère client");
}

TEST(CertificateName, WhatIsNotACertificateIsRefused) {
  for (const char* bad : {"", "not base64 at all!", "AAAA", "aGVsbG8="}) {
    const absl::StatusOr<std::string> name = CertificateName(bad);
    ASSERT_FALSE(name.ok()) << bad;
    EXPECT_EQ(name.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(name.status().message(), HasSubstr("client certificate"));
  }
  // A certificate cut short is no certificate.
  const std::string cut = std::string(kWithSpiffe).substr(0, 200);
  EXPECT_FALSE(CertificateName(cut).ok());
}

TEST(PeerHost, TheHostOfGrpcPeers) {
  EXPECT_EQ(PeerHost("ipv4:10.1.2.3:5000"), "10.1.2.3");
  EXPECT_EQ(PeerHost("ipv6:%5B::1%5D:5000"), "::1");
  EXPECT_EQ(PeerHost("ipv6:%5Bfe80::1%5D:443"), "fe80::1");
  EXPECT_EQ(PeerHost("unix:/run/socket"), "unix:/run/socket");
}

}  // namespace
}  // namespace forum_registry::auth
