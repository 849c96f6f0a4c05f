#include "server/HttpServer.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>

#include <chrono>
#include <sstream>

#include "common/Log.h"
#include "common/Redact.h"
#include "common/Strings.h"
#include "db/DbError.h"

namespace tributary::server {
namespace {

class RouterHandler : public Poco::Net::HTTPRequestHandler {
 public:
  RouterHandler(std::shared_ptr<const Router> router, const HttpServerOptions& options, const RequestObserver& observer)
      : router_(std::move(router)), options_(options), observer_(observer) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
    const auto started = std::chrono::steady_clock::now();
    Request r;
    r.method = req.getMethod();
    r.uri = req.getURI();
    r.clientAddress = req.clientAddress().host().toString();
    Response out;
    try {
      out = answer(req, r);
    } catch (const ApiError& e) {
      out = Response::error(e.status(), e.code(), e.what(), e.details());
      for (const auto& [k, v] : e.headers) out.headers[k] = v;
    } catch (const db::DbError& e) {
      if (e.isConnectionFailure()) {
        log::warn("http", "{} {}: the database is unreachable: {}", r.method, r.path, e.what());
        out = Response::error(503, "database_unavailable", "the database cannot be reached; try again shortly",
                              Json{{"reason", e.what()}});
        out.headers["Retry-After"] = std::to_string(options_.unavailableRetryAfterS);
      } else {
        log::error("http", "{} {} failed: {}", r.method, r.path, e.what());
        out = Response::error(500, "internal_error", e.what());
      }
    } catch (const std::exception& e) {
      log::error("http", "{} {} failed: {}", r.method, r.path, e.what());
      out = Response::error(500, "internal_error", e.what());
    }
    const bool streaming = out.stream && out.status < 300;
    res.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
    res.setContentType(out.contentType);
    for (const auto& [k, v] : out.headers) res.set(k, v);
    size_t sent = 0;
    if (streaming) {
      // The stream owns the connection from here: headers now, events as they come, no length.
      res.setKeepAlive(false);
      res.set("Cache-Control", "no-store");
      res.set("X-Accel-Buffering", "no");
      try {
        res.send().flush();
        auto socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).detachSocket();
        out.stream->start(socket);
      } catch (const std::exception& e) {
        log::debug("http", "client went away before its stream began: {}", e.what());
      }
    } else {
      // Every answer leaves here, an error's message (an exception's what(), which may quote a
      // URL or a vendor's body) as much as a route's JSON (a job's error, a run's metadata): the
      // one place where the API is redacted, whatever the route. A page is redacted as text.
      std::string body;
      if (out.text) {
        body = redact::text(*out.text);
      } else {
        Json redacted = redact::json(out.body);
        for (const auto& key : out.revealed) {
          if (out.body.is_object() && out.body.contains(key)) redacted[key] = out.body[key];
        }
        body = redacted.dump();
      }
      sent = body.size();
      res.setContentLength(static_cast<std::streamsize>(body.size()));
      try {
        if (r.method == "HEAD") {
          res.send();
        } else {
          res.send() << body;
        }
      } catch (const std::exception& e) {
        log::debug("http", "client went away: {}", e.what());
      }
    }
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (observer_) observer_(r, out.status, ms);
    // The request line keeps its query (/oauth/callback?code=...&state=...): log::write redacts
    // the code, any access_token= or api_key= a client put in a URL, and an event stream's token=.
    log::info("http", "{} {} {} {}B {:.1f}ms {}", r.method, r.uri, out.status, sent, ms, r.clientAddress);
  }

 private:
  Response answer(Poco::Net::HTTPServerRequest& req, Request& r) {
    Poco::URI uri(req.getURI());
    r.path = uri.getPath();
    if (r.path.find("..") != std::string::npos) {
      throw ApiError(400, "bad_path", "a path may not contain '..'");
    }
    try {
      for (const auto& [k, v] : uri.getQueryParameters()) r.query[k] = v;
    } catch (const Poco::Exception& e) {
      throw ApiError(400, "bad_query", "the query string cannot be read: " + e.displayText());
    }
    for (const auto& [k, v] : req) r.headers[strings::toLower(k)] = v;
    const std::string tooLarge = "request bodies are limited to " + std::to_string(options_.maxBody) + " bytes";
    // A body refused unread (by its length) or read only in part stays on the connection, where
    // it would be taken for the next request: the 413 closes the connection.
    auto tooLargeError = [&] {
      ApiError e(413, "body_too_large", tooLarge, Json{{"limit", options_.maxBody}});
      e.headers["Connection"] = "close";
      return e;
    };
    if (req.hasContentLength() && req.getContentLength64() > static_cast<int64_t>(options_.maxBody)) {
      throw tooLargeError();
    }
    // A body is read only when the client said it sends one (a length or chunks): a POST with
    // neither (curl -X POST URL) has an empty body, not one that ends when the connection does.
    if ((req.hasContentLength() && req.getContentLength64() > 0) || req.getChunkedTransferEncoding()) {
      std::istream& in = req.stream();
      char buf[8192];
      try {
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
          r.body.append(buf, static_cast<size_t>(in.gcount()));
          if (r.body.size() > options_.maxBody) throw tooLargeError();
        }
      } catch (const Poco::TimeoutException&) {
        ApiError e(408, "request_timeout", "the body did not arrive within the request timeout");
        e.headers["Connection"] = "close";
        throw e;
      }
      if (req.hasContentLength() && static_cast<int64_t>(r.body.size()) < req.getContentLength64()) {
        // Poco's stream turns a receive timeout into an early end: either way the client stopped.
        ApiError e(408, "request_timeout",
                   "the body ended before its Content-Length: the client stopped sending (request timeout) or "
                   "closed");
        e.headers["Connection"] = "close";
        throw e;
      }
    }
    return router_->dispatch(r);
  }

  std::shared_ptr<const Router> router_;
  const HttpServerOptions& options_;
  const RequestObserver& observer_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(std::shared_ptr<const Router> router, const HttpServerOptions& options, const RequestObserver& observer)
      : router_(std::move(router)), options_(options), observer_(observer) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new RouterHandler(router_, options_, observer_);
  }

 private:
  std::shared_ptr<const Router> router_;
  const HttpServerOptions& options_;
  const RequestObserver& observer_;
};

Poco::Timespan timespanOf(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

}  // namespace

HttpServer::HttpServer(std::string bind, int port, std::shared_ptr<const Router> router, HttpServerOptions options)
    : bind_(std::move(bind)), requestedPort_(port), options_(options), router_(std::move(router)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  Poco::Net::ServerSocket socket;
  try {
    socket.bind(Poco::Net::SocketAddress(bind_, static_cast<Poco::UInt16>(requestedPort_)), true);
    socket.listen(256);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("cannot listen on " + bind_ + ":" + std::to_string(requestedPort_) + ": " +
                             e.displayText() + " (is another process using it? set server.port or pass --port)");
  }
  boundPort_ = socket.address().port();
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options_.threads);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  params->setTimeout(timespanOf(options_.requestTimeout));
  params->setKeepAliveTimeout(timespanOf(options_.keepAliveTimeout));
  // The server's own pool, sized to its threads (Poco's default pool is shared and holds 16).
  threads_ = std::make_unique<Poco::ThreadPool>(std::min(2, options_.threads), options_.threads);
  server_ =
      std::make_unique<Poco::Net::HTTPServer>(new Factory(router_, options_, observer_), *threads_, socket, params);
  server_->start();
}

void HttpServer::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
  if (threads_) {
    threads_->joinAll();
    threads_.reset();
  }
}

std::string HttpServer::baseUrl() const { return "http://" + bind_ + ":" + std::to_string(boundPort_); }

}  // namespace tributary::server
