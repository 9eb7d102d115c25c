// The seeds' wallet protocols on real sockets, spoken by Python clients that behave as the
// seeds' own clients (tests/app/seed_clients.py): seed (a)'s client.py (one send, no
// half-close, one recv(4096)) over AF_VSOCK when the kernel offers vsock loopback (CID 1),
// else over TCP; exact reply bytes, signatures verified (OpenSSL for P-256, public-key
// recovery for secp256k1), get_attestation through the NSM simulator; oversize requests, slow
// and idle clients, half-close, concurrency. Seed (b)'s u64 little-endian frames: a whole
// exchange and malformed frames (short header, huge length, EOF mid-body, not JSON, unknown
// apiRequest), after which the server still answers.
#include "enclavectl/app/seed_servers.hpp"

#include <gtest/gtest.h>
#include <linux/vm_sockets.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/keccak.hpp"
#include "enclavectl/ethereum/signing.hpp"
#include "enclavectl/verifier/document.hpp"
#include "seed_fakes.hpp"
#include "socket_client.hpp"
#include "subprocess.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::HexEncode;
using nlohmann::json;
using namespace std::chrono_literals;

core::Bytes Hex(std::string_view text) { return core::HexDecode(text).value(); }

constexpr std::string_view kP256Secret =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
constexpr std::string_view kK1Secret =
    "f89f23eaeac18252fedf81bb8318d3c111d48c19b0680dcf6e0a8d5136caf287";

// Where a Python client reaches a server: vsock CID 1 when the kernel lets this process
// connect to itself over vsock, else TCP 127.0.0.1.
struct Endpoint {
  std::string transport;
  std::string host;
  std::uint32_t port = 0;
};

bool VsockLoopbackWorks(std::uint32_t port) {
  if (access("/dev/vsock", F_OK) != 0) {
    return false;
  }
  const int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_vm address{};
  address.svm_family = AF_VSOCK;
  address.svm_cid = VMADDR_CID_LOCAL;
  address.svm_port = port;
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address),  // NOLINT
                          sizeof(address)) == 0;
  close(fd);
  return ok;
}

std::string RunClient(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"python3", SEED_CLIENT_SCRIPT};
  argv.insert(argv.end(), args.begin(), args.end());
  const enclavectl::testing::CommandResult result =
      enclavectl::testing::RunCommand(argv, enclavectl::testing::Environment({}), 60s);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

std::string Wallet(const Endpoint& at, const std::string& request,
                   const std::string& mode = "wallet") {
  return RunClient({mode, at.transport, at.host, std::to_string(at.port), request});
}

std::string Account(const Endpoint& at, const std::string& mode, const std::string& payload) {
  return RunClient({"account", at.transport, at.host, std::to_string(at.port), mode, payload});
}

// r or s as the seed writes them ("0x" + minimal hex), back to 32 bytes.
core::Bytes Scalar32(const json& reply, const char* key) {
  std::string hex = reply.at(key).get<std::string>();
  EXPECT_EQ(hex.rfind("0x", 0), 0U);
  hex = hex.substr(2);
  EXPECT_TRUE(hex.size() <= 64 && (hex.size() == 1 || hex[0] != '0')) << hex;
  return Hex(std::string(64 - hex.size(), '0') + hex);
}

class SeedWalletServerTest : public ::testing::Test {
 protected:
  std::unique_ptr<OneShotServer> Start(const SeedWalletService& service, bool try_vsock,
                                       Endpoint& endpoint, OneShotServerOptions options = {}) {
    if (try_vsock) {
      const std::uint32_t port = 40000 + static_cast<std::uint32_t>(getpid() % 20000);
      auto vsock = ListenSeedWallet({"", port}, options, service);
      if (vsock && VsockLoopbackWorks(port)) {
        endpoint = {"vsock", "1", port};
        return std::move(*vsock);
      }
    }
    auto tcp = ListenSeedWallet({"127.0.0.1", 0}, options, service);
    EXPECT_TRUE(tcp) << tcp.error().detail;
    endpoint = {"tcp", "127.0.0.1", (*tcp)->Port()};
    return std::move(*tcp);
  }
};

void CheckV1(const Endpoint& at) {
  const SeedWalletKey key = SeedWalletKey::FromScalar(SeedRevision::kV1, Hex(kP256Secret)).value();
  EXPECT_EQ(Wallet(at, R"({"action":"get_public_key"})"),
            R"({"public_key": ")" + HexEncode(key.PublicKey()) + R"("})");
  // client.py's sample: "hello world" as hex; the reply verified with OpenSSL.
  const std::string reply = Wallet(at, R"({"action":"sign","message":"68656c6c6f20776f726c64"})");
  const json parsed = json::parse(reply);
  core::Bytes raw = Scalar32(parsed, "r");
  const core::Bytes s = Scalar32(parsed, "s");
  raw.insert(raw.end(), s.begin(), s.end());
  auto pkey = core::MakeEcKey(core::Curve::kP256, key.PublicKey()).value();
  EXPECT_TRUE(
      core::EcdsaVerifyRaw(pkey.get(), core::AsBytes(std::string_view("hello world")), raw));
  EXPECT_EQ(reply, R"({"r": ")" + parsed["r"].get<std::string>() + R"(", "s": ")" +
                       parsed["s"].get<std::string>() + R"("})");
  // wallet.md 4.6 "test" through the wire.
  EXPECT_EQ(Wallet(at, R"({"action":"sign","message":"74657374"})"),
            R"({"r": "0xf1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367", )"
            R"("s": "0x19f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"})");
  EXPECT_EQ(Wallet(at, R"({"action":"sign","message":""})").rfind(R"({"r": "0x)", 0), 0U);
  EXPECT_EQ(Wallet(at, R"({"action":"delete"})"), R"({"error": "unknown action"})");
  EXPECT_EQ(Wallet(at, R"({"action":"sign","message":"zz"})"),
            R"({"error": "non-hexadecimal number found in fromhex() arg at position 0"})");
}

TEST_F(SeedWalletServerTest, V1SeedClientOverVsock) {
  const SeedWalletService service(
      SeedWalletKey::FromScalar(SeedRevision::kV1, Hex(kP256Secret)).value(), {});
  Endpoint at;
  auto server = Start(service, true, at);
  if (at.transport != "vsock") {
    GTEST_SKIP() << "no vsock loopback here (/dev/vsock missing or CID 1 unreachable); the TCP "
                    "listener carries the same bytes in V1SeedClientOverTcp";
  }
  CheckV1(at);
}

TEST_F(SeedWalletServerTest, V1SeedClientOverTcp) {
  const SeedWalletService service(
      SeedWalletKey::FromScalar(SeedRevision::kV1, Hex(kP256Secret)).value(), {});
  Endpoint at;
  auto server = Start(service, false, at);
  CheckV1(at);
}

TEST_F(SeedWalletServerTest, V2SeedClientAndAttestation) {
  enclavectl::testing::SimulatedEnclave enclave(core::Bytes(48, 0x11));
  const SeedWalletService service(
      SeedWalletKey::FromScalar(SeedRevision::kV2, Hex(kK1Secret)).value(),
      NsmSeedAttester(*enclave.client));
  Endpoint at;
  auto server = Start(service, true, at);
  const std::string public_key = Wallet(at, R"({"action":"get_public_key"})");
  const json key = json::parse(public_key);
  EXPECT_EQ(public_key, R"({"public_key": ")" + key["public_key"].get<std::string>() +
                            R"(", "address": "0x9141b7539e7902872095c408bfa294435e2b8c8a"})");
  // wallet.md 4.7 through the wire; the frontend's check: recover with yParity 0 then 1.
  const auto digest = ethereum::Keccak256Of(core::AsBytes(std::string_view("hello world")));
  const std::string reply =
      Wallet(at, R"({"action":"sign","message":")" + HexEncode(digest) + R"("})");
  EXPECT_EQ(reply, R"({"r": "0xb08fa9f215e438f2ea605c21fdb89a4c2777b2423364030553e3db2a7d76db07", )"
                   R"("s": "0x7a239c57c8c583d70a41f41ab2fdbcf16d7b6b0610628eeb0428a6e7aeadead8"})");
  const json parsed = json::parse(reply);
  ethereum::Signature signature;
  const core::Bytes r = Scalar32(parsed, "r");
  const core::Bytes s = Scalar32(parsed, "s");
  std::copy(r.begin(), r.end(), signature.r.begin());
  std::copy(s.begin(), s.end(), signature.s.begin());
  auto recovered = ethereum::RecoverPublicKey(digest, signature).value();
  EXPECT_EQ("04" + HexEncode(recovered), key["public_key"].get<std::string>());
  EXPECT_EQ(Wallet(at, R"({"action":"sign","message":"68656c6c6f"})"),
            R"({"error": "The provided data must be the same length as the hash algorithm's )"
            R"(digest size."})");

  // get_attestation: the document's public_key is the signing key, its nonce the given one.
  // The reply is longer than client.py's one recv(4096): our client reads to EOF.
  const json attestation = json::parse(
      Wallet(at, R"({"action":"get_attestation","nonce":"00112233"})", "wallet-to-eof"));
  auto document = core::Base64Decode(attestation.at("attestation_document").get<std::string>());
  ASSERT_TRUE(document);
  auto decoded = verifier::DecodeAttestation(*document);
  ASSERT_TRUE(decoded) << decoded.error().detail;
  EXPECT_EQ(HexEncode(decoded->doc.public_key.value()), key["public_key"].get<std::string>());
  EXPECT_EQ(HexEncode(decoded->doc.nonce.value()), "00112233");
}

TEST_F(SeedWalletServerTest, RequestEndsRefusalsAndConcurrency) {
  const SeedWalletService service(SeedWalletKey::Generate(SeedRevision::kV1).value(), {});
  OneShotServerOptions options;
  options.timeout = 400ms;
  Endpoint at;
  auto server = Start(service, false, at, options);
  const auto port = static_cast<std::uint16_t>(at.port);
  EXPECT_EQ(OneShotServerOptions{}.timeout, 5000ms);  // the spec's read timeout

  // An idle connection does not block the next client (the seed serves one at a time).
  enclavectl::testing::SocketClient idle(port);
  EXPECT_EQ(Wallet(at, R"({"action":"nope"})"), R"({"error": "unknown action"})");

  // Half-close ends the request, complete or not.
  {
    enclavectl::testing::SocketClient client(port);
    client.Send(R"({"action": "get_public_key"})");
    client.ShutdownSend();
    EXPECT_EQ(client.ReadAll().rfind(R"({"public_key": "04)", 0), 0U);
  }
  {
    enclavectl::testing::SocketClient client(port);
    client.Send(R"({"action": "get_pu)");
    client.ShutdownSend();
    EXPECT_EQ(client.ReadAll().rfind(R"({"error": "request is not valid JSON)", 0), 0U);
  }
  // A request split over two writes is read whole (the seed's single recv would not).
  {
    enclavectl::testing::SocketClient client(port);
    client.Send(R"({"action": )");
    std::this_thread::sleep_for(50ms);
    client.Send(R"("get_public_key"})");
    EXPECT_EQ(client.ReadAll().rfind(R"({"public_key": "04)", 0), 0U);
  }
  // Not JSON at all: answered at once, not at the deadline.
  {
    const auto start = std::chrono::steady_clock::now();
    enclavectl::testing::SocketClient client(port);
    client.Send("hello");
    EXPECT_EQ(client.ReadAll().rfind(R"({"error": )", 0), 0U);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 300ms);
  }
  // Over 4096 bytes without a complete value.
  {
    enclavectl::testing::SocketClient client(port);
    client.Send(R"({"action": "sign", "message": ")" + std::string(6000, '0'));
    EXPECT_EQ(client.ReadAll(), R"({"error": "request too large"})");
  }
  // A slow client is cut off at the deadline; a silent one is closed without a word.
  {
    const auto start = std::chrono::steady_clock::now();
    enclavectl::testing::SocketClient client(port);
    client.Send(R"({"action")");
    EXPECT_EQ(client.ReadAll(), R"({"error": "request timeout"})");
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, 350ms);
    EXPECT_LT(elapsed, 3s);
  }
  EXPECT_EQ(idle.ReadAll(), "");
}

TEST_F(SeedWalletServerTest, ConnectionCap) {
  const SeedWalletService service(SeedWalletKey::Generate(SeedRevision::kV1).value(), {});
  OneShotServerOptions options;
  options.max_connections = 1;
  Endpoint at;
  auto server = Start(service, false, at, options);
  enclavectl::testing::SocketClient first(static_cast<std::uint16_t>(at.port));
  std::this_thread::sleep_for(100ms);
  enclavectl::testing::SocketClient second(static_cast<std::uint16_t>(at.port));
  EXPECT_EQ(second.ReadAll(), R"({"error": "server busy"})");
}

class AccountServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::uint32_t port = 40000 + static_cast<std::uint32_t>((getpid() + 7) % 20000);
    auto vsock = ListenAccounts({"", port}, {}, service_);
    if (vsock && VsockLoopbackWorks(port)) {
      at_ = {"vsock", "1", port};
      server_ = std::move(*vsock);
      return;
    }
    auto tcp = ListenAccounts({"127.0.0.1", 0}, {}, service_);
    ASSERT_TRUE(tcp) << tcp.error().detail;
    at_ = {"tcp", "127.0.0.1", (*tcp)->Port()};
    server_ = std::move(*tcp);
  }

  testing::FakeAccountOperations fake_;
  accounts::AccountService service_{fake_};
  Endpoint at_;
  std::unique_ptr<OneShotServer> server_;
};

constexpr std::string_view kGenerate =
    R"({"apiRequest":"generateAccount","credential":{"aws_access_key_id":"AKID",)"
    R"("aws_secret_access_key":"very-secret","aws_session_token":"tok"},)"
    R"("key_id":"arn:aws:kms:ap-east-1:111122223333:key/k","name":"UID10000"})";
constexpr std::string_view kBadRequest =
    R"({"apiResponse":"error","content":{"error":"bad_request"}})";

TEST_F(AccountServerTest, ParentClientFramesAndMalformedInput) {
  std::cout << "parent client over " << at_.transport << "\n";
  const std::string generated = Account(at_, "frame", std::string(kGenerate));
  auto response = accounts::DecodeResponse(generated);
  ASSERT_TRUE(response) << generated;
  EXPECT_EQ(ethereum::ChecksumAddress(std::get<accounts::GenerateResponse>(*response).address),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
  EXPECT_EQ(generated.find("very-secret"), std::string::npos);
  EXPECT_EQ(fake_.LastSecret(), "very-secret");

  EXPECT_EQ(Account(at_, "short-header", std::string(kGenerate)), kBadRequest);
  EXPECT_EQ(Account(at_, "huge", ""), kBadRequest);
  EXPECT_EQ(Account(at_, "eof-body", std::string(kGenerate)), kBadRequest);
  EXPECT_EQ(Account(at_, "frame", "not json"), kBadRequest);
  EXPECT_EQ(Account(at_, "frame", R"({"apiRequest":"generateAccount","key_id":"k"})"), kBadRequest);
  EXPECT_EQ(Account(at_, "frame", R"({"apiRequest":"listAccounts"})"),
            R"({"apiResponse":"error","content":{"error":"unsupported"}})");
  // Still serving.
  const std::string again = Account(at_, "frame", std::string(kGenerate));
  EXPECT_EQ(again.rfind(R"({"apiResponse":"generateResponse")", 0), 0U) << again;
}

TEST_F(AccountServerTest, SignOverFrames) {
  const std::string request =
      R"({"apiRequest":"sign","credential":{"aws_access_key_id":"AKID",)"
      R"("aws_secret_access_key":"very-secret","aws_session_token":""},"key_id":"k",)"
      R"("name":"UID10000","address":"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf",)"
      R"("encryptedDataKey":"2tra","encryptedPrivateKey":")" +
      core::Base64Encode(core::Bytes(60, 0xE5)) +
      R"(","message":"0xC5D2460186F7233C927E7DB2DCC703C0E500B653CA82273B7BFAD8045D85A470"})";
  EXPECT_EQ(Account(at_, "frame", request),
            R"({"apiResponse":"signResponse","content":{"address":)"
            R"("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf","signature":"0x)"
            R"(03925438bf9bdfed9cb8d9d9467f8fc624f389846f0db71f4f5c84b483077da6)"
            R"(2ca68cb1027ace392bc6a84fe0ba29288aa07942f571f56201dd33c009ee388601"}})");
}

}  // namespace
}  // namespace enclavectl::app
