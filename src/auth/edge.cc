#include "src/auth/edge.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"

namespace forum_registry::auth {
namespace {

// What gRPC's local credentials name the transport of their calls.
constexpr absl::string_view kLocalTransport = "local";

std::optional<std::string> Header(const grpc::ServerContextBase& context,
                                  absl::string_view name) {
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find(grpc::string_ref(name.data(), name.size()));
  if (found == metadata.end()) return std::nullopt;
  return std::string(found->second.data(), found->second.size());
}

std::string Ia5(const ASN1_IA5STRING* text) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                     static_cast<size_t>(ASN1_STRING_length(text)));
}

}  // namespace

const std::string& DoorSecret() {
  static const std::string* const kSecret = [] {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
      // Without randomness there is no secret: door calls are then told
      // from no other (every call's mark mismatches an empty secret).
      return new std::string();
    }
    return new std::string(absl::BytesToHexString(absl::string_view(
        reinterpret_cast<const char*>(bytes), sizeof(bytes))));
  }();
  return *kSecret;
}

bool FromDoor(const grpc::ServerContextBase& context) {
  const std::string& secret = DoorSecret();
  if (secret.empty()) return false;
  const std::optional<std::string> mark = Header(context, kDoorMark);
  return mark.has_value() && mark->size() == secret.size() &&
         CRYPTO_memcmp(mark->data(), secret.data(), secret.size()) == 0;
}

std::string ConnectionKey(const grpc::ServerContextBase& context) {
  if (FromDoor(context)) {
    return absl::StrCat("http:", Header(context, kDoorConnection).value_or(""));
  }
  return context.peer();
}

bool FromEdge(const grpc::ServerContextBase& context) {
  return FromEdgeListener(context.auth_context().get()) || FromDoor(context);
}

bool FromEdgeListener(const grpc::AuthContext* auth) {
  if (auth == nullptr) return false;
  const std::vector<grpc::string_ref> type =
      auth->FindPropertyValues(GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME);
  return !type.empty() &&
         absl::string_view(type[0].data(), type[0].size()) == kLocalTransport;
}

std::optional<std::string> EdgeClientAddress(
    const grpc::ServerContextBase& context) {
  if (!FromEdge(context)) return std::nullopt;
  return Header(context, kEdgeClientAddress);
}

std::string ClientHost(const grpc::ServerContextBase& context) {
  if (std::optional<std::string> address = EdgeClientAddress(context)) {
    return *std::move(address);
  }
  return PeerHost(context.peer());
}

std::string PeerHost(absl::string_view peer) {
  absl::string_view host = peer;
  if (!absl::ConsumePrefix(&host, "ipv4:") &&
      !absl::ConsumePrefix(&host, "ipv6:")) {
    return std::string(peer);
  }
  const size_t colon = host.rfind(':');
  if (colon != absl::string_view::npos) host = host.substr(0, colon);
  // IPv6 peers are URI-encoded and bracketed: "%5B::1%5D".
  std::string out = absl::StrReplaceAll(host, {{"%5B", ""}, {"%5D", ""}});
  absl::StripAsciiWhitespace(&out);
  return out;
}

std::string CallerKey(const grpc::ServerContextBase& context,
                      const std::string& identity) {
  if (!identity.empty() && identity != "anonymous") return identity;
  return absl::StrCat("anonymous@", ClientHost(context));
}

std::optional<std::string> EdgeClientCertificate(
    const grpc::ServerContextBase& context) {
  if (!FromEdge(context)) return std::nullopt;
  return Header(context, kEdgeClientCertificate);
}

absl::StatusOr<std::string> CertificateName(absl::string_view base64_der) {
  std::string der;
  if (!absl::Base64Unescape(base64_der, &der) || der.empty()) {
    return absl::InvalidArgumentError(
        "the edge's client certificate is not base64");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, decltype(&X509_free)> certificate(
      d2i_X509(nullptr, &bytes, static_cast<long>(der.size())), X509_free);
  if (certificate == nullptr) {
    return absl::InvalidArgumentError(
        "the edge's client certificate is not a DER certificate");
  }
  std::optional<std::string> spiffe, uri, dns;
  std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(
          certificate.get(), NID_subject_alt_name, nullptr, nullptr)),
      GENERAL_NAMES_free);
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get());
       ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_URI) {
      std::string value = Ia5(name->d.uniformResourceIdentifier);
      if (!spiffe && absl::StartsWithIgnoreCase(value, "spiffe://")) {
        spiffe = value;
      }
      if (!uri) uri = std::move(value);
    } else if (name->type == GEN_DNS && !dns) {
      dns = Ia5(name->d.dNSName);
    }
  }
  for (const std::optional<std::string>* name : {&spiffe, &uri, &dns}) {
    if (name->has_value() && !(*name)->empty()) return **name;
  }
  const X509_NAME* subject = X509_get_subject_name(certificate.get());
  const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at >= 0) {
    const ASN1_STRING* common_name =
        X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, common_name);
    if (length > 0) {
      std::string value(reinterpret_cast<const char*>(utf8),
                        static_cast<size_t>(length));
      OPENSSL_free(utf8);
      return value;
    }
    OPENSSL_free(utf8);
  }
  return absl::InvalidArgumentError(
      "the edge's client certificate names nobody (no URI, DNS name or "
      "common name)");
}

}  // namespace forum_registry::auth
