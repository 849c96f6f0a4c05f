#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <regex>
#include <string>

#include <Poco/Exception.h>
#include <Poco/Net/ConsoleCertificateHandler.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "TestCertificates.h"
#include "TestSupport.h"
#include "TlsTestServer.h"
#include "http/HttpClient.h"
#include "http/HttpError.h"
#include "http/TlsContext.h"

using tributary::http::HttpClient;
using tributary::http::HttpError;
using tributary::http::HttpRequest;
using tributary::test::CertificateFiles;
using tributary::test::TempDir;
using tributary::test::TestCertificates;
using tributary::test::TlsTestServer;

namespace {

class tls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    certs_ = new TestCertificates(tributary::test::writeTestCertificates(dir_->path()));
  }
  static void TearDownTestSuite() {
    delete certs_;
    delete dir_;
  }

  static const TestCertificates& certs() { return *certs_; }

  static HttpClient::Options trustingTestCa() {
    HttpClient::Options options;
    options.caFile = certs().ca.cert;
    return options;
  }

  static std::string get(const HttpClient::Options& options, const std::string& url) {
    HttpRequest request;
    request.url = url;
    request.timeout = std::chrono::milliseconds(5000);
    return HttpClient(options).send(request).body;
  }

  // The HttpError a GET of url fails with; fails the test if it succeeds.
  static HttpError failureOf(const HttpClient::Options& options, const std::string& url) {
    try {
      get(options, url);
    } catch (const HttpError& e) {
      return e;
    }
    ADD_FAILURE() << "GET " << url << " succeeded";
    return HttpError(HttpError::Kind::Transient, "");
  }

  static std::string url(const std::string& host, const TlsTestServer& server) {
    return "https://" + host + ":" + std::to_string(server.port()) + "/";
  }

 private:
  static inline TempDir* dir_ = nullptr;
  static inline TestCertificates* certs_ = nullptr;
};

// A running server with one of the test certificates.
std::unique_ptr<TlsTestServer> serve(const CertificateFiles& files) {
  auto server = std::make_unique<TlsTestServer>(files.cert, files.key);
  server->start();
  return server;
}

}  // namespace

TEST_F(tls, TrustsServerFromCaFileByNameAndByIpAddress) {
  auto server = serve(certs().localhost);
  HttpRequest request;
  request.url = url("localhost", *server);
  auto response = HttpClient(trustingTestCa()).send(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
  EXPECT_EQ(get(trustingTestCa(), url("127.0.0.1", *server)), "ok");
}

TEST_F(tls, UnknownCaIsNotTrustedAndTheMessageSuggestsCaFile) {
  auto server = serve(certs().localhost);
  const std::string hostPort = "localhost:" + std::to_string(server->port());
  HttpError e = failureOf({}, url("localhost", *server));
  EXPECT_EQ(e.kind(), HttpError::Kind::Certificate);
  EXPECT_EQ(std::string(e.what()),
            "GET " + url("localhost", *server) + ": TLS: the certificate of " + hostPort +
                " is not trusted: unable to get local issuer certificate (self-signed or from an unknown CA: "
                "issued by 'CN=Tributary Test CA,O=Tributary tests'; for a private CA, set http.ca_file to a PEM "
                "file with its certificate)");
}

TEST_F(tls, CertificateForAnotherHostNameIsRefusedNamingBoth) {
  auto server = serve(certs().wrongHost);
  const std::string hostPort = "localhost:" + std::to_string(server->port());
  HttpError e = failureOf(trustingTestCa(), url("localhost", *server));
  EXPECT_EQ(e.kind(), HttpError::Kind::Certificate);
  EXPECT_EQ(std::string(e.what()), "GET " + url("localhost", *server) + ": TLS: the certificate of " + hostPort +
                                       " does not match the host name 'localhost' (it is for wrong.example)");
  // Also by IP address: Poco's host-name check is not skipped for loopback addresses.
  e = failureOf(trustingTestCa(), url("127.0.0.1", *server));
  EXPECT_EQ(std::string(e.what()), "GET " + url("127.0.0.1", *server) +
                                       ": TLS: the certificate of 127.0.0.1:" + std::to_string(server->port()) +
                                       " does not match the host name '127.0.0.1' (it is for wrong.example)");
}

TEST_F(tls, ExpiredCertificateIsRefusedSayingWhenItExpired) {
  auto server = serve(certs().expired);
  HttpError e = failureOf(trustingTestCa(), url("localhost", *server));
  EXPECT_EQ(e.kind(), HttpError::Kind::Certificate);
  const std::string expected = "GET " + url("localhost", *server) +
                               ": TLS: the certificate of localhost:" + std::to_string(server->port()) +
                               " is not trusted: certificate has expired \\(it was valid until "
                               "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)";
  EXPECT_TRUE(std::regex_match(std::string(e.what()), std::regex(expected))) << e.what();
}

TEST_F(tls, CertificateFailuresNeverReadStdinEvenWithPocosConsoleHandlerInstalled) {
  // Poco's console handler prompts on stdin when SSLManager's verification is used.
  Poco::Net::SSLManager::instance().initializeClient(nullptr, new Poco::Net::ConsoleCertificateHandler(false),
                                                     new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, ""));
  // stdin: a pipe holding an answer and never reaching end of file; a prompt would consume
  // the answer (or, without one, wait forever).
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string answer = "yes\n";
  ASSERT_EQ(write(fds[1], answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
  const int savedStdin = dup(STDIN_FILENO);
  ASSERT_EQ(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);

  auto unknownCa = serve(certs().localhost);
  auto wrongHost = serve(certs().wrongHost);
  auto expired = serve(certs().expired);
  auto attempts = std::async(std::launch::async, [&] {
    int failures = 0;
    for (const auto& [options, server] :
         {std::pair{HttpClient::Options{}, unknownCa.get()}, std::pair{trustingTestCa(), wrongHost.get()},
          std::pair{trustingTestCa(), expired.get()}}) {
      try {
        get(options, url("localhost", *server));
      } catch (const HttpError& e) {
        if (e.kind() == HttpError::Kind::Certificate) ++failures;
      }
    }
    return failures;
  });
  const bool returned = attempts.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!returned) close(fds[1]);  // end of file for a prompt still waiting, so the test can end
  EXPECT_TRUE(returned) << "a certificate failure waited for stdin";
  EXPECT_EQ(attempts.get(), 3);

  ASSERT_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  char buf[16];
  const ssize_t unread = read(fds[0], buf, sizeof buf);
  EXPECT_EQ(std::string(buf, unread > 0 ? static_cast<std::size_t>(unread) : 0), answer) << "stdin was read";
  dup2(savedStdin, STDIN_FILENO);
  close(savedStdin);
  close(fds[0]);
  if (returned) close(fds[1]);
}

TEST_F(tls, MissingOrEmptyCaFileIsAnInvalidRequestNamingTheFile) {
  auto server = serve(certs().localhost);
  HttpClient::Options options;
  options.caFile = certs().ca.cert.parent_path() / "absent.pem";
  HttpError e = failureOf(options, url("localhost", *server));
  EXPECT_EQ(e.kind(), HttpError::Kind::InvalidRequest);
  EXPECT_EQ(std::string(e.what()),
            "TLS: the CA file '" + options.caFile->string() + "' (http.ca_file) does not exist or is not a file");

  options.caFile = certs().ca.key;  // PEM, but no certificate in it
  e = failureOf(options, url("localhost", *server));
  EXPECT_EQ(e.kind(), HttpError::Kind::InvalidRequest);
  EXPECT_EQ(std::string(e.what()), "TLS: the CA file '" + options.caFile->string() +
                                       "' (http.ca_file) holds no PEM certificate (expected -----BEGIN "
                                       "CERTIFICATE----- blocks)");
  // A failed load is not cached: the good file still works afterwards.
  EXPECT_EQ(get(trustingTestCa(), url("localhost", *server)), "ok");
}

TEST_F(tls, PlainHttpPortIsTransientAndSaysSo) {
  Poco::Net::ServerSocket plain(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string target = "https://127.0.0.1:" + std::to_string(plain.address().port()) + "/";
  auto answer = std::async(std::launch::async, [&] {
    Poco::Net::StreamSocket peer = plain.acceptConnection();
    char buf[1024];
    peer.receiveBytes(buf, sizeof buf);
    const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    try {
      peer.sendBytes(reply.data(), static_cast<int>(reply.size()));
      peer.shutdown();
    } catch (const Poco::Exception&) {
      // the client gave up at the first bytes and reset the connection: expected
    }
  });
  HttpError e = failureOf(trustingTestCa(), target);
  answer.get();
  EXPECT_EQ(e.kind(), HttpError::Kind::Transient);
  const std::string message = e.what();
  EXPECT_EQ(message.rfind("GET " + target + ": TLS: the connection to 127.0.0.1:" +
                              std::to_string(plain.address().port()) + " failed: ",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("(is it a plain http port?)"), std::string::npos) << message;
}

// A connect address (what a webhook delivery uses: the address its destination check passed)
// is where the connection goes, while the certificate is checked for the URL's host:
// wrong.example resolves nowhere, and its certificate is good for it and for nothing else.
TEST_F(tls, AConnectAddressIsWhereItConnectsAndTheCertificateIsCheckedForTheUrlsHost) {
  auto server = serve(certs().wrongHost);
  HttpRequest request;
  request.method = "POST";
  request.url = url("wrong.example", *server) + "hook";
  request.connectAddress = "127.0.0.1";
  request.body = "{}";
  request.timeout = std::chrono::milliseconds(5000);
  auto response = HttpClient(trustingTestCa()).send(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");

  // The same address under a name the certificate is not for: refused, naming that name.
  request.url = url("localhost", *server) + "hook";
  try {
    HttpClient(trustingTestCa()).send(request);
    ADD_FAILURE() << "a certificate for wrong.example was accepted for localhost";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::Certificate);
    EXPECT_NE(std::string(e.what()).find("does not match the host name 'localhost' (it is for wrong.example)"),
              std::string::npos)
        << e.what();
  }
}

// For the connection pool: a new session to the same server resumes the last connection's TLS
// session, and the one after resumes the newest.
TEST_F(tls, NewSessionResumesTheLastConnectionsTlsSession) {
  auto server = serve(certs().localhost);
  auto context = tributary::http::clientTlsContext(certs().ca.cert);
  auto roundTrip = [&](Poco::Net::HTTPSClientSession& session) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/", Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    return body;
  };
  auto reused = [](Poco::Net::HTTPSClientSession& session) {
    return Poco::Net::SecureStreamSocket(session.socket()).sessionWasReused();
  };
  Poco::Net::HTTPSClientSession never("localhost", server->port(), context);
  EXPECT_TRUE(tributary::http::resumableTlsSession(never).isNull());

  Poco::Net::HTTPSClientSession first("localhost", server->port(), context);
  ASSERT_EQ(roundTrip(first), "ok");
  EXPECT_FALSE(reused(first));
  Poco::Net::Session::Ptr last = tributary::http::resumableTlsSession(first);
  ASSERT_FALSE(last.isNull());

  Poco::Net::HTTPSClientSession second("localhost", server->port(), context, last);
  ASSERT_EQ(roundTrip(second), "ok");
  EXPECT_TRUE(reused(second));

  Poco::Net::HTTPSClientSession third("localhost", server->port(), context,
                                      tributary::http::resumableTlsSession(second));
  ASSERT_EQ(roundTrip(third), "ok");
  EXPECT_TRUE(reused(third));
}
