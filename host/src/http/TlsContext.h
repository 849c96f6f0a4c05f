#pragma once

// INTERIM (replaced by the TLS work merged from issue15-tls).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <Poco/Net/Context.h>

namespace Poco {
class Exception;
}

namespace tributary::http {

Poco::Net::Context::Ptr clientTlsContext(const std::optional<std::filesystem::path>& caFile);
// A certificate verification failure, in words; nullopt for another TLS failure.
std::optional<std::string> certificateFailure(const Poco::Exception& e, const std::string& host, uint16_t port);

}  // namespace tributary::http
