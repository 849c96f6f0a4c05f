#include "http/HttpClient.h"

#include <chrono>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "http/HttpError.h"

using tributary::http::HttpClient;
using tributary::http::HttpError;
using tributary::http::HttpRequest;

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    if (req.getURI() == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(600));
    res.setStatus(req.getURI() == "/missing" ? Poco::Net::HTTPResponse::HTTP_NOT_FOUND
                                             : Poco::Net::HTTPResponse::HTTP_OK);
    res.set("X-Echo-Header", req.get("X-Test", "none"));
    res.setContentType("text/plain");
    res.send() << req.getMethod() << " " << req.getURI() << " " << body;
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler;
  }
};

// A loopback server on a free port for one test.
class LocalServer {
 public:
  LocalServer()
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        server_(new Factory, socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  // Waits for handlers still running (the slow one outlives its client's timeout), so none
  // writes into a process that is already tearing down.
  ~LocalServer() {
    server_.stop();
    while (server_.currentConnections() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + path;
  }

 private:
  Poco::Net::ServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

}  // namespace

TEST(client, SendsMethodHeadersAndBodyAndReturnsAnyStatus) {
  LocalServer server;
  HttpClient client;
  HttpRequest request;
  request.method = "POST";
  request.url = server.url("/things?x=1");
  request.headers = {{"X-Test", "yes"}};
  request.body = "payload";
  auto response = client.send(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "POST /things?x=1 payload");
  bool echoed = false;
  for (const auto& [name, value] : response.headers) echoed = echoed || (name == "X-Echo-Header" && value == "yes");
  EXPECT_TRUE(echoed);

  request = HttpRequest{};
  request.url = server.url("/missing");
  response = client.send(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, "GET /missing ");
}

TEST(client, TimeoutIsTransientAndSaysSo) {
  LocalServer server;
  HttpRequest request;
  request.url = server.url("/slow");
  request.timeout = std::chrono::milliseconds(200);
  try {
    HttpClient().send(request);
    FAIL() << "no timeout";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::Transient);
    EXPECT_EQ(std::string(e.what()), "GET " + request.url + ": timed out after 200 ms");
  }
}

TEST(client, RefusedConnectionIsTransient) {
  std::string url;
  {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    url = "http://127.0.0.1:" + std::to_string(probe.address().port()) + "/";
  }  // closed: nothing listens there now
  HttpRequest request;
  request.url = url;
  try {
    HttpClient().send(request);
    FAIL() << "connected to a closed port";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::Transient);
    EXPECT_EQ(std::string(e.what()).rfind("GET " + url + ": ", 0), 0u) << e.what();
  }
}

TEST(client, UrlsThatCanNeverWorkAreInvalidRequests) {
  auto kindOf = [](const std::string& url, std::string& message) {
    HttpRequest request;
    request.url = url;
    try {
      HttpClient().send(request);
    } catch (const HttpError& e) {
      message = e.what();
      return e.kind();
    }
    return HttpError::Kind::Transient;
  };
  std::string message;
  EXPECT_EQ(kindOf("ftp://example.com/file", message), HttpError::Kind::InvalidRequest);
  EXPECT_EQ(message, "URL 'ftp://example.com/file' must start with http:// or https://");
  EXPECT_EQ(kindOf("http:///path-only", message), HttpError::Kind::InvalidRequest);
  EXPECT_EQ(message, "URL 'http:///path-only' has no host");
  EXPECT_EQ(kindOf("relative/path", message), HttpError::Kind::InvalidRequest);
  EXPECT_EQ(message, "URL 'relative/path' must start with http:// or https://");
}
