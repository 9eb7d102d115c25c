// The key service on real sockets: HTTP through enclavectl_net (keep-alive, every response
// signed, the server's own refusals as signed JSON errors: malformed, huge bodies, slowloris,
// too many connections, and the next request still served) and the wallet protocol's line
// server over TCP (the handler does not depend on the transport) plus binding AF_VSOCK; and
// process hardening.
#include "enclavectl/app/servers.hpp"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "enclavectl/app/hardening.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/signatures.hpp"
#include "fd_exhaustion.hpp"
#include "socket_client.hpp"

namespace enclavectl::app {
namespace {

using core::Bytes;
using core::ErrorCode;
using nlohmann::json;
using testing::SocketClient;
using namespace std::chrono_literals;

constexpr const char* kKey = "arn:aws:kms:us-east-1:111122223333:key/agree";

struct ParsedResponse {
  unsigned status = 0;
  std::string headers;
  std::string body;
  std::string Header(const std::string& name) const {
    const std::size_t at = headers.find(name + ": ");
    if (at == std::string::npos) {
      return "";
    }
    const std::size_t start = at + name.size() + 2;
    return headers.substr(start, headers.find("\r\n", start) - start);
  }
  std::string Code() const {
    const json parsed = json::parse(body, nullptr, false);
    return parsed.is_object() && parsed.contains("error")
               ? parsed["error"]["code"].get<std::string>()
               : "";
  }
};

ParsedResponse Parse(const std::string& raw) {
  ParsedResponse out;
  const std::size_t end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) {
    return out;
  }
  out.status = static_cast<unsigned>(std::stoul(raw.substr(9, 3)));
  out.headers = raw.substr(0, end + 2);
  out.body = raw.substr(end + 4);
  return out;
}

class Servers : public ::testing::Test {
 protected:
  void SetUp() override {
    kms_.AddAgreementKey(kKey, *core::HexDecode(std::string(63, '0') + "7"));
    auto created = KeyService::Create({}, *enclave_.client, kms_, store_, log_);
    ASSERT_TRUE(created);
    service_ = std::move(*created);
    net::HttpServerOptions options;
    options.threads = 2;
    options.request_timeout = 300ms;
    options.idle_timeout = 2s;
    options.max_connections = 8;
    options.max_body_bytes = core::limits::kMaxAppRequestBodyBytes;
    options.max_header_bytes = core::limits::kMaxAppRequestHeaderBytes;
    auto server = StartHttpApi(options, *service_);
    ASSERT_TRUE(server) << server.error().detail;
    http_ = std::move(*server);
  }
  void TearDown() override { http_->Stop(); }

  void ExpectSigned(const ParsedResponse& response) {
    EXPECT_EQ(response.Header("X-Attestation-Pubkey"),
              core::HexEncode(service_->AttestationKey().Compressed()));
    EXPECT_TRUE(verifier::VerifyResponseSignature(response.body,
                                                  response.Header("X-Attestation-Signature"),
                                                  response.Header("X-Attestation-Pubkey")))
        << response.status << " " << response.body;
  }

  ParsedResponse Exchange(SocketClient& client, const std::string& request) {
    client.Send(request);
    ParsedResponse response = Parse(client.ReadResponse());
    ExpectSigned(response);
    return response;
  }

  static std::string Post(const std::string& path, const std::string& body) {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  static std::string Get(const std::string& target) {
    return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }

  // The server still answers a fresh connection.
  void ExpectServing() {
    SocketClient client(http_->Port());
    const ParsedResponse health = Exchange(client, Get("/health"));
    EXPECT_EQ(health.status, 200U);
    EXPECT_EQ(health.body, "OK");
  }

  testing::SimulatedEnclave enclave_{Bytes(48, 0xa0)};
  testing::FakeKms kms_;
  testing::MemoryStore store_;
  testing::CaptureLog log_;
  std::unique_ptr<KeyService> service_;
  std::unique_ptr<net::HttpServer> http_;
};

TEST_F(Servers, KeepAliveSetupSignAndEverythingSigned) {
  SocketClient client(http_->Port());
  EXPECT_EQ(Exchange(client, Get("/v1/info")).status, 503U);
  const ParsedResponse setup =
      Exchange(client, Post("/generate-secret", json{{"key_id", kKey}}.dump()));
  ASSERT_EQ(setup.status, 200U) << setup.body;
  const ParsedResponse info = Exchange(client, Get("/v1/info"));
  ASSERT_EQ(info.status, 200U);
  EXPECT_EQ(info.Header("Content-Type"), "application/json");
  const json sign = {{"scheme", "bip340"}, {"message", "00ff"}};
  for (int i = 0; i < 20; ++i) {
    const ParsedResponse signed_response = Exchange(client, Post("/v1/sign", sign.dump()));
    EXPECT_EQ(signed_response.status, 200U);
  }
  const ParsedResponse attestation =
      Exchange(client, Get("/enclave/attestation?nonce=" + std::string(40, 'a')));
  EXPECT_EQ(attestation.status, 200U);
  EXPECT_EQ(attestation.Header("Content-Type"), "text/plain; charset=utf-8");
  // A tampered body does not verify.
  std::string tampered = info.body;
  tampered[2] ^= 0x01;
  EXPECT_FALSE(verifier::VerifyResponseSignature(tampered, info.Header("X-Attestation-Signature"),
                                                 info.Header("X-Attestation-Pubkey")));
}

TEST_F(Servers, MalformedHttpIsASigned400AndTheServerKeepsServing) {
  SocketClient client(http_->Port());
  client.Send("NOT HTTP AT ALL\r\n\r\n");
  const ParsedResponse response = Parse(client.ReadAll());
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(response.Code(), "APP_REQUEST_MALFORMED");
  ExpectSigned(response);
  ExpectServing();
}

TEST_F(Servers, HugeBodiesAndHeadersAreRefused) {
  {
    SocketClient client(http_->Port());
    // The limit is known from the headers: the server answers before the body arrives.
    client.Send("POST /v1/sign HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n" +
                std::string(1000, 'a'));
    const ParsedResponse response = Parse(client.ReadAll());
    EXPECT_EQ(response.status, 413U);
    EXPECT_EQ(response.Code(), "INPUT_TOO_LARGE");
    ExpectSigned(response);
  }
  {
    SocketClient client(http_->Port());
    client.Send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'h') + "\r\n\r\n");
    const ParsedResponse response = Parse(client.ReadAll());
    EXPECT_EQ(response.status, 431U);
    EXPECT_EQ(response.Code(), "INPUT_TOO_LARGE");
    ExpectSigned(response);
  }
  ExpectServing();
}

TEST_F(Servers, SlowlorisIsCutOffWith408) {
  SocketClient slow(http_->Port());
  slow.Send("POST /v1/sign HTTP/1.1\r\nHost: x\r\n");
  std::this_thread::sleep_for(150ms);
  slow.Send("X-Drip: 1\r\n");  // still too slow in total
  const auto started = std::chrono::steady_clock::now();
  const ParsedResponse response = Parse(slow.ReadAll());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(response.status, 408U);
  EXPECT_EQ(response.Code(), "APP_REQUEST_TIMEOUT");
  ExpectSigned(response);
  ExpectServing();
}

TEST_F(Servers, TooManyConnectionsGetA503) {
  std::vector<std::unique_ptr<SocketClient>> idle;
  for (int i = 0; i < 9; ++i) {
    idle.push_back(std::make_unique<SocketClient>(http_->Port()));
    idle.back()->Send("GET /health HTTP/1.1\r\nHost: x\r\n");  // never completed
  }
  std::this_thread::sleep_for(50ms);
  SocketClient extra(http_->Port());
  const ParsedResponse response = Parse(extra.ReadAll());
  EXPECT_EQ(response.status, 503U);
  EXPECT_EQ(response.Code(), "APP_OVERLOADED");
  ExpectSigned(response);
  idle.clear();
  std::this_thread::sleep_for(400ms);  // the idle ones time out
  ExpectServing();
}

// Issue 13: the router is an exhaustive table, on the wire too: unknown paths are 404,
// known paths with another method 405 with Allow, both signed, and the connection stays usable.
TEST_F(Servers, UnknownPathsAre404AndOtherMethods405WithAllow) {
  SocketClient client(http_->Port());
  ASSERT_EQ(Exchange(client, Post("/generate-secret", json{{"key_id", kKey}}.dump())).status, 200U);
  const std::string sign = json{{"scheme", "bip340"}, {"message", "00"}}.dump();
  for (const std::string path : {"/nowhere", "/v1/sign/", "/V1/SIGN", "/sign", "/v1"}) {
    const ParsedResponse response = Exchange(client, Post(path, sign));
    EXPECT_EQ(response.status, 404U) << path;
    EXPECT_EQ(response.Code(), "APP_NOT_FOUND") << path;
    EXPECT_EQ(response.Header("Allow"), "") << path;
  }
  const std::vector<std::tuple<std::string, std::string, std::string>> wrong = {
      {"DELETE", "/v1/sign", "POST"},         {"GET", "/v1/sign", "POST"},
      {"GET", "/v1/setup", "POST"},           {"PUT", "/generate-secret", "POST"},
      {"POST", "/v1/health", "GET"},          {"POST", "/health", "GET"},
      {"PATCH", "/v1/info", "GET"},           {"POST", "/enclave/attestation", "GET"},
      {"GET", "/verify-and-sign", "POST"},    {"OPTIONS", "/secure/verify-and-sign", "POST"},
      {"POST", "/retrieve-public-key", "GET"}};
  for (const auto& [method, path, allowed] : wrong) {
    const ParsedResponse response =
        Exchange(client, method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                             std::to_string(sign.size()) + "\r\n\r\n" + sign);
    EXPECT_EQ(response.status, 405U) << method << " " << path;
    EXPECT_EQ(response.Code(), "APP_METHOD_NOT_ALLOWED") << method << " " << path;
    EXPECT_EQ(response.Header("Allow"), allowed) << method << " " << path;
  }
  EXPECT_EQ(Exchange(client, Post("/v1/sign", sign)).status, 200U);
}

class Lines : public Servers {
 protected:
  void StartLines(std::function<void(const std::string&)> warn = {}) {
    LineServerOptions options;
    options.warn = std::move(warn);
    options.request_timeout = 300ms;
    options.idle_timeout = 2s;
    options.max_line_bytes = 2048;
    auto server = LineServer::ListenTcp(
        "127.0.0.1", 0, options,
        [this](std::string_view line) { return service_->HandleWalletLine(line); },
        [](ErrorCode code, std::string_view reason) {
          return ErrorBody(core::Error{code, std::string(reason), -1});
        });
    ASSERT_TRUE(server) << server.error().detail;
    lines_ = std::move(*server);
    ASSERT_TRUE(service_->Setup(SetupRequest{KeyMode::kReproducible, kKey, std::nullopt}));
  }
  void TearDown() override {
    if (lines_) {
      lines_->Stop();
    }
    Servers::TearDown();
  }
  std::unique_ptr<LineServer> lines_;
};

TEST_F(Lines, ManyRequestsPerConnectionAndALastOneWithoutNewline) {
  StartLines();
  SocketClient client(static_cast<std::uint16_t>(lines_->Port()));
  client.Send(
      "{\"action\":\"get_public_key\"}\n\r\n{\"action\":\"sign\",\"message\":\"0a0b\"}\r\n");
  const json key = json::parse(client.ReadLine());
  const json sig = json::parse(client.ReadLine());
  ASSERT_TRUE(key.contains("public_key")) << key.dump();
  ASSERT_TRUE(sig.contains("r")) << sig.dump();
  const Bytes raw = *core::HexDecode(sig["r"].get<std::string>() + sig["s"].get<std::string>());
  EXPECT_TRUE(verifier::VerifyEcdsaP256(*core::HexDecode(key["public_key"].get<std::string>()),
                                        core::Sha256(Bytes{0x0a, 0x0b}), raw));
  client.Send("{\"action\":\"nope\"}");
  client.ShutdownSend();
  EXPECT_EQ(json::parse(client.ReadLine())["error"]["code"], "APP_NOT_FOUND");
  EXPECT_EQ(client.ReadAll(), "");
}

TEST_F(Lines, UnknownActionsAreRefusedNeverSigned) {
  StartLines();
  SocketClient client(static_cast<std::uint16_t>(lines_->Port()));
  for (const std::string action : {"Sign", "sign ", "signx", "sign_digest", "get_public_key2"}) {
    client.Send(json{{"action", action}, {"message", "0a0b"}}.dump() + "\n");
    const json out = json::parse(client.ReadLine());
    EXPECT_FALSE(out.contains("r")) << action;
    EXPECT_EQ(out.value("/error/code"_json_pointer, std::string()), "APP_NOT_FOUND") << action;
  }
  client.Send("{\"action\":\"sign\",\"message\":\"0a0b\"}\n");
  EXPECT_TRUE(json::parse(client.ReadLine()).contains("r"));
}

TEST_F(Lines, TooLongSlowAndBadLinesAreAnsweredAndTheServerStaysUp) {
  StartLines();
  {
    SocketClient client(static_cast<std::uint16_t>(lines_->Port()));
    client.Send(std::string(3000, 'x'));
    EXPECT_EQ(json::parse(client.ReadLine())["error"]["code"], "INPUT_TOO_LARGE");
  }
  {
    SocketClient client(static_cast<std::uint16_t>(lines_->Port()));
    client.Send("{\"action\":");
    EXPECT_EQ(json::parse(client.ReadLine())["error"]["code"], "APP_REQUEST_TIMEOUT");
  }
  {
    SocketClient client(static_cast<std::uint16_t>(lines_->Port()));
    client.Send("not json\n");
    EXPECT_EQ(json::parse(client.ReadLine())["error"]["code"], "APP_REQUEST_MALFORMED");
    client.Send("{\"action\":\"get_public_key\"}\n");
    EXPECT_TRUE(json::parse(client.ReadLine()).contains("public_key"));
  }
}

// With every descriptor in use and 20 clients in the backlog, the line server pauses
// accepting (net::AcceptLoop) instead of retrying accept() at once on a whole core, warns
// once, and answers again when descriptors are free.
TEST_F(Lines, OutOfDescriptorsPausesInsteadOfSpinningAndServesAgain) {
  if (testing::kSanitizerNeedsDescriptors) {
    GTEST_SKIP() << "the sanitizer runtime needs descriptors of its own (see fd_exhaustion.hpp); "
                    "this test runs in the dev build";
  }
  std::mutex mutex;
  std::vector<std::string> warnings;
  StartLines([&](const std::string& line) {
    std::lock_guard lock(mutex);
    warnings.push_back(line);
  });
  const auto port = static_cast<std::uint16_t>(lines_->Port());
  std::vector<testing::RawConnection> clients(20);
  testing::NoFreeDescriptors no_fds;
  ASSERT_TRUE(no_fds.Active());
  for (auto& client : clients) {
    ASSERT_TRUE(client.Connect(port));
  }
  std::this_thread::sleep_for(200ms);
  const double before = testing::ProcessCpuSeconds();
  std::this_thread::sleep_for(1500ms);
  const double used = testing::ProcessCpuSeconds() - before;
  no_fds.Restore();
  EXPECT_LT(used, 0.3) << "the line server spins on accept() (CPU seconds in 1.5 s)";
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(warnings.size(), 1U);
    EXPECT_NE(warnings[0].find("accept failed"), std::string::npos) << warnings[0];
  }
  clients.clear();
  testing::RawConnection probe;
  ASSERT_TRUE(probe.Connect(port, 5000ms));
  ASSERT_TRUE(probe.Send("{\"action\":\"get_public_key\"}"));
  probe.ShutdownSend();  // a last line without a newline is answered at end of file
  const std::string answer = probe.ReadAll();
  EXPECT_TRUE(json::parse(answer, nullptr, false).contains("public_key")) << answer;
}

TEST(Vsock, BindsWhereTheKernelHasVsock) {
  // This machine can bind AF_VSOCK (VMADDR_CID_ANY) but has no vsock loopback to connect
  // through; the protocol itself is tested over TCP above.
  const int probe = ::socket(AF_VSOCK, SOCK_STREAM, 0);
  if (probe < 0) {
    GTEST_SKIP() << "no AF_VSOCK in this kernel";
  }
  ::close(probe);
  const auto handler = [](std::string_view) { return std::string("{}"); };
  const auto refuser = [](ErrorCode, std::string_view) { return std::string("{}"); };
  std::uint32_t port = 0;
  std::unique_ptr<LineServer> server;
  for (std::uint32_t candidate = 40000 + static_cast<std::uint32_t>(::getpid() % 20000);
       !server && candidate < 65000; candidate += 97) {
    auto listening = LineServer::ListenVsock(candidate, {}, handler, refuser);
    if (listening) {
      server = std::move(*listening);
      port = candidate;
    } else {
      EXPECT_EQ(listening.error().code, ErrorCode::kListenFailed);
    }
  }
  if (!server) {
    GTEST_SKIP() << "AF_VSOCK exists but cannot be bound here";
  }
  EXPECT_EQ(server->Port(), port);
  // The same port twice fails with kListenFailed.
  auto again = LineServer::ListenVsock(port, {}, handler, refuser);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kListenFailed);
  server->Stop();
  server->Stop();
}

// --- process hardening (CTest runs each test in its own process) ---

TEST(Hardening, NoDumpsAndSecretsInLockedMemory) {
  const HardeningReport report = HardenProcess(std::size_t{100} * 1024);
  EXPECT_TRUE(report.not_dumpable);
  EXPECT_EQ(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  EXPECT_TRUE(report.no_core_files);
  EXPECT_TRUE(report.secure_heap);
  EXPECT_EQ(report.secure_heap_bytes, std::size_t{64} * 1024);
  EXPECT_FALSE(report.Describe().empty());
  core::SecretBytes secret(Bytes(32, 1));
  EXPECT_TRUE(secret.IsLocked());
  // Idempotent.
  EXPECT_TRUE(HardenProcess(std::size_t{100} * 1024).secure_heap);
}

// Issue 12 item 9: a setup waits for KMS on the service's setup thread, not on an I/O
// thread: with a single I/O thread, /v1/health and /enclave/attestation answer while KMS is
// blocked, and the setup completes once KMS answers.
TEST_F(Servers, SetupRunsOffTheIoThreads) {
  net::HttpServerOptions options;
  options.threads = 1;
  options.request_timeout = 5s;
  auto started = StartHttpApi(options, *service_);
  ASSERT_TRUE(started) << started.error().detail;
  std::unique_ptr<net::HttpServer> single = std::move(*started);
  kms_.Block();
  auto setup = std::async(std::launch::async, [&] {
    SocketClient client(single->Port());
    client.Send(Post("/generate-secret", json{{"key_id", kKey}}.dump()));
    return Parse(client.ReadResponse());
  });
  for (int i = 0; i < 500 && kms_.Waiting() == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(kms_.Waiting(), 1);
  auto health = std::async(std::launch::async, [&] {
    SocketClient client(single->Port());
    client.Send(Get("/v1/health"));
    ParsedResponse first = Parse(client.ReadResponse());
    client.Send(Get("/enclave/attestation?nonce=" + std::string(40, 'a')));
    ParsedResponse second = Parse(client.ReadResponse());
    return std::make_pair(first, second);
  });
  const bool answered = health.wait_for(3s) == std::future_status::ready;
  EXPECT_TRUE(answered) << "/v1/health waited for the blocked setup";
  // A second setup while the first waits: answered at once.
  auto second_setup = std::async(std::launch::async, [&] {
    SocketClient client(single->Port());
    client.Send(Post("/generate-secret", json{{"key_id", kKey}}.dump()));
    return Parse(client.ReadResponse());
  });
  const bool second_answered = second_setup.wait_for(3s) == std::future_status::ready;
  EXPECT_TRUE(second_answered);
  kms_.Unblock();
  if (answered) {
    const auto [first, second] = health.get();
    EXPECT_EQ(first.status, 200U);
    EXPECT_EQ(first.body, "OK");
    ExpectSigned(first);
    EXPECT_EQ(second.status, 200U);
  }
  const ParsedResponse other = second_setup.get();
  EXPECT_EQ(other.status, 409U);
  EXPECT_EQ(other.Code(), "APP_ALREADY_SET_UP");
  const ParsedResponse done = setup.get();
  EXPECT_EQ(done.status, 200U) << done.body;
  ExpectSigned(done);
  // The exchange signature covers the request that was made.
  EXPECT_TRUE(verifier::VerifyExchangeSignature(
      "POST", "/generate-secret", done.status, "", done.body,
      done.Header(std::string(verifier::kExchangeSignatureHeader)),
      done.Header("X-Attestation-Pubkey")));
  single->Stop();
}

}  // namespace
}  // namespace enclavectl::app
