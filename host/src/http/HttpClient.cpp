#include "http/HttpClient.h"

#include <istream>
#include <memory>
#include <mutex>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include "http/HttpError.h"
#include "http/TlsContext.h"

namespace tributary::http {
HttpClient::HttpClient() : HttpClient(Options{}) {}
HttpClient::HttpClient(Options options) : options_(options) {}

const HttpClient& HttpClient::shared() {
  static const HttpClient client;
  return client;
}

HttpResponse HttpClient::send(const HttpRequest& request) const {
  Poco::URI uri;
  try {
    uri = Poco::URI(request.url);
  } catch (const Poco::Exception& e) {
    throw HttpError(HttpError::Kind::InvalidRequest, "invalid URL '" + request.url + "': " + e.displayText());
  }
  const std::string scheme = uri.getScheme();
  if (scheme != "http" && scheme != "https") {
    throw HttpError(HttpError::Kind::InvalidRequest, "URL '" + request.url + "' must start with http:// or https://");
  }
  if (uri.getHost().empty()) {
    throw HttpError(HttpError::Kind::InvalidRequest, "URL '" + request.url + "' has no host");
  }
  if (request.method.empty()) {
    throw HttpError(HttpError::Kind::InvalidRequest, "request to '" + request.url + "' has no method");
  }

  const auto timeout = request.timeout.count() > 0 ? request.timeout : options_.defaultTimeout;
  const std::string where = request.method + " " + request.url;
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (scheme == "https") {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                                clientTlsContext(options_.caFile));
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session->setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(timeout.count()) * 1000));

    const std::string pathEtc = uri.getPathEtc();
    const std::string target = pathEtc.empty() ? std::string("/") : pathEtc;
    Poco::Net::HTTPRequest out(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : request.headers) out.add(name, value);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
      out.setContentLength(static_cast<std::streamsize>(request.body.size()));
    }
    session->sendRequest(out) << request.body;

    Poco::Net::HTTPResponse in;
    std::istream& body = session->receiveResponse(in);
    HttpResponse response;
    response.status = static_cast<int>(in.getStatus());
    for (const auto& [name, value] : in) response.headers.emplace_back(name, value);
    char buf[16384];
    while (body.read(buf, sizeof buf) || body.gcount() > 0) {
      response.body.append(buf, static_cast<std::size_t>(body.gcount()));
      if (response.body.size() > options_.maxBodyBytes) {
        throw HttpError(HttpError::Kind::Transient,
                        where + ": response body exceeds " + std::to_string(options_.maxBodyBytes) + " bytes");
      }
    }
    return response;
  } catch (const HttpError&) {
    throw;
  } catch (const Poco::Net::SSLException& e) {
    const TlsFailure failure = describeTlsFailure(e, uri.getHost(), uri.getPort());
    throw HttpError(failure.certificateRejected ? HttpError::Kind::InvalidRequest : HttpError::Kind::Transient,
                    where + ": " + failure.message);
  } catch (const Poco::TimeoutException&) {
    throw HttpError(HttpError::Kind::Transient, where + ": timed out after " + std::to_string(timeout.count()) + " ms");
  } catch (const Poco::Exception& e) {
    throw HttpError(HttpError::Kind::Transient, where + ": " + e.displayText());
  } catch (const std::exception& e) {
    throw HttpError(HttpError::Kind::Transient, where + ": " + e.what());
  }
}

}  // namespace tributary::http
