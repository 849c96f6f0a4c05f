#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/Session.h>

namespace tributary::http {

// The TLS client context every https request uses: TLS 1.2 or newer, the server's chain
// verified against the system's CA store plus the PEM CAs of caFile (http.ca_file) when given,
// and the host name checked after the handshake, loopback names included. There is no way to
// turn verification off. One context per distinct caFile, made on first use and kept for the
// life of the process (a changed CA file is read again only after a restart). Thread-safe.
//
// Verification never consults Poco's SSLManager (no InvalidCertificateHandler, no
// ClientVerificationError event, so never the ConsoleCertificateHandler that would prompt on
// stdin): the context's own verify callback rejects every error and remembers it, for
// describeTlsFailure, on the thread that ran the handshake.
//
// Throws HttpError (InvalidRequest) when caFile cannot be read or holds no PEM certificate.
//
// Session resumption: the session cache is on, so a new HTTPSClientSession to the same
// host:port with the same caFile can resume an earlier connection's TLS session:
//   Poco::Net::HTTPSClientSession next(host, port, clientTlsContext(caFile), resumableTlsSession(last));
// Keep sessions per (host, port, caFile): a resumed handshake skips the chain verification
// (the host-name check still runs).
Poco::Net::Context::Ptr clientTlsContext(const std::optional<std::filesystem::path>& caFile);

// The TLS session of session's current connection, to resume on the next connection (see
// above); null when there is none or it cannot be resumed. Take it after a response was read,
// and take the newest each time: HTTPSClientSession::sslSession() is taken right after the handshake, before a
// TLS 1.3 server's ticket arrives, so it never resumes under TLS 1.3; and a TLS 1.3 session
// resumed once did a full handshake the second time.
Poco::Net::Session::Ptr resumableTlsSession(Poco::Net::HTTPSClientSession& session);

struct TlsFailure {
  // The server's certificate was refused (untrusted, expired, wrong host): retrying will not
  // help until the server or http.ca_file changes.
  bool certificateRejected = false;
  // "TLS: the certificate of host:port ...", for the operator.
  std::string message;
};

// Explains a Poco::Net::SSLException (or any Poco exception) thrown while talking to
// host:port, in words, naming host:port. Call it from the catch block on the thread that ran
// the handshake: it reads (and clears) what the verify callback remembered there.
TlsFailure describeTlsFailure(const Poco::Exception& e, const std::string& host, std::uint16_t port);

}  // namespace tributary::http
