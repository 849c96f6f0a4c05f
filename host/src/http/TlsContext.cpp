#include "http/TlsContext.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>

#include "http/HttpError.h"

namespace tributary::http {
namespace {

// What the verify callback saw in the last full handshake on this thread.
struct HandshakeVerdict {
  int error = X509_V_OK;
  int depth = 0;
  std::string reason;   // OpenSSL's words for error
  std::string subject;  // of the certificate at depth
  std::string issuer;
  std::string notBefore;
  std::string notAfter;
  std::vector<std::string> serverNames;  // the DNS and IP names of the server's own certificate
};

thread_local HandshakeVerdict lastVerdict;

std::string nameText(const X509_NAME* name) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string timeText(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::vector<std::string> namesOf(X509* cert) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* san = sk_GENERAL_NAME_value(sans, i);
    if (san->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = san->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                         static_cast<std::size_t>(ASN1_STRING_length(dns)));
    } else if (san->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = san->d.iPAddress;
      const int length = ASN1_STRING_length(ip);
      char buf[INET6_ADDRSTRLEN] = {};
      if ((length == 4 || length == 16) &&
          inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), buf, sizeof buf) != nullptr) {
        names.emplace_back(buf);
      }
    }
  }
  GENERAL_NAMES_free(sans);
  if (names.empty()) {
    const X509_NAME* subject = X509_get_subject_name(cert);
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index >= 0) {
      const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                         static_cast<std::size_t>(ASN1_STRING_length(cn)));
    }
  }
  return names;
}

// Replaces Poco's SSLManager::verifyClientCallback on our contexts: every error fails the
// handshake, and none reaches an InvalidCertificateHandler (Poco's console one would prompt).
int verifyServerCertificate(int ok, X509_STORE_CTX* store) {
  const int depth = X509_STORE_CTX_get_error_depth(store);
  if (ok && depth > 0) return 1;
  HandshakeVerdict verdict;
  if (X509* server = X509_STORE_CTX_get0_cert(store)) verdict.serverNames = namesOf(server);
  if (!ok) {
    verdict.error = X509_STORE_CTX_get_error(store);
    verdict.depth = depth;
    verdict.reason = X509_verify_cert_error_string(verdict.error);
    if (X509* failing = X509_STORE_CTX_get_current_cert(store)) {
      verdict.subject = nameText(X509_get_subject_name(failing));
      verdict.issuer = nameText(X509_get_issuer_name(failing));
      verdict.notBefore = timeText(X509_get0_notBefore(failing));
      verdict.notAfter = timeText(X509_get0_notAfter(failing));
    }
  }
  lastVerdict = std::move(verdict);
  return ok ? 1 : 0;
}

void trustCaFile(SSL_CTX* ssl, const std::filesystem::path& file) {
  const std::string what = "TLS: the CA file '" + file.string() + "' (http.ca_file) ";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw HttpError(HttpError::Kind::InvalidRequest, what + "does not exist or is not a file");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), BIO_free);
  if (!bio) {
    ERR_clear_error();
    throw HttpError(HttpError::Kind::InvalidRequest, what + "cannot be read");
  }
  STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr);
  X509_STORE* store = SSL_CTX_get_cert_store(ssl);
  int trusted = 0;
  for (int i = 0; infos != nullptr && i < sk_X509_INFO_num(infos); ++i) {
    X509_INFO* info = sk_X509_INFO_value(infos, i);
    if (info->x509 != nullptr && X509_STORE_add_cert(store, info->x509) == 1) ++trusted;
  }
  sk_X509_INFO_pop_free(infos, X509_INFO_free);
  // A parse leaves errors on this thread's queue; Poco would report them for the next handshake.
  ERR_clear_error();
  if (trusted == 0) {
    throw HttpError(HttpError::Kind::InvalidRequest,
                    what + "holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)");
  }
}

Poco::Net::Context::Ptr makeClientContext(const std::optional<std::filesystem::path>& caFile) {
  using Poco::Net::Context;
  Context::Params params;
  // VERIFY_STRICT, not RELAXED: with RELAXED, Poco skips the host-name check for any name that
  // resolves to a loopback address. For a client, OpenSSL treats both as SSL_VERIFY_PEER.
  params.verificationMode = Context::VERIFY_STRICT;
  params.loadDefaultCAs = true;
  // Poco's default list ("ALL:...") admits anonymous suites, where no certificate is sent and
  // so none is verified.
  params.cipherList = "DEFAULT:!aNULL:!eNULL";
  Context::Ptr context = new Context(Context::TLS_CLIENT_USE, params);
  context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
  context->enableExtendedCertificateVerification(true);  // the host-name check after the handshake
  context->enableSessionCache(true);
  SSL_CTX_set_verify(context->sslContext(), SSL_VERIFY_PEER, &verifyServerCertificate);
  if (caFile) trustCaFile(context->sslContext(), *caFile);
  return context;
}

std::string hostPort(const std::string& host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string untrusted(const HandshakeVerdict& v) {
  const bool server = v.depth == 0;
  const std::string which = server ? "it" : "the CA certificate '" + v.subject + "' in its chain";
  switch (v.error) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return " (" + which + " was valid until " + v.notAfter + ")";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return " (" + which + " is valid from " + v.notBefore + "; check this machine's clock)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return " (self-signed or from an unknown CA: issued by '" + v.issuer +
             "'; for a private CA, set http.ca_file to a PEM file with its certificate)";
    default: return v.subject.empty() ? "" : " ('" + v.subject + "')";
  }
}

}  // namespace

Poco::Net::Context::Ptr clientTlsContext(const std::optional<std::filesystem::path>& caFile) {
  static std::once_flag sslInitialized;
  std::call_once(sslInitialized, [] { Poco::Net::initializeSSL(); });
  // Never destroyed: contexts outlive every static client and OpenSSL's exit handlers.
  static auto* mutex = new std::mutex;
  static auto* contexts = new std::map<std::string, Poco::Net::Context::Ptr>;
  std::string key;
  if (caFile) {
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(*caFile, ec);
    key = "ca:" + (ec ? *caFile : absolute).lexically_normal().string();
  }
  std::lock_guard lock(*mutex);
  auto it = contexts->find(key);
  if (it == contexts->end()) it = contexts->emplace(key, makeClientContext(caFile)).first;
  return it->second;
}

Poco::Net::Session::Ptr resumableTlsSession(Poco::Net::HTTPSClientSession& session) {
  try {
    Poco::Net::Session::Ptr current = Poco::Net::SecureStreamSocket(session.socket()).currentSession();
    if (current && SSL_SESSION_is_resumable(current->sslSession()) == 1) return current;
  } catch (const Poco::InvalidArgumentException&) {
    // never connected: the socket is not a secure one yet
  }
  return nullptr;
}

TlsFailure describeTlsFailure(const Poco::Exception& e, const std::string& host, std::uint16_t port) {
  const HandshakeVerdict verdict = std::exchange(lastVerdict, HandshakeVerdict{});
  const std::string prefix = "TLS: the certificate of " + hostPort(host, port);
  if (dynamic_cast<const Poco::Net::CertificateValidationException*>(&e) != nullptr) {
    const std::string names = verdict.serverNames.empty() ? "" : " (it is for " + joined(verdict.serverNames) + ")";
    return {true, prefix + " does not match the host name '" + host + "'" + names};
  }
  const bool verifyFailed = e.message().find("certificate verify failed") != std::string::npos;
  if (verifyFailed && verdict.error != X509_V_OK) {
    return {true, prefix + " is not trusted: " + verdict.reason + untrusted(verdict)};
  }
  if (verifyFailed) return {true, prefix + " is not trusted: " + e.displayText()};
  std::string message = "TLS: the connection to " + hostPort(host, port) + " failed: " + e.displayText();
  if (e.message().find("wrong version number") != std::string::npos) message += " (is it a plain http port?)";
  return {false, message};
}

}  // namespace tributary::http
