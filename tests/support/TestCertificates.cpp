#include "TestCertificates.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace tributary::test {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

constexpr long kDay = 24 * 60 * 60;

void check(bool ok, const std::string& what) {
  if (ok) return;
  char buf[256] = "no OpenSSL error";
  if (const unsigned long error = ERR_get_error()) ERR_error_string_n(error, buf, sizeof buf);
  ERR_clear_error();
  throw std::runtime_error("test certificates: " + what + " failed: " + buf);
}

Key newKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key != nullptr, "EVP_EC_gen(P-256)");
  return Key(key, EVP_PKEY_free);
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(added == 1, "X509_add_ext");
}

struct Spec {
  std::string commonName;
  std::string subjectAltName;  // empty for the CA
  long notBefore = -kDay;      // seconds from now
  long notAfter = 30 * kDay;
  long serial = 1;
};

// issuer == nullptr: self-signed CA.
Cert makeCertificate(const Spec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey) {
  Cert cert(X509_new(), X509_free);
  check(cert != nullptr, "X509_new");
  X509* x = cert.get();
  check(X509_set_version(x, 2) == 1, "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(x), spec.serial) == 1, "ASN1_INTEGER_set");
  check(X509_gmtime_adj(X509_getm_notBefore(x), spec.notBefore) != nullptr, "X509_gmtime_adj(notBefore)");
  check(X509_gmtime_adj(X509_getm_notAfter(x), spec.notAfter) != nullptr, "X509_gmtime_adj(notAfter)");
  check(X509_set_pubkey(x, key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(x);
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Tributary tests"),
                                   -1, -1, 0) == 1,
        "X509_NAME_add_entry_by_txt(O)");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(spec.commonName.c_str()), -1, -1, 0) == 1,
        "X509_NAME_add_entry_by_txt(CN)");
  const bool isCa = issuer == nullptr;
  X509* signer = isCa ? x : issuer;
  check(X509_set_issuer_name(x, X509_get_subject_name(signer)) == 1, "X509_set_issuer_name");
  addExtension(x, signer, NID_basic_constraints, isCa ? "critical,CA:TRUE" : "critical,CA:FALSE");
  addExtension(x, signer, NID_key_usage, isCa ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  addExtension(x, signer, NID_subject_key_identifier, "hash");
  if (!isCa) {
    addExtension(x, signer, NID_authority_key_identifier, "keyid:always");
    addExtension(x, signer, NID_ext_key_usage, "serverAuth");
    addExtension(x, signer, NID_subject_alt_name, spec.subjectAltName);
  }
  check(X509_sign(x, isCa ? key : issuerKey, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

CertificateFiles writePem(const std::filesystem::path& dir, const std::string& stem, X509* cert, EVP_PKEY* key) {
  CertificateFiles files{dir / (stem + ".pem"), dir / (stem + "-key.pem")};
  {
    Bio out(BIO_new_file(files.cert.c_str(), "w"), BIO_free);
    check(out != nullptr, "BIO_new_file(" + files.cert.string() + ")");
    check(PEM_write_bio_X509(out.get(), cert) == 1, "PEM_write_bio_X509");
  }
  {
    Bio out(BIO_new_file(files.key.c_str(), "w"), BIO_free);
    check(out != nullptr, "BIO_new_file(" + files.key.string() + ")");
    check(PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  }
  return files;
}

}  // namespace

TestCertificates writeTestCertificates(const std::filesystem::path& dir) {
  TestCertificates out;
  Key caKey = newKey();
  Cert ca = makeCertificate({"Tributary Test CA", "", -kDay, 30 * kDay, 1}, caKey.get(), nullptr, nullptr);
  out.ca = writePem(dir, "ca", ca.get(), caKey.get());

  auto server = [&](const std::string& stem, const Spec& spec) {
    Key key = newKey();
    Cert cert = makeCertificate(spec, key.get(), ca.get(), caKey.get());
    return writePem(dir, stem, cert.get(), key.get());
  };
  out.localhost = server("localhost", {"localhost", "DNS:localhost,IP:127.0.0.1", -kDay, 30 * kDay, 2});
  out.wrongHost = server("wrong-host", {"wrong.example", "DNS:wrong.example", -kDay, 30 * kDay, 3});
  out.expired = server("expired", {"localhost", "DNS:localhost,IP:127.0.0.1", -2 * kDay, -kDay, 4});
  return out;
}

}  // namespace tributary::test
