#include "server/HttpServer.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include <chrono>
#include <sstream>

#include "common/Log.h"
#include "common/Redact.h"
#include "common/Strings.h"

namespace tributary::server {
namespace {

constexpr size_t kMaxBody = 16 * 1024 * 1024;

class RouterHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RouterHandler(std::shared_ptr<const Router> router) : router_(std::move(router)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
    const auto started = std::chrono::steady_clock::now();
    Request r;
    r.method = req.getMethod();
    Response out;
    try {
      Poco::URI uri(req.getURI());
      r.path = uri.getPath();
      for (const auto& [k, v] : uri.getQueryParameters()) r.query[k] = v;
      for (const auto& [k, v] : req) r.headers[strings::toLower(k)] = v;
      if (req.hasContentLength() && req.getContentLength64() > static_cast<int64_t>(kMaxBody)) {
        out = Response::error(413, "body_too_large", "request bodies are limited to 16 MiB");
      } else {
        std::istream& in = req.stream();
        char buf[8192];
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
          r.body.append(buf, static_cast<size_t>(in.gcount()));
          if (r.body.size() > kMaxBody) break;
        }
        if (r.body.size() > kMaxBody) {
          out = Response::error(413, "body_too_large", "request bodies are limited to 16 MiB");
        } else {
          out = router_->dispatch(r);
        }
      }
    } catch (const std::exception& e) {
      log::error("http", "{} {} failed: {}", r.method, r.path, e.what());
      out = Response::error(500, "internal_error", e.what());
    }
    // Every answer leaves here, an error's message (an exception's what(), which may quote a
    // URL or a vendor's body) as much as a route's JSON (a job's error, a run's metadata): the
    // one place where the API is redacted, whatever the route. A page is redacted as text.
    const std::string body = out.text ? redact::text(*out.text) : redact::json(out.body).dump();
    res.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
    res.setContentType(out.contentType);
    for (const auto& [k, v] : out.headers) res.set(k, v);
    res.setContentLength(static_cast<std::streamsize>(body.size()));
    try {
      res.send() << body;
    } catch (const std::exception& e) {
      log::debug("http", "client went away: {}", e.what());
    }
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    // The request line keeps its query (/oauth/callback?code=...&state=...): log::write redacts
    // the code, and any access_token= or api_key= a client put in a URL.
    log::info("http", "{} {} {} {}B {:.1f}ms {}", r.method, req.getURI(), out.status, body.size(), ms,
              req.clientAddress().host().toString());
  }

 private:
  std::shared_ptr<const Router> router_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<const Router> router) : router_(std::move(router)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new RouterHandler(router_);
  }

 private:
  std::shared_ptr<const Router> router_;
};

}  // namespace

HttpServer::HttpServer(std::string bind, int port, std::shared_ptr<const Router> router, int threads)
    : bind_(std::move(bind)), requestedPort_(port), threads_(threads), router_(std::move(router)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  Poco::Net::ServerSocket socket;
  try {
    socket.bind(Poco::Net::SocketAddress(bind_, static_cast<Poco::UInt16>(requestedPort_)), true);
    socket.listen(128);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("cannot listen on " + bind_ + ":" + std::to_string(requestedPort_) + ": " +
                             e.displayText() + " (is another process using it? set server.port or pass --port)");
  }
  boundPort_ = socket.address().port();
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(threads_);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(router_), socket, params);
  server_->start();
}

void HttpServer::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
}

std::string HttpServer::baseUrl() const { return "http://" + bind_ + ":" + std::to_string(boundPort_); }

}  // namespace tributary::server
