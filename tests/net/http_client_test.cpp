// The libcurl client against the in-repo HTTP server on loopback: single and concurrent
// fetches, size caps, timeouts, refused connections, bad headers.
#include "enclavectl/net/http_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "enclavectl/net/http_server.hpp"

namespace enclavectl::net {
namespace {

using namespace std::chrono_literals;

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.threads = 2;
    auto server = HttpServer::Start(options, [this](const HttpRequest& request) {
      ++requests_;
      HttpResponse response;
      if (request.path == "/slow") {
        std::this_thread::sleep_for(500ms);
      }
      if (request.path == "/big") {
        response.body = std::string(100000, 'x');
      } else {
        response.body = request.method + " " + request.target + " " + request.body;
      }
      response.headers.emplace_back("X-Attestation-Pubkey", "02ab");
      response.status = request.path == "/missing" ? 404 : 200;
      return response;
    });
    ASSERT_TRUE(server);
    server_ = std::move(*server);
    base_ = "http://127.0.0.1:" + std::to_string(server_->Port());
  }
  void TearDown() override { server_->Stop(); }

  HttpClientRequest Get(const std::string& path) const {
    HttpClientRequest request;
    request.url = base_ + path;
    return request;
  }

  std::unique_ptr<HttpServer> server_;
  std::string base_;
  std::atomic<int> requests_{0};
};

TEST_F(HttpClientTest, FetchReturnsStatusHeadersAndBody) {
  auto response = Fetch(Get("/v1/info?x=1"), {});
  ASSERT_TRUE(response) << response.error().detail;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(core::AsChars(response->body.View()), "GET /v1/info?x=1 ");
  EXPECT_EQ(response->Header("x-attestation-pubkey"), "02ab");
  EXPECT_FALSE(response->Header("x-none"));
  HttpClientRequest post = Get("/v1/sign");
  post.method = "POST";
  post.headers.push_back({"Content-Type", "application/json"});
  post.body = core::SecretBytes(core::AsBytes("{\"a\":1}"));
  auto posted = Fetch(post, {});
  ASSERT_TRUE(posted);
  EXPECT_EQ(core::AsChars(posted->body.View()), "POST /v1/sign {\"a\":1}");
  auto missing = Fetch(Get("/missing"), {});
  ASSERT_TRUE(missing);  // any status is a successful exchange
  EXPECT_EQ(missing->status, 404);
}

TEST_F(HttpClientTest, FetchAllRunsConcurrentlyAndKeepsOrder) {
  std::vector<HttpClientRequest> requests;
  for (int i = 0; i < 8; ++i) {
    requests.push_back(
        Get(i % 2 == 0 ? "/slow?i=" + std::to_string(i) : "/fast?i=" + std::to_string(i)));
  }
  HttpClientOptions options;
  options.max_concurrency = 8;
  const auto start = std::chrono::steady_clock::now();
  const auto results = FetchAll(requests, options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(results.size(), requests.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i]) << i << ": " << results[i].error().detail;
    EXPECT_NE(
        std::string(core::AsChars(results[i]->body.View())).find("i=" + std::to_string(i) + " "),
        std::string::npos);
  }
  // Four slow requests of 0.5 s on a 2-thread server: about 1 s concurrently, 2 s in series.
  EXPECT_LT(elapsed, 1900ms);
  EXPECT_EQ(requests_.load(), 8);
}

TEST_F(HttpClientTest, CapsTimeoutsAndFailures) {
  HttpClientOptions small;
  small.max_response_bytes = 1000;
  auto big = Fetch(Get("/big"), small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, core::ErrorCode::kInputTooLarge);
  HttpClientOptions hurried;
  hurried.timeout_ms = 100;
  auto slow = Fetch(Get("/slow"), hurried);
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, core::ErrorCode::kNetwork);
  HttpClientRequest bad = Get("/");
  bad.headers.push_back({"X-Injected", "a\r\nHost: evil"});
  EXPECT_EQ(Fetch(bad, {}).error().code, core::ErrorCode::kInvalidArgument);
  HttpClientRequest ftp;
  ftp.url = "ftp://127.0.0.1/";
  EXPECT_EQ(Fetch(ftp, {}).error().code, core::ErrorCode::kNetwork);
  const std::uint16_t port = server_->Port();
  server_->Stop();
  std::vector<HttpClientRequest> refused(2);
  for (HttpClientRequest& request : refused) {
    request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  }
  const auto results = FetchAll(refused, {});
  for (const auto& result : results) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, core::ErrorCode::kNetwork);
  }
}

}  // namespace
}  // namespace enclavectl::net
