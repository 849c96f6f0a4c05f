#pragma once

// Certificates for TLS tests, made in-process with OpenSSL's C API (EC P-256 keys): a CA and
// server certificates it signed. Nothing is downloaded and no openssl CLI runs.

#include <filesystem>

namespace tributary::test {

struct CertificateFiles {
  std::filesystem::path cert;  // PEM
  std::filesystem::path key;   // PEM, unencrypted
};

struct TestCertificates {
  CertificateFiles ca;         // "Tributary Test CA", self-signed, CA:TRUE
  CertificateFiles localhost;  // DNS:localhost, IP:127.0.0.1, valid from a day ago for 30 days
  CertificateFiles wrongHost;  // DNS:wrong.example only
  CertificateFiles expired;    // DNS:localhost, IP:127.0.0.1, valid from two days ago to one day ago
};

// Writes ca.pem, ca-key.pem, localhost.pem, localhost-key.pem, wrong-host.pem,
// wrong-host-key.pem, expired.pem and expired-key.pem into dir (which must exist). Throws
// std::runtime_error naming the OpenSSL call that failed.
TestCertificates writeTestCertificates(const std::filesystem::path& dir);

}  // namespace tributary::test
