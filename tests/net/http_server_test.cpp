// The HTTP server: requests reach the handler, keep-alive, and everything the server refuses
// itself (malformed, too large, too slow, too many connections) gets the right status while
// the server keeps serving.
#include "enclavectl/net/http_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "socket_client.hpp"

namespace enclavectl::net {
namespace {

using namespace std::chrono_literals;

using Client = testing::SocketClient;

HttpResponse Echo(const HttpRequest& request) {
  if (request.path == "/throw") {
    throw std::runtime_error("boom");
  }
  HttpResponse response;
  response.body = request.method + " " + request.path +
                  " q=" + std::string(request.QueryParam("q").value_or("-")) +
                  " h=" + std::string(request.Header("x-test")) + " body=" + request.body;
  response.headers.emplace_back("X-Echo", "1");
  return response;
}

HttpResponse JsonError(unsigned status, std::string_view reason) {
  HttpResponse response;
  response.status = status;
  response.body = R"({"error":{"code":)" + std::to_string(status) + R"(,"message":")" +
                  std::string(reason) + "\"}}";
  response.close = true;
  return response;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.threads = 2;
    auto server = HttpServer::Start(options, Echo, JsonError);
    ASSERT_TRUE(server) << server.error().detail;
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_) {
      server_->Stop();
    }
  }
  std::string Roundtrip(std::string_view request) {
    Client client(server_->Port());
    client.Send(request);
    return client.ReadAll();
  }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, RequestsReachTheHandler) {
  StartServer();
  const std::string response = Roundtrip(
      "POST /v1/sign?q=7&r=2 HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\nContent-Length: 5\r\n"
      "Connection: close\r\n\r\nhello");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK", 0), 0U) << response;
  EXPECT_NE(response.find("POST /v1/sign q=7 h=yes body=hello"), std::string::npos) << response;
  EXPECT_NE(response.find("X-Echo: 1"), std::string::npos);
  EXPECT_NE(response.find("Content-Type: application/json"), std::string::npos);
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  Client client(server_->Port());
  for (int i = 0; i < 50; ++i) {
    client.Send("GET /n?q=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string response = client.ReadResponse();
    EXPECT_NE(response.find("GET /n q=" + std::to_string(i) + " "), std::string::npos) << response;
  }
}

TEST_F(HttpServerTest, RefusedRequestsGetTheErrorResponder) {
  HttpServerOptions options;
  options.max_body_bytes = 16;
  options.max_header_bytes = 256;
  StartServer(options);
  const std::string large_body =
      Roundtrip("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n01234567890123456");
  EXPECT_EQ(large_body.rfind("HTTP/1.1 413", 0), 0U) << large_body;
  EXPECT_NE(large_body.find(R"({"error":{"code":413)"), std::string::npos);
  const std::string large_header =
      Roundtrip("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n");
  EXPECT_EQ(large_header.rfind("HTTP/1.1 431", 0), 0U) << large_header;
  for (const char* bad : {"NOT HTTP AT ALL\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                          "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n"}) {
    const std::string response = Roundtrip(bad);
    EXPECT_EQ(response.rfind("HTTP/1.1 400", 0), 0U) << bad << " -> " << response;
  }
  const std::string thrown = Roundtrip("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(thrown.rfind("HTTP/1.1 500", 0), 0U) << thrown;
  // Still serving.
  EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").rfind("HTTP/1.1 200", 0), 0U);
}

TEST_F(HttpServerTest, SlowClientsAreCutOff) {
  HttpServerOptions options;
  options.request_timeout = 300ms;
  options.idle_timeout = 200ms;
  StartServer(options);
  Client slowloris(server_->Port());
  slowloris.Send("GET / HTTP/1.1\r\nHost: x\r\n");  // headers never finish
  const auto start = std::chrono::steady_clock::now();
  const std::string response = slowloris.ReadAll();
  EXPECT_EQ(response.rfind("HTTP/1.1 408", 0), 0U) << response;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // A silent connection is closed without an answer.
  Client silent(server_->Port());
  EXPECT_EQ(silent.ReadAll(), "");
  EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").rfind("HTTP/1.1 200", 0), 0U);
}

TEST_F(HttpServerTest, ConnectionCap) {
  HttpServerOptions options;
  options.max_connections = 2;
  options.request_timeout = 2000ms;
  StartServer(options);
  Client a(server_->Port());
  Client b(server_->Port());
  std::this_thread::sleep_for(100ms);
  const std::string refused = Roundtrip("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0U) << refused;
}

TEST(HttpServer, ListenFailures) {
  HttpServerOptions options;
  options.host = "not-an-ip";
  auto bad_host = HttpServer::Start(options, Echo);
  ASSERT_FALSE(bad_host);
  EXPECT_EQ(bad_host.error().code, core::ErrorCode::kListenFailed);
  auto first = HttpServer::Start(HttpServerOptions{}, Echo);
  ASSERT_TRUE(first);
  HttpServerOptions same;
  same.port = (*first)->Port();
  // SO_REUSEADDR does not allow two listeners on one port.
  auto second = HttpServer::Start(same, Echo);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, core::ErrorCode::kListenFailed);
  (*first)->Stop();
  (*first)->Stop();  // idempotent
  (*first)->Wait();  // returns at once once stopped
}

}  // namespace
}  // namespace enclavectl::net
