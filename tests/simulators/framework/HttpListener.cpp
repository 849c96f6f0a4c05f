#include "HttpListener.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <istream>
#include <iterator>
#include <thread>

namespace tributary::sim {
// Named, not anonymous: HttpListener::Server holds a SimHandlerFactory, and a class
// declared in a header may not use a type of this file's anonymous namespace.
namespace listener_detail {

std::string reasonFor(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 207: return "Multi-Status";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:
      return Poco::Net::HTTPResponse::getReasonForStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  }
}

// Connection ids are unique across every listener of the process.
std::atomic<uint64_t> connectionsAccepted{0};
// The id of the connection this server thread serves: Poco runs each connection on one thread,
// request after request, for its whole keep-alive life.
thread_local uint64_t currentConnection = 0;

void dropConnection(Poco::Net::HTTPServerRequest& request, bool reset) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
  if (impl == nullptr) return;
  Poco::Net::StreamSocket& socket = impl->socket();
  try {
    if (reset) {
      // Linger 0 makes close() send RST: the client sees "connection reset by peer".
      socket.setLinger(true, 0);
      socket.close();
    } else {
      socket.shutdown();
    }
  } catch (const Poco::Exception&) {
  }
}

class SimRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  SimRequestHandler(const HttpListener::Handler& handler, const std::string& baseUrl)
      : handler_(handler), baseUrl_(baseUrl) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    SimRequest sim;
    sim.method = request.getMethod();
    const std::string& target = request.getURI();
    const size_t question = target.find('?');
    sim.path = SimRequest::percentDecode(std::string_view(target).substr(0, question), false);
    if (question != std::string::npos) {
      sim.rawQuery = target.substr(question + 1);
      sim.query = SimRequest::parseQuery(sim.rawQuery);
    }
    for (const auto& [name, value] : request) {
      std::string lower;
      lower.reserve(name.size());
      for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      sim.headers[lower] = value;
    }
    std::istream& in = request.stream();
    sim.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    sim.baseUrl = baseUrl_;
    sim.connection = currentConnection;

    const SimResponse out = handler_(sim);
    if (out.latencyMs > 0) std::this_thread::sleep_for(std::chrono::milliseconds(out.latencyMs));
    if (out.delivery == SimResponse::Delivery::ResetConnection) {
      response.setKeepAlive(false);
      dropConnection(request, true);
      return;
    }
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status), reasonFor(out.status));
    if (!out.contentType.empty() && !(out.body.empty() && out.status == 204)) {
      response.setContentType(out.contentType);
    }
    for (const auto& [name, value] : out.headers) response.set(name, value);
    if (out.delivery == SimResponse::Delivery::TruncatedBody) {
      response.setKeepAlive(false);
      response.setContentLength(static_cast<std::streamsize>(out.body.size()));
      std::ostream& stream = response.send();
      stream.write(out.body.data(), static_cast<std::streamsize>(out.body.size() / 2));
      stream.flush();
      dropConnection(request, false);
      return;
    }
    response.sendBuffer(out.body.data(), out.body.size());
  }

 private:
  const HttpListener::Handler& handler_;
  const std::string& baseUrl_;
};

class SimHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  SimHandlerFactory(const HttpListener::Handler& handler, const std::string& baseUrl)
      : handler_(handler), baseUrl_(baseUrl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new SimRequestHandler(handler_, baseUrl_);
  }
  // What Poco's HTTPServer::stopAll does after stopping the acceptor: every open connection stops,
  // and with abort its socket is shut down so a keep-alive wait ends now.
  void stopConnections(bool abort) { serverStopped(this, abort); }

 private:
  const HttpListener::Handler& handler_;
  const std::string& baseUrl_;
};

// Poco's HTTP connection, numbered when accepted.
class CountedConnection : public Poco::Net::HTTPServerConnection {
 public:
  CountedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
      : HTTPServerConnection(socket, params, handlers), id_(++connectionsAccepted) {}

  void run() override {
    currentConnection = id_;
    HTTPServerConnection::run();
    currentConnection = 0;
  }

 private:
  const uint64_t id_;
};

// Poco's HTTPServer, less its fixed connection factory: a TCPServer making CountedConnections.
class CountedConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  CountedConnectionFactory(Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
      : params_(std::move(params)), handlers_(std::move(handlers)) {}

  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new CountedConnection(socket, params_, handlers_);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
};

}  // namespace listener_detail

struct HttpListener::Server {
  listener_detail::SimHandlerFactory* handlers = nullptr;  // owned by handlersOwner
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlersOwner;
  std::unique_ptr<Poco::Net::TCPServer> tcp;
};

HttpListener::HttpListener(const std::string& bindAddress, uint16_t port, int threads, Handler handler)
    : bindAddress_(bindAddress), port_(port), handler_(std::move(handler)) {
  pool_ = std::make_unique<Poco::ThreadPool>(1, threads);
  (void)threads;
}

HttpListener::~HttpListener() { stop(); }

std::string HttpListener::baseUrl() const { return "http://" + bindAddress_ + ":" + std::to_string(port_); }

void HttpListener::start() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(bindAddress_, port_), 256);
  port_ = socket.address().port();
  baseUrlCache_ = baseUrl();
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  // 0 is no cap: a keep-alive client may send any number of requests on one connection (Poco's
  // default of 100 would close it under a connection-reuse test).
  params->setMaxKeepAliveRequests(0);
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  params->setMaxThreads(pool_->capacity());
  params->setMaxQueued(1024);
  server_ = std::make_unique<Server>();
  server_->handlers = new listener_detail::SimHandlerFactory(handler_, baseUrlCache_);
  server_->handlersOwner = server_->handlers;
  server_->tcp = std::make_unique<Poco::Net::TCPServer>(
      new listener_detail::CountedConnectionFactory(params, server_->handlersOwner), *pool_, socket, params);
  server_->tcp->start();
}

void HttpListener::stop() {
  if (server_) {
    server_->tcp->stop();
    server_->handlers->stopConnections(true);
    server_.reset();
  }
  if (pool_) pool_->joinAll();
}

}  // namespace tributary::sim
