#include "http/HttpClient.h"

#include <deque>
#include <istream>
#include <map>
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
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/Session.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include "http/HttpError.h"
#include "http/TlsContext.h"

namespace tributary::http {

using Clock = std::chrono::steady_clock;

// Idle keep-alive connections per "scheme://host:port", newest last, and the last TLS session
// of each endpoint for resumption.
class ConnectionPool {
 public:
  struct Lease {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    Clock::time_point opened;
    bool reused = false;
  };

  explicit ConnectionPool(const HttpClient::Options& o) : options_(o) {}

  // A pooled connection still open, or none.
  std::optional<Lease> take(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = idle_.find(key);
    if (it == idle_.end()) return std::nullopt;
    auto& list = it->second;
    const auto now = Clock::now();
    while (!list.empty()) {
      Idle e = std::move(list.back());
      list.pop_back();
      if (now - e.lastUsed > options_.idleTimeout || now - e.lease.opened > options_.maxAge) continue;
      if (closedByPeer(*e.lease.session)) {
        ++stale_;
        continue;
      }
      e.lease.reused = true;
      ++reused_;
      return std::move(e.lease);
    }
    return std::nullopt;
  }

  void give(const std::string& key, Lease lease) {
    if (options_.maxIdlePerHost <= 0) return;
    if (auto* s = dynamic_cast<Poco::Net::HTTPSClientSession*>(lease.session.get())) {
      try {
        auto tls = resumableTlsSession(*s);
        if (tls) {
          std::lock_guard lock(mutex_);
          sessions_[key] = tls;
        }
      } catch (const Poco::Exception&) {
      }
    }
    std::lock_guard lock(mutex_);
    auto& list = idle_[key];
    list.push_back(Idle{std::move(lease), Clock::now()});
    while (static_cast<int>(list.size()) > options_.maxIdlePerHost) list.pop_front();
  }

  Poco::Net::Session::Ptr tlsSession(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(key);
    return it == sessions_.end() ? Poco::Net::Session::Ptr() : it->second;
  }

  void opened() {
    std::lock_guard lock(mutex_);
    ++opened_;
  }
  void staleAfterSend() {
    std::lock_guard lock(mutex_);
    ++stale_;
  }

  HttpClient::Stats stats() {
    std::lock_guard lock(mutex_);
    HttpClient::Stats s{opened_, reused_, stale_, 0};
    for (const auto& [_, list] : idle_) s.idle += static_cast<int64_t>(list.size());
    return s;
  }

 private:
  struct Idle {
    Lease lease;
    Clock::time_point lastUsed;
  };

  // An idle connection that is readable has been closed (or spoken on) by the server.
  static bool closedByPeer(Poco::Net::HTTPClientSession& s) {
    try {
      return !s.connected() || s.socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ);
    } catch (const Poco::Exception&) {
      return true;
    }
  }

  const HttpClient::Options& options_;
  std::mutex mutex_;
  std::map<std::string, std::deque<Idle>> idle_;
  std::map<std::string, Poco::Net::Session::Ptr> sessions_;
  int64_t opened_ = 0, reused_ = 0, stale_ = 0;
};

HttpClient::HttpClient() : HttpClient(Options{}) {}
HttpClient::HttpClient(Options options)
    : options_(std::move(options)), pool_(std::make_unique<ConnectionPool>(options_)) {}
HttpClient::~HttpClient() = default;

const HttpClient& HttpClient::shared() {
  static const HttpClient client;
  return client;
}

HttpClient::Stats HttpClient::stats() const { return pool_->stats(); }

namespace {

// One exchange on `session`. `sent` becomes true once the request may have reached the server.
HttpResponse exchange(Poco::Net::HTTPClientSession& session, const HttpRequest& request, const std::string& target,
                      const std::string& hostHeader, std::size_t maxBody, const std::string& where, bool& sent,
                      bool& keepAlive) {
  Poco::Net::HTTPRequest out(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  out.setKeepAlive(true);
  for (const auto& [name, value] : request.headers) out.add(name, value);
  if (!hostHeader.empty() && !out.has(Poco::Net::HTTPRequest::HOST)) out.set(Poco::Net::HTTPRequest::HOST, hostHeader);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    out.setContentLength(static_cast<std::streamsize>(request.body.size()));
  }
  sent = true;
  session.sendRequest(out) << request.body;

  Poco::Net::HTTPResponse in;
  std::istream& body = session.receiveResponse(in);
  HttpResponse response;
  response.status = static_cast<int>(in.getStatus());
  for (const auto& [name, value] : in) response.headers.emplace_back(name, value);
  char buf[16384];
  while (body.read(buf, sizeof buf) || body.gcount() > 0) {
    response.body.append(buf, static_cast<std::size_t>(body.gcount()));
    if (response.body.size() > maxBody) {
      throw HttpError(HttpError::Kind::Transient,
                      where + ": response body exceeds " + std::to_string(maxBody) + " bytes", true);
    }
  }
  keepAlive = in.getKeepAlive() && !body.bad();
  return response;
}

}  // namespace

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
  std::string key = scheme + "://" + uri.getHost() + ":" + std::to_string(uri.getPort());
  if (!request.connectAddress.empty()) key += "@" + request.connectAddress;
  // With a connect address the session knows only the address: Host names the URL's host.
  std::string hostHeader;
  if (!request.connectAddress.empty()) {
    hostHeader = uri.getHost().find(':') != std::string::npos ? "[" + uri.getHost() + "]" : uri.getHost();
    if (uri.getPort() != (scheme == "https" ? 443 : 80)) hostHeader += ":" + std::to_string(uri.getPort());
  }
  const std::string pathEtc = uri.getPathEtc();
  const std::string target = pathEtc.empty() ? std::string("/") : pathEtc;

  for (int round = 0;; ++round) {
    std::optional<ConnectionPool::Lease> lease = round == 0 ? pool_->take(key) : std::nullopt;
    if (!lease) {
      ConnectionPool::Lease fresh;
      try {
        if (!request.connectAddress.empty()) {
          // The session connects to the address given; the URL's host goes in Host (exchange),
          // and for https in the TLS server name and the certificate check: the socket's peer
          // host name, which the session's connect keeps when it is set.
          if (scheme == "https") {
            auto https = std::make_unique<Poco::Net::HTTPSClientSession>(
                request.connectAddress, uri.getPort(), clientTlsContext(options_.caFile), pool_->tlsSession(key));
            Poco::Net::SecureStreamSocket(https->socket()).setPeerHostName(uri.getHost());
            fresh.session = std::move(https);
          } else {
            fresh.session = std::make_unique<Poco::Net::HTTPClientSession>(request.connectAddress, uri.getPort());
          }
        } else if (scheme == "https") {
          fresh.session = std::make_unique<Poco::Net::HTTPSClientSession>(
              uri.getHost(), uri.getPort(), clientTlsContext(options_.caFile), pool_->tlsSession(key));
        } else {
          fresh.session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        }
      } catch (const Poco::Exception& e) {
        throw HttpError(HttpError::Kind::Transient, where + ": " + e.displayText());
      }
      fresh.session->setKeepAlive(true);
      fresh.opened = Clock::now();
      pool_->opened();
      lease = std::move(fresh);
    }
    auto& session = *lease->session;
    session.setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(timeout.count()) * 1000));
    bool sent = false, keepAlive = false;
    try {
      HttpResponse response =
          exchange(session, request, target, hostHeader, options_.maxBodyBytes, where, sent, keepAlive);
      if (keepAlive) pool_->give(key, std::move(*lease));
      return response;
    } catch (const HttpError&) {
      throw;
    } catch (const Poco::Net::NoMessageException&) {
      // The server closed the connection without answering: on a pooled one, it timed out our
      // idle connection as we sent. A request that may be repeated goes once more on a fresh one.
      if (lease->reused && round == 0 && request.repeatable()) {
        pool_->staleAfterSend();
        continue;
      }
      throw HttpError(HttpError::Kind::Transient, where + ": the server closed the connection without answering", sent);
    } catch (const Poco::TimeoutException&) {
      throw HttpError(HttpError::Kind::Transient,
                      where + ": timed out after " + std::to_string(timeout.count()) + " ms", sent);
    } catch (const Poco::Net::SSLException& e) {
      const TlsFailure f = describeTlsFailure(e, uri.getHost(), uri.getPort());
      throw HttpError(f.certificateRejected ? HttpError::Kind::Certificate : HttpError::Kind::Transient,
                      where + ": " + f.message, sent && !f.certificateRejected);
    } catch (const Poco::Exception& e) {
      // Refused or unresolvable: no byte of the request left this host.
      if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&e) ||
          dynamic_cast<const Poco::Net::HostNotFoundException*>(&e) ||
          dynamic_cast<const Poco::Net::NoAddressFoundException*>(&e)) {
        sent = false;
      }
      if (lease->reused && round == 0 && request.repeatable() &&
          (dynamic_cast<const Poco::Net::ConnectionResetException*>(&e) ||
           dynamic_cast<const Poco::Net::ConnectionAbortedException*>(&e))) {
        pool_->staleAfterSend();
        continue;
      }
      throw HttpError(HttpError::Kind::Transient, where + ": " + e.displayText(), sent);
    } catch (const std::exception& e) {
      throw HttpError(HttpError::Kind::Transient, where + ": " + e.what(), sent);
    }
  }
}

}  // namespace tributary::http
