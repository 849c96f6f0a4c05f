#include "TlsTestServer.h"

#include <chrono>
#include <limits>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SocketAddress.h>

namespace tributary::test {
namespace {

class OkHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    response.setContentType("text/plain");
    response.sendBuffer("ok", 2);
  }
};

class OkFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new OkHandler;
  }
};

Poco::Net::Context::Ptr serverContext(const std::filesystem::path& certFile, const std::filesystem::path& keyFile) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, keyFile.string(),
                                                           certFile.string(), "", Poco::Net::Context::VERIFY_NONE);
  context->enableSessionCache(true, "tributary-tests");
  return context;
}

}  // namespace

TlsTestServer::TlsTestServer(const std::filesystem::path& certFile, const std::filesystem::path& keyFile)
    : context_(serverContext(certFile, keyFile)),
      socket_(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context_),
      server_(std::make_unique<Poco::Net::HTTPServer>(new OkFactory, socket_, new Poco::Net::HTTPServerParams)) {}

TlsTestServer::~TlsTestServer() { stop(); }

void TlsTestServer::start() {
  if (running_) return;
  server_->start();
  running_ = true;
}

void TlsTestServer::stop() {
  if (!running_) return;
  server_->stop();
  while (server_->currentConnections() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  running_ = false;
}

std::uint16_t TlsTestServer::port() const { return socket_.address().port(); }

}  // namespace tributary::test
