#include "http/TlsContext.h"

#include <map>
#include <mutex>

#include <Poco/Exception.h>
#include <Poco/Net/SSLManager.h>

namespace tributary::http {

Poco::Net::Context::Ptr clientTlsContext(const std::optional<std::filesystem::path>& caFile) {
  static std::mutex mutex;
  static std::map<std::string, Poco::Net::Context::Ptr> contexts;
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  const std::string key = caFile ? caFile->string() : "";
  std::lock_guard lock(mutex);
  auto& c = contexts[key];
  if (!c) {
    c = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", key, Poco::Net::Context::VERIFY_RELAXED, 9,
                               true);
  }
  return c;
}

std::optional<std::string> certificateFailure(const Poco::Exception&, const std::string&, uint16_t) {
  return std::nullopt;
}

}  // namespace tributary::http
