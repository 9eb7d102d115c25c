// The parent-side wallet service against an in-process enclave that speaks the account protocol
// (protocol.hpp) with real keys and envelopes, and a fake KMS (a table of data keys): create
// stores the account once; digest, personal_sign and transaction signatures recover the
// account; owned accounts need the owner's secret; and an enclave that lies (another signer,
// an error envelope, garbage, a dropped owner) is caught. The socket channel: connection
// refused, a peer that closes early, and an oversized answer.
#include "enclavectl/wallet/io/wallet_service.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/wallet/envelope.hpp"
#include "enclavectl/wallet/io/sqlite_store.hpp"
#include "enclavectl/wallet/owner_auth.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;
namespace fs = std::filesystem;

enum class Lie : std::uint8_t { kNone, kOtherSigner, kErrorEnvelope, kGarbage, kDropOwner };

// An honest enclave (unless told to lie) with a fake KMS: the "CiphertextBlob" is an index.
class FakeEnclave final : public EnclaveChannel {
 public:
  core::Result<std::string> Exchange(std::string_view payload) override {
    ++calls;
    if (lie == Lie::kGarbage) {
      return std::string("{\"apiResponse\":\"generateResponse\"");
    }
    if (lie == Lie::kErrorEnvelope) {
      return protocol::EncodeErrorResponse(protocol::EnvelopeError::kKmsFailed);
    }
    auto request = protocol::DecodeRequest(payload);
    if (!request) {
      return protocol::EncodeErrorResponse(protocol::EnvelopeError::kBadRequest);
    }
    EXPECT_EQ(std::get_if<protocol::GenerateRequest>(&*request) != nullptr
                  ? std::get<protocol::GenerateRequest>(*request).credential.access_key_id
                  : std::get<protocol::SignRequest>(*request).credential.access_key_id,
              "AKIDWALLETTEST");
    if (auto* generate = std::get_if<protocol::GenerateRequest>(&*request)) {
      return Generate(*generate);
    }
    return Sign(std::get<protocol::SignRequest>(*request));
  }

  Lie lie = Lie::kNone;
  int calls = 0;

 private:
  std::string Generate(const protocol::GenerateRequest& request) {
    auto account = GenerateAccount();
    EXPECT_TRUE(account);
    core::Bytes data_key(kDataKeyLen);
    for (std::size_t i = 0; i < data_key.size(); ++i) {
      data_key[i] = static_cast<std::uint8_t>(i * 13 + data_keys_.size());
    }
    // Owned accounts are hardened (the owner bound in the AAD); the others legacy.
    const std::string owner = request.owner_key ? OwnerKeyHex(*request.owner_key) : "";
    auto text = SealAccountKey(
        data_key, account->secret_key, {request.name, account->address, request.key_id, owner},
        owner.empty() ? EnvelopeFormat::kLegacy : EnvelopeFormat::kHardenedV1);
    EXPECT_TRUE(text) << text.error().detail;
    protocol::GenerateResponse response;
    response.address = *ethereum::ParseAddress(account->address);
    response.encrypted_data_key = core::Bytes{static_cast<std::uint8_t>(data_keys_.size())};
    response.encrypted_private_key = *text;
    response.owner_key = lie == Lie::kDropOwner ? std::nullopt : request.owner_key;
    data_keys_.push_back(std::move(data_key));
    return protocol::EncodeGenerateResponse(response);
  }

  std::string Sign(const protocol::SignRequest& request) {
    if (request.encrypted_data_key.size() != 1 ||
        request.encrypted_data_key[0] >= data_keys_.size()) {
      return protocol::EncodeErrorResponse(protocol::EnvelopeError::kKmsFailed);
    }
    auto secret =
        OpenAccountKey(data_keys_[request.encrypted_data_key[0]], request.encrypted_private_key,
                       {request.name, ethereum::ChecksumAddress(*request.address), request.key_id,
                        request.owner_key ? OwnerKeyHex(*request.owner_key) : ""});
    if (!secret) {
      return protocol::EncodeErrorResponse(protocol::EnvelopeError::kDecryptFailed);
    }
    if (request.owner_key) {
      const core::Bytes* nonce = request.owner_auth ? &request.owner_auth->nonce : nullptr;
      const OwnerSignature* sig = request.owner_auth ? &request.owner_auth->signature : nullptr;
      if (!CheckOwnerAuthorization(&*request.owner_key, request.name, *request.address,
                                   request.digest, nonce, sig)) {
        return protocol::EncodeErrorResponse(protocol::EnvelopeError::kOwnerAuthFailed);
      }
    }
    core::Bytes other(32, 7);
    auto signature = ethereum::SignDigest(
        lie == Lie::kOtherSigner ? core::ByteView(other) : secret->View(), request.digest);
    EXPECT_TRUE(signature);
    protocol::SignResponse response;
    response.address = *request.address;
    response.signature = *signature;
    return protocol::EncodeSignResponse(response);
  }

  std::vector<core::Bytes> data_keys_;
};

class WalletServiceTest : public ::testing::Test {
 protected:
  WalletServiceTest()
      : dir_(fs::temp_directory_path() /
             ("wallet-service-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::move(*SqliteAccountStore::Open((dir_ / "wallet.db").string()));
    protocol::Credential credential;
    credential.access_key_id = "AKIDWALLETTEST";
    credential.secret_access_key = core::SecretBytes(core::AsBytes(std::string("s3cret")));
    service_ = std::make_unique<WalletService>(*store_, enclave_, std::move(credential));
  }
  ~WalletServiceTest() override { fs::remove_all(dir_); }

  Account Create(const std::string& name, std::optional<OwnerKey> owner = std::nullopt) {
    auto account = service_->Create({"alias/wallet", name, owner, "2026-12-07T13:00:00Z"});
    EXPECT_TRUE(account) << account.error().detail;
    return account ? *account : Account{};
  }

  fs::path dir_;
  FakeEnclave enclave_;
  std::unique_ptr<SqliteAccountStore> store_;
  std::unique_ptr<WalletService> service_;
};

ethereum::Hash256 Digest(std::uint8_t fill) {
  ethereum::Hash256 d{};
  d.fill(fill);
  return d;
}

TEST_F(WalletServiceTest, CreatesOnceAndStores) {
  const Account alice = Create("alice");
  const Account bob = Create("bob");
  EXPECT_NE(alice.address, bob.address);
  EXPECT_EQ(alice.address, ethereum::ChecksumAddress(*ethereum::ParseAddress(alice.address)));
  EXPECT_EQ(*service_->Get("alias/wallet", "alice"), alice);
  EXPECT_EQ(service_->List(std::nullopt)->size(), 2U);
  // A second create of a name is refused before the enclave is asked.
  const int calls = enclave_.calls;
  auto again = service_->Create({"alias/wallet", "alice", std::nullopt, std::nullopt});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kWalletAccountExists);
  EXPECT_EQ(enclave_.calls, calls);
}

TEST_F(WalletServiceTest, SignaturesRecoverTheAccount) {
  const Account alice = Create("alice");
  const auto address = *ethereum::ParseAddress(alice.address);
  const SignTarget target{"alias/wallet", "alice", nullptr};
  auto digest = service_->SignDigest(target, Digest(0x11));
  ASSERT_TRUE(digest) << digest.error().detail;
  EXPECT_EQ(
      *ethereum::RecoverAddress(Digest(0x11), ethereum::EncodeSignature(digest->signature, 0)),
      address);
  auto personal = service_->SignPersonalMessage(target, core::AsBytes("hello world"));
  ASSERT_TRUE(personal);
  EXPECT_EQ(personal->digest, *ethereum::PersonalMessageHash(core::AsBytes("hello world")));
  for (const char* json :
       {R"({"chainId":1,"nonce":0,"maxPriorityFeePerGas":"1","maxFeePerGas":"2","gasLimit":21000,
            "to":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","value":"1"})",
        R"({"type":0,"chain_id":137,"nonce":3,"gas_price":"30000000000","gas_limit":60000,
            "to":null,"data":"0x6080"})"}) {
    auto request = ethereum::ParseTransactionJson(json);
    ASSERT_TRUE(request) << request.error().detail;
    auto tx = service_->SignTransaction(target, *request);
    ASSERT_TRUE(tx) << tx.error().detail;
    auto decoded = ethereum::DecodeSignedTransaction(tx->raw);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->from, address);
    EXPECT_EQ(decoded->hash, tx->hash);
  }
  // A transaction naming another sender is refused before the enclave is asked.
  auto other = ethereum::ParseTransactionJson(
      R"({"chainId":1,"nonce":0,"maxPriorityFeePerGas":"1","maxFeePerGas":"2","gasLimit":21000,
          "from":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"})");
  ASSERT_TRUE(other);
  const int calls = enclave_.calls;
  auto refused = service_->SignTransaction(target, *other);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kEthTxFromMismatch);
  EXPECT_EQ(enclave_.calls, calls);
  // An unknown account.
  auto missing = service_->SignDigest({"alias/wallet", "carol", nullptr}, Digest(1));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kWalletAccountNotFound);
}

TEST_F(WalletServiceTest, AnEnclaveThatLiesIsCaught) {
  Create("alice");
  const SignTarget target{"alias/wallet", "alice", nullptr};
  enclave_.lie = Lie::kOtherSigner;
  auto other = service_->SignDigest(target, Digest(2));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kWalletSignatureMismatch);
  enclave_.lie = Lie::kErrorEnvelope;
  auto refused = service_->SignDigest(target, Digest(2));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kWalletEnclaveRefused);
  EXPECT_NE(refused.error().detail.find("kms_failed"), std::string::npos);
  enclave_.lie = Lie::kGarbage;
  auto garbage = service_->Create({"alias/wallet", "bob", std::nullopt, std::nullopt});
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, ErrorCode::kWalletEnclaveResponseInvalid);
  EXPECT_FALSE(service_->Get("alias/wallet", "bob"));  // nothing stored
}

TEST_F(WalletServiceTest, OwnedAccountsNeedTheOwner) {
  const core::SecretBytes owner_secret(core::Bytes(32, 0x42));
  const core::SecretBytes stranger(core::Bytes(32, 0x43));
  const OwnerKey owner = *OwnerKeyOf(owner_secret);
  const Account carol = Create("carol", owner);
  ASSERT_TRUE(carol.owner_key);
  EXPECT_EQ(*carol.owner_key, OwnerKeyHex(owner));
  EXPECT_EQ(*ParseStoredOwnerKey("02" + OwnerKeyHex(owner)), owner);
  EXPECT_EQ(*ParseStoredOwnerKey(*carol.owner_key), owner);
  auto without = service_->SignDigest({"alias/wallet", "carol", nullptr}, Digest(3));
  ASSERT_FALSE(without);
  EXPECT_EQ(without.error().code, ErrorCode::kWalletOwnerRequired);
  auto wrong = service_->SignDigest({"alias/wallet", "carol", &stranger}, Digest(3));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kAccountOwnerKeyInvalid);
  auto ok = service_->SignDigest({"alias/wallet", "carol", &owner_secret}, Digest(3));
  ASSERT_TRUE(ok) << ok.error().detail;
  // An owner secret for an account without owner is a usage error.
  Create("dave");
  auto needless = service_->SignDigest({"alias/wallet", "dave", &owner_secret}, Digest(3));
  ASSERT_FALSE(needless);
  EXPECT_EQ(needless.error().code, ErrorCode::kInvalidArgument);
  // An enclave that drops the owner is refused and nothing is stored.
  enclave_.lie = Lie::kDropOwner;
  auto dropped = service_->Create({"alias/wallet", "erin", owner, std::nullopt});
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().code, ErrorCode::kWalletEnclaveResponseInvalid);
  EXPECT_FALSE(service_->Get("alias/wallet", "erin"));
}

TEST_F(WalletServiceTest, OwnerKeyFiles) {
  const core::SecretBytes owner_secret(core::Bytes(32, 0x42));
  const OwnerKey owner = *OwnerKeyOf(owner_secret);
  const fs::path pub = dir_ / "owner.pub";
  const fs::path key = dir_ / "owner.key";
  std::ofstream(pub) << "0x" << OwnerKeyHex(owner) << "\n";
  std::ofstream(key) << std::string(64, '4') << std::string(0, ' ') << "\n";
  EXPECT_EQ(*ReadOwnerKeyFile(pub.string()), owner);
  auto secret = ReadOwnerSecretFile(key.string());
  ASSERT_TRUE(secret);
  std::ofstream(pub) << "zz\n";
  auto bad_pub = ReadOwnerKeyFile(pub.string());
  ASSERT_FALSE(bad_pub);
  EXPECT_EQ(bad_pub.error().code, ErrorCode::kAccountOwnerKeyInvalid);
  std::ofstream(key) << std::string(64, '0') << "\n";  // zero is no secret key
  auto bad_key = ReadOwnerSecretFile(key.string());
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().code, ErrorCode::kEthSecretKeyInvalid);
}

// A one-shot TCP server on loopback that answers `reply` to whatever arrives.
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    ::listen(fd_, 1);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      char buf[256];
      (void)::recv(c, buf, sizeof(buf), 0);
      (void)::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~OneShotServer() {
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t Port() const { return port_; }

 private:
  std::string reply_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST(SocketEnclaveChannel, FailuresHaveTheirCodes) {
  // Nobody listens: a port that was just free.
  std::uint16_t free_port = 0;
  {
    OneShotServer probe("");
    free_port = probe.Port();
    SocketEnclaveChannel poke(*ParseTcpAddress("127.0.0.1:" + std::to_string(free_port)), 2000);
    (void)poke.Exchange("x");
  }
  SocketEnclaveChannel refused(*ParseTcpAddress("127.0.0.1:" + std::to_string(free_port)), 2000);
  auto r = refused.Exchange("{}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
  // A header announcing 2^40 bytes.
  std::string huge(8, '\0');
  huge[5] = 1;
  OneShotServer big(huge);
  SocketEnclaveChannel to_big(*ParseTcpAddress("127.0.0.1:" + std::to_string(big.Port())), 2000);
  auto b = to_big.Exchange("{}");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ErrorCode::kWalletEnclaveResponseInvalid);
  // A frame cut short.
  OneShotServer cut(std::string("\x10\0\0\0\0\0\0\0{\"a\"", 12));
  SocketEnclaveChannel to_cut(*ParseTcpAddress("localhost:" + std::to_string(cut.Port())), 2000);
  auto c = to_cut.Exchange("{}");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kNetwork);
}

TEST(EnclaveAddress, Parses) {
  auto v = ParseVsockAddress("16:7878");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->cid, 16U);
  EXPECT_EQ(v->port, 7878U);
  EXPECT_EQ(DescribeEnclaveAddress(*v), "vsock:16:7878");
  EXPECT_TRUE(ParseTcpAddress("[::1]:80"));
  for (const char* bad : {"16", "1:7878", "16:", "x:1", "16:0", "16:99999999999"}) {
    EXPECT_FALSE(ParseVsockAddress(bad)) << bad;
  }
  for (const char* bad : {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "10.0.0.1:7878",
                          "example.com:7878", "[::1:80"}) {
    EXPECT_FALSE(ParseTcpAddress(bad)) << bad;
  }
}

}  // namespace
}  // namespace enclavectl::wallet
