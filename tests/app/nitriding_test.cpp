// Behind nitriding (issue 14 item 2): the exact bytes enclave-app sends to nitriding's internal
// API, against a fake nitriding (a loopback socket that records the raw request and answers
// what the test says), and the answers nitriding gives (enclave-http.md 1.2, migration.md 8.1).
#include "enclavectl/app/nitriding.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;

// One connection: reads a whole request (headers, then Content-Length bytes), keeps its raw
// bytes and answers `status` with `body`.
class FakeNitriding {
 public:
  FakeNitriding(int status, std::string body) : status_(status), body_(std::move(body)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);  // NOLINT
    EXPECT_EQ(listen(fd_, 1), 0);
    socklen_t len = sizeof addr;
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);  // NOLINT
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeNitriding() {
    thread_.join();
    close(fd_);
  }
  FakeNitriding(const FakeNitriding&) = delete;
  FakeNitriding& operator=(const FakeNitriding&) = delete;

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Valid once the client call returned (the answer is sent after the request was read).
  const std::string& Raw() const { return raw_; }

 private:
  void Serve() {
    const int conn = accept(fd_, nullptr, nullptr);
    if (conn < 0) {
      return;
    }
    char buffer[4096];
    std::size_t want = std::string::npos;
    while (want == std::string::npos || raw_.size() < want) {
      const ssize_t n = read(conn, buffer, sizeof buffer);
      if (n <= 0) {
        break;
      }
      raw_.append(buffer, static_cast<std::size_t>(n));
      const std::size_t end = raw_.find("\r\n\r\n");
      if (end != std::string::npos && want == std::string::npos) {
        std::size_t length = 0;
        const std::string lower = Lower(raw_.substr(0, end));
        if (const std::size_t at = lower.find("\r\ncontent-length: "); at != std::string::npos) {
          length = std::stoul(lower.substr(at + 18));
        }
        want = end + 4 + length;
      }
    }
    const std::string answer = "HTTP/1.1 " + std::to_string(status_) +
                               " X\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                               std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" +
                               body_;
    EXPECT_EQ(write(conn, answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
    close(conn);
  }
  static std::string Lower(std::string text) {
    for (char& c : text) {
      c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return text;
  }

  int status_;
  std::string body_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string raw_;
  std::thread thread_;
};

// The request line, the header block and the body of a raw request.
struct Parsed {
  std::string request_line;
  std::string headers;
  std::string body;
};
Parsed Split(const std::string& raw) {
  const std::size_t line_end = raw.find("\r\n");
  const std::size_t end = raw.find("\r\n\r\n");
  return {raw.substr(0, line_end), raw.substr(line_end + 2, end - line_end - 2),
          raw.substr(end + 4)};
}

TEST(Nitriding, HashBodyIsTheSpecVector) {
  // migration.md 9: P = G (secret 1); SHA256(P) base64 D3Fbr11M...
  auto point =
      core::HexDecode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  ASSERT_TRUE(point);
  const core::Sha256Digest hash = core::Sha256(*point);
  EXPECT_EQ(core::HexEncode(hash),
            "0f715baf5d4c2ed329785cef29e562f73488c8a2bb9dbc5700b361d54b9b0554");
  EXPECT_EQ(NitridingHashBody(hash), "D3Fbr11MLtMpeFzvKeVi9zSIyKK7nbxXALNh1UubBVQ=");
  EXPECT_EQ(NitridingHashBody(core::Sha256Digest{}),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");  // nitriding handlers_test.go
}

TEST(Nitriding, RegistrationSendsExactlyTheHashAsTextPlain) {
  auto point =
      core::HexDecode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  ASSERT_TRUE(point);
  FakeNitriding nitriding(200, "");
  ASSERT_TRUE(RegisterAppKeyHash(nitriding.Url(), core::Sha256(*point)));
  const Parsed request = Split(nitriding.Raw());
  EXPECT_EQ(request.request_line, "POST /enclave/hash HTTP/1.1");
  EXPECT_NE(("\r\n" + request.headers + "\r\n").find("\r\nContent-Type: text/plain\r\n"),
            std::string::npos)
      << request.headers;
  EXPECT_NE(("\r\n" + request.headers + "\r\n").find("\r\nContent-Length: 44\r\n"),
            std::string::npos)
      << request.headers;
  // 44 characters, no newline: what nitriding's 45-byte read limit and base64 decoder accept.
  EXPECT_EQ(request.body, "D3Fbr11MLtMpeFzvKeVi9zSIyKK7nbxXALNh1UubBVQ=");
  EXPECT_EQ(request.headers.find("Transfer-Encoding"), std::string::npos);
  EXPECT_EQ(request.headers.find("Expect"), std::string::npos);
}

TEST(Nitriding, RefusedRegistrationFails) {
  FakeNitriding nitriding(400, "given hash is of invalid size\n");
  auto registered = RegisterAppKeyHash(nitriding.Url(), core::Sha256Digest{});
  ASSERT_FALSE(registered);
  EXPECT_EQ(registered.error().code, ErrorCode::kNitridingRegistrationFailed);
  EXPECT_NE(registered.error().detail.find("400"), std::string::npos);
  EXPECT_NE(registered.error().detail.find("invalid size"), std::string::npos);
}

TEST(Nitriding, NoNitridingFails) {
  int port = 0;
  {
    FakeNitriding closed(200, "");  // learn a free port, then let it close
    port = std::stoi(closed.Url().substr(17));
    ASSERT_TRUE(RegisterAppKeyHash(closed.Url(), core::Sha256Digest{}));
  }
  auto registered =
      RegisterAppKeyHash("http://127.0.0.1:" + std::to_string(port), core::Sha256Digest{});
  ASSERT_FALSE(registered);
  EXPECT_EQ(registered.error().code, ErrorCode::kNitridingRegistrationFailed);
}

TEST(Nitriding, ReadinessIsAGetAndItsAnswersAreRead) {
  {
    FakeNitriding nitriding(200, "");
    auto ready = SignalNitridingReady(nitriding.Url());
    ASSERT_TRUE(ready);
    EXPECT_EQ(*ready, NitridingReady::kReady);
    const Parsed request = Split(nitriding.Raw());
    EXPECT_EQ(request.request_line, "GET /enclave/ready HTTP/1.1");
    EXPECT_EQ(request.body, "");
  }
  {
    FakeNitriding nitriding(410, "");
    auto ready = SignalNitridingReady(nitriding.Url());
    ASSERT_TRUE(ready);
    EXPECT_EQ(*ready, NitridingReady::kAlreadyReady);
  }
  {
    FakeNitriding nitriding(404, "404 page not found\n");  // no -wait-for-app
    auto ready = SignalNitridingReady(nitriding.Url());
    ASSERT_TRUE(ready);
    EXPECT_EQ(*ready, NitridingReady::kNotWaiting);
  }
  {
    FakeNitriding nitriding(500, "boom");
    auto ready = SignalNitridingReady(nitriding.Url());
    ASSERT_FALSE(ready);
    EXPECT_EQ(ready.error().code, ErrorCode::kNitridingRegistrationFailed);
  }
}

TEST(Nitriding, UrlMustBeLoopbackHttpWithAPort) {
  auto ok = ParseNitridingUrl("http://127.0.0.1:8080/");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, "http://127.0.0.1:8080");
  EXPECT_TRUE(ParseNitridingUrl("http://localhost:8080"));
  EXPECT_TRUE(ParseNitridingUrl("http://[::1]:8080"));
  for (const char* bad :
       {"https://127.0.0.1:8080", "http://10.0.0.1:8080", "http://127.0.0.1", "http://127.0.0.1:0",
        "http://127.0.0.1:99999", "http://127.0.0.1:8080/enclave", "127.0.0.1:8080",
        "http://user@127.0.0.1:8080", "http://127.0.0.1:80a"}) {
    auto parsed = ParseNitridingUrl(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace enclavectl::app
