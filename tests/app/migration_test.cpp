// The migration protocol's pure module (app/migration.hpp): state codec, MAC, nonces, request
// codecs, and every refusal of V1's and V2's decisions, with documents from the virtual Nitro.
#include "enclavectl/app/migration.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <string>

#include "enclavectl/app/maintainer.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::app {
namespace {

using core::Bytes;
using core::ErrorCode;
using testing::VirtualNitro;

constexpr std::int64_t kNow = (testing::kVirtualNow.value / 1000) + 2;
constexpr std::int64_t kCooldown = 100;
// Maintainer secret 1: its x-only key is G's x (migration.md 9).
constexpr const char* kMaintainerX =
    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

Bytes Pcr(std::uint8_t fill) { return Bytes(48, fill); }
std::string PcrHex(std::uint8_t fill) { return core::HexEncode(Pcr(fill)); }

core::SecretBytes MaintainerSecret() {
  Bytes secret(32, 0);
  secret[31] = 1;
  return core::SecretBytes(secret);
}

std::string Sign(const std::string& target, std::int64_t activation) {
  auto sig = SignMaintainerAuthorization(MaintainerSecret(), target, activation);
  EXPECT_TRUE(sig) << sig.error().detail;
  return core::HexEncode(*sig);
}

struct Rsa {
  core::EvpPkeyPtr key;
  Bytes spki;
};

Rsa MakeRsa(unsigned bits = 2048) {
  Rsa rsa;
  rsa.key.reset(EVP_RSA_gen(bits));
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(rsa.key.get(), &der);
  rsa.spki.assign(der, der + len);
  OPENSSL_free(der);
  return rsa;
}

const Rsa& V2Rsa() {
  static const Rsa rsa = MakeRsa();
  return rsa;
}

verifier::PcrMap Pcrs(std::uint8_t pcr0) {
  verifier::PcrMap pcrs;
  pcrs[0] = Pcr(pcr0);
  pcrs[1] = Pcr(0x11);
  pcrs[2] = Pcr(0x22);
  return pcrs;
}

Bytes Mint(std::uint8_t pcr0, const Bytes& nonce, std::optional<Bytes> public_key,
           std::optional<Bytes> user_data = std::nullopt) {
  verifier::devca::DocumentSpec spec;
  spec.pcrs = Pcrs(pcr0);
  spec.nonce = nonce;
  spec.public_key = std::move(public_key);
  spec.user_data = std::move(user_data);
  return VirtualNitro::Get().Mint(spec);
}

Bytes Random32(std::uint8_t fill) { return Bytes(32, fill); }

MigrationSource V1Self() {
  MigrationSource self;
  self.own_pcr0 = PcrHex(0xa1);
  self.previous_pcr0 = "genesis";
  self.maintainer_pubkey = kMaintainerX;
  self.cooldown = kCooldown;
  return self;
}

PeerDocument Peer(std::uint8_t pcr0, std::optional<Bytes> public_key = V2Rsa().spki) {
  auto peer = CheckPeerDocument(Mint(pcr0, Random32(7), std::move(public_key)),
                                VirtualNitro::Get().Root(), kNow);
  EXPECT_TRUE(peer) << peer.error().detail;
  return *peer;
}

InitiateRequest Request(const std::string& target, std::int64_t activation) {
  InitiateRequest request;
  request.maintainer_sig = Sign(target, activation);
  request.activation_time = activation;
  return request;
}

MigrationState Pending() {
  auto state = DecideInitiate(V1Self(), std::nullopt, Peer(0xb2),
                              Request(PcrHex(0xb2), kNow + kCooldown), kNow);
  EXPECT_TRUE(state) << state.error().detail;
  return *state;
}

// --- state codec and MAC ---

TEST(MigrationState, JsonIsTheSpecsFieldOrderAndRoundTrips) {
  MigrationState state;
  state.target_pcr0 = PcrHex(0xab);
  state.v2_kms_key_id = "1234abcd";
  state.initiated_at = 1700000000;
  state.completed_at = 1700090001;
  state.source_pcr0 = PcrHex(0xcd);
  state.previous_pcr0 = "genesis";
  state.activation_time = 1700090000;
  state.maintainer_sig = std::string(128, 'e');
  state.mac = std::string(64, 'f');
  const std::string json = MigrationStateJson(state);
  EXPECT_EQ(json, "{\"target_pcr0\":\"" + PcrHex(0xab) +
                      "\",\"v2_kms_key_id\":\"1234abcd\",\"initiated_at\":1700000000,"
                      "\"completed_at\":1700090001,\"source_pcr0\":\"" +
                      PcrHex(0xcd) +
                      "\",\"previous_pcr0\":\"genesis\",\"activation_time\":1700090000,"
                      "\"maintainer_sig\":\"" +
                      std::string(128, 'e') + "\",\"mac\":\"" + std::string(64, 'f') + "\"}");
  auto back = ParseMigrationState(json);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(MigrationStateJson(*back), json);
  // The spec's example state (no completed_at, no mac) parses too.
  auto spec = ParseMigrationState(
      "{\"target_pcr0\":\"" + PcrHex(0xab) +
      "\",\"v2_kms_key_id\":\"1234abcd-12ab-34cd-56ef-1234567890ab\",\"initiated_at\":1700000000,"
      "\"source_pcr0\":\"" +
      PcrHex(0xcd) + "\",\"previous_pcr0\":\"genesis\",\"activation_time\":1700090000}");
  ASSERT_TRUE(spec) << spec.error().detail;
  EXPECT_TRUE(spec->Pending());
}

TEST(MigrationState, MalformedStatesAreRefused) {
  for (const std::string& text :
       {std::string("[]"), std::string("{"), std::string("{\"target_pcr0\":\"ab\"}"),
        "{\"target_pcr0\":\"" + PcrHex(0xab) + "\"}",  // no initiated_at
        "{\"target_pcr0\":\"" + PcrHex(0xab) + "\",\"initiated_at\":-1}",
        "{\"target_pcr0\":\"" + PcrHex(0xab) + "\",\"initiated_at\":1,\"extra\":1}",
        "{\"target_pcr0\":\"" + PcrHex(0xab) + "\",\"initiated_at\":1,\"mac\":\"zz\"}"}) {
    auto state = ParseMigrationState(text);
    ASSERT_FALSE(state) << text;
    EXPECT_EQ(state.error().code, ErrorCode::kMigrationStateInvalid) << text;
  }
}

TEST(MigrationState, MacDetectsEveryEditAndAnotherKey) {
  Bytes raw(32, 0x42);
  auto key = MigrationStateKey(core::SecretBytes(raw));
  ASSERT_TRUE(key);
  auto sealed = SealMigrationState(Pending(), *key);
  ASSERT_TRUE(sealed);
  EXPECT_TRUE(AuthenticateMigrationState(*sealed, *key));
  auto parsed = ParseMigrationState(MigrationStateJson(*sealed));
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(AuthenticateMigrationState(*parsed, *key));

  // A forged state: a shorter cooldown (earlier initiation), another target, no mac.
  MigrationState earlier = *sealed;
  earlier.initiated_at -= kCooldown;
  MigrationState retarget = *sealed;
  retarget.target_pcr0 = PcrHex(0xee);
  MigrationState unsealed = *sealed;
  unsealed.mac.clear();
  MigrationState completed = *sealed;
  completed.completed_at = 0;
  completed.initiated_at = 1;
  for (const MigrationState& forged : {earlier, retarget, unsealed, completed}) {
    auto status = AuthenticateMigrationState(forged, *key);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kMigrationStateForged);
  }
  Bytes other_raw(32, 0x43);
  auto other = MigrationStateKey(core::SecretBytes(other_raw));
  ASSERT_TRUE(other);
  EXPECT_EQ(AuthenticateMigrationState(*sealed, *other).error().code,
            ErrorCode::kMigrationStateForged);
}

TEST(MigrationState, StatusBodyIsTheSpecsWithTheCooldownFlagAtTheBoundary) {
  EXPECT_EQ(MigrationStatusBody(std::nullopt, kNow, kCooldown), "{\"state\":null}\n");
  MigrationState state = Pending();
  state.mac = std::string(64, 'a');
  const std::string shown = MigrationStateJson(
      MigrationState{state.target_pcr0, "", state.initiated_at, 0, state.source_pcr0,
                     state.previous_pcr0, state.activation_time, "", ""});
  EXPECT_EQ(MigrationStatusBody(state, kNow + kCooldown - 1, kCooldown),
            "{\"state\":" + shown + "}\n");
  EXPECT_EQ(MigrationStatusBody(state, kNow + kCooldown, kCooldown),
            "{\"state\":" + shown + ",\"cooldown_expired\":true}\n");
  EXPECT_EQ(MigrationStatusBody(state, kNow + kCooldown, kCooldown, false),
            "{\"state\":" + shown + "}\n");
  state.completed_at = kNow + kCooldown;
  EXPECT_EQ(MigrationStatusBody(state, kNow + 10 * kCooldown, kCooldown).find("cooldown_expired"),
            std::string::npos);
}

// --- nonces ---

TEST(MigrationNonces, SingleUseExpiringAndBounded) {
  MigrationNonces nonces;
  const std::string hex = nonces.Issue(Random32(1), kNow);
  EXPECT_EQ(hex, core::HexEncode(Random32(1)));
  EXPECT_TRUE(nonces.Consume(Random32(1), kNow + kMigrationNonceLifetime));
  // Replay: the same nonce again.
  EXPECT_EQ(nonces.Consume(Random32(1), kNow).error().code, ErrorCode::kMigrationNonceInvalid);
  // Never issued, absent.
  EXPECT_EQ(nonces.Consume(Random32(2), kNow).error().code, ErrorCode::kMigrationNonceInvalid);
  EXPECT_EQ(nonces.Consume(std::nullopt, kNow).error().code, ErrorCode::kMigrationNonceInvalid);
  // Stale: one second past the lifetime.
  nonces.Issue(Random32(3), kNow);
  EXPECT_EQ(nonces.Consume(Random32(3), kNow + kMigrationNonceLifetime + 1).error().code,
            ErrorCode::kMigrationNonceInvalid);
  for (std::size_t i = 0; i < 2 * kMigrationMaxNonces; ++i) {
    Bytes random(32, 0);
    random[0] = static_cast<std::uint8_t>(i);
    random[1] = 0x99;
    nonces.Issue(random, kNow);
  }
  EXPECT_EQ(nonces.Outstanding(), kMigrationMaxNonces);
}

// --- request codecs ---

TEST(MigrationRequests, InitiateAndCompleteBodiesAreStrict) {
  const std::string doc = core::Base64Encode(Mint(0xb2, Random32(1), V2Rsa().spki));
  auto ok = ParseInitiateRequest("{\"attestation_doc\":\"" + doc +
                                 "\",\"v2_kms_key_id\":\"arn:aws:kms:attacker\","
                                 "\"maintainer_sig\":\"ab\",\"activation_time\":5}");
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_TRUE(ok->named_kms_key);
  EXPECT_EQ(ok->activation_time, 5);
  for (const std::string& body :
       {std::string("not json"), std::string("[]"), std::string("{}"),
        std::string("{\"attestation_doc\":\"\"}"), std::string("{\"attestation_doc\":\"!!\"}"),
        std::string("{\"attestation_doc\":\" \"}"),
        "{\"attestation_doc\":\"" + doc + "\",\"activation_time\":-5}",
        "{\"attestation_doc\":\"" + doc + "\",\"maintainer_sig\":7}",
        "{\"attestation_doc\":\"" + doc + "\",\"attestation_doc\":\"" + doc + "\"}"}) {
    auto refused = ParseInitiateRequest(body);
    ASSERT_FALSE(refused) << body;
    EXPECT_EQ(refused.error().code, ErrorCode::kMigrationRequestInvalid) << body;
    EXPECT_EQ(MigrationHttpStatus(refused.error().code), 400);
  }
  auto complete = ParseCompleteRequest("{\"attestation_doc\":\"" + doc + "\",\"v2_nonce\":\"" +
                                       core::HexEncode(Random32(9)) + "\"}");
  ASSERT_TRUE(complete) << complete.error().detail;
  EXPECT_EQ(complete->v2_nonce, Random32(9));
  for (const std::string& body :
       {std::string("{}"), "{\"attestation_doc\":\"" + doc + "\"}",
        "{\"attestation_doc\":\"\\n\",\"v2_nonce\":\"" + std::string(64, 'a') + "\"}",
        "{\"attestation_doc\":\"" + doc + "\",\"v2_nonce\":\"abcd\"}",
        "{\"attestation_doc\":\"" + doc + "\",\"v2_nonce\":\"" + std::string(64, 'G') + "\"}"}) {
    auto refused = ParseCompleteRequest(body);
    ASSERT_FALSE(refused) << body;
    EXPECT_EQ(refused.error().code, ErrorCode::kMigrationRequestInvalid) << body;
  }
}

// --- document checks (spec 11.1) ---

TEST(MigrationDocuments, ChainDebugAndRootAreChecked) {
  const Bytes good = Mint(0xb2, Random32(1), V2Rsa().spki);
  auto peer = CheckPeerDocument(good, VirtualNitro::Get().Root(), kNow);
  ASSERT_TRUE(peer) << peer.error().detail;
  EXPECT_EQ(peer->pcr0_hex, PcrHex(0xb2));

  // Another root (the AWS root does not issue the virtual chain).
  auto aws = verifier::TrustAnchor::AwsNitroRoot();
  ASSERT_TRUE(aws);
  auto foreign = CheckPeerDocument(good, *aws, kNow);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kMigrationDocumentInvalid);
  EXPECT_EQ(MigrationHttpStatus(foreign.error().code), 403);
  EXPECT_EQ(MigrationRefusalText(foreign.error()).rfind("attestation verification failed: ", 0),
            0U);

  // The chain judged a year later: expired certificates are never accepted.
  auto late = CheckPeerDocument(good, VirtualNitro::Get().Root(), kNow + 365 * 86400);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kMigrationDocumentInvalid);

  // A document whose signature is not the leaf's (the payload re-signed by nobody).
  Bytes tampered = good;
  tampered[tampered.size() - 1] ^= 1;
  EXPECT_EQ(CheckPeerDocument(tampered, VirtualNitro::Get().Root(), kNow).error().code,
            ErrorCode::kMigrationDocumentInvalid);

  // Debug mode: PCR0-2 zero.
  verifier::devca::DocumentSpec debug;
  debug.pcrs = verifier::PcrMap{{0, Pcr(0)}, {1, Pcr(0)}, {2, Pcr(0)}};
  debug.nonce = Random32(1);
  debug.public_key = V2Rsa().spki;
  auto refused =
      CheckPeerDocument(VirtualNitro::Get().Mint(debug), VirtualNitro::Get().Root(), kNow);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kMigrationDebugDocument);
}

TEST(MigrationDocuments, PublicKeyMustBeRsa2048) {
  EXPECT_TRUE(CheckRsaPublicKey(Peer(0xb2).doc));
  const Rsa small = MakeRsa(1024);
  for (const std::optional<Bytes>& key :
       {std::optional<Bytes>(), std::optional<Bytes>(Bytes{'d', 'u', 'm', 'm', 'y'}),
        std::optional<Bytes>(small.spki)}) {
    verifier::AttestationDocument doc;
    doc.public_key = key;
    auto status = CheckRsaPublicKey(doc);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kMigrationPublicKeyInvalid);
  }
}

// --- V1's initiation (spec 5.2, 5.3, 11.2, 11.3) ---

TEST(MigrationInitiate, AcceptsAnAuthorizedTargetAndStoresTheSpecsState) {
  const MigrationState state = Pending();
  EXPECT_EQ(state.target_pcr0, PcrHex(0xb2));
  EXPECT_EQ(state.initiated_at, kNow);
  EXPECT_EQ(state.source_pcr0, PcrHex(0xa1));
  EXPECT_EQ(state.previous_pcr0, "genesis");
  EXPECT_EQ(state.activation_time, kNow + kCooldown);  // the boundary itself is accepted
  EXPECT_TRUE(state.v2_kms_key_id.empty());
  EXPECT_TRUE(state.Pending());
}

TEST(MigrationInitiate, EveryRefusalHasItsCode) {
  const std::string target = PcrHex(0xb2);
  const std::int64_t activation = kNow + kCooldown;
  auto expect = [](const core::Result<MigrationState>& result, ErrorCode code, int status) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, code) << result.error().detail;
    EXPECT_EQ(MigrationHttpStatus(result.error().code), status);
  };
  // No public key.
  expect(DecideInitiate(V1Self(), std::nullopt, Peer(0xb2, std::nullopt),
                        Request(target, activation), kNow),
         ErrorCode::kMigrationPublicKeyInvalid, 403);
  // Target is V1 itself.
  expect(
      DecideInitiate(V1Self(), std::nullopt, Peer(0xa1), Request(PcrHex(0xa1), activation), kNow),
      ErrorCode::kMigrationTargetIsSelf, 403);
  // V1 without a maintainer key never migrates (11.3).
  MigrationSource no_key = V1Self();
  no_key.maintainer_pubkey.clear();
  expect(DecideInitiate(no_key, std::nullopt, Peer(0xb2), Request(target, activation), kNow),
         ErrorCode::kMigrationNoMaintainerKey, 403);
  // A signature for another target (wrong PCR0), none at all, a garbled one.
  expect(
      DecideInitiate(V1Self(), std::nullopt, Peer(0xb2), Request(PcrHex(0xc3), activation), kNow),
      ErrorCode::kMaintainerSignatureInvalid, 403);
  InitiateRequest unsigned_request;
  unsigned_request.activation_time = activation;
  expect(DecideInitiate(V1Self(), std::nullopt, Peer(0xb2), unsigned_request, kNow),
         ErrorCode::kMaintainerSignatureInvalid, 403);
  InitiateRequest other_time = Request(target, activation);
  other_time.activation_time = activation + 1;
  expect(DecideInitiate(V1Self(), std::nullopt, Peer(0xb2), other_time, kNow),
         ErrorCode::kMaintainerSignatureInvalid, 403);
  // Activation one second short of now + cooldown.
  expect(DecideInitiate(V1Self(), std::nullopt, Peer(0xb2), Request(target, activation - 1), kNow),
         ErrorCode::kMigrationActivationTooEarly, 403);
  // A pending state: 409; a completed one: V1 is migrated.
  const MigrationState pending = Pending();
  auto again = DecideInitiate(V1Self(), pending, Peer(0xb2), Request(target, activation), kNow);
  expect(again, ErrorCode::kMigrationPending, 409);
  EXPECT_EQ(MigrationRefusalText(again.error()), "migration already pending (MIGRATION_PENDING)\n");
  MigrationState completed = pending;
  completed.completed_at = kNow;
  expect(DecideInitiate(V1Self(), completed, Peer(0xb2), Request(target, activation), kNow),
         ErrorCode::kKeyMigrated, 410);
}

// --- V1's completion (spec 5.2, 5.4, 11.4) ---

TEST(MigrationComplete, CooldownAndActivationBoundaries) {
  MigrationState state = Pending();
  state.activation_time = kNow + kCooldown + 50;
  state.maintainer_sig = Sign(state.target_pcr0, state.activation_time);
  const MigrationSource self = V1Self();
  auto early = DecideComplete(self, state, Peer(0xb2), kNow + kCooldown - 1);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kMigrationCooldownRunning);
  EXPECT_EQ(early.error().detail, "cooldown not expired, 1s remaining");
  EXPECT_EQ(MigrationHttpStatus(early.error().code), 425);
  // Cooldown over, activation 50 s away: still refused (enforced at completion).
  auto inactive = DecideComplete(self, state, Peer(0xb2), kNow + kCooldown);
  ASSERT_FALSE(inactive);
  EXPECT_EQ(inactive.error().code, ErrorCode::kMigrationNotActive);
  EXPECT_EQ(MigrationHttpStatus(inactive.error().code), 425);
  auto done = DecideComplete(self, state, Peer(0xb2), state.activation_time);
  ASSERT_TRUE(done) << done.error().detail;
  EXPECT_EQ(done->completed_at, state.activation_time);
  EXPECT_FALSE(done->Pending());
}

TEST(MigrationComplete, EveryRefusalHasItsCode) {
  const MigrationState state = Pending();
  const std::int64_t later = kNow + kCooldown;
  const MigrationSource self = V1Self();
  auto expect = [](const core::Result<MigrationState>& result, ErrorCode code, int status) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, code) << result.error().detail;
    EXPECT_EQ(MigrationHttpStatus(result.error().code), status);
  };
  expect(DecideComplete(self, std::nullopt, Peer(0xb2), later), ErrorCode::kMigrationNotPending,
         400);
  MigrationState completed = state;
  completed.completed_at = later;
  expect(DecideComplete(self, completed, Peer(0xb2), later), ErrorCode::kMigrationAlreadyCompleted,
         409);
  // Another image completes: wrong PCR0.
  expect(DecideComplete(self, state, Peer(0xc3), later), ErrorCode::kMigrationPcr0Mismatch, 403);
  // The stored signature no longer verifies (a state edited with the key... or a key change).
  MigrationState bad_sig = state;
  bad_sig.maintainer_sig = Sign(PcrHex(0xc3), state.activation_time);
  expect(DecideComplete(self, bad_sig, Peer(0xb2), later), ErrorCode::kMaintainerSignatureInvalid,
         403);
  MigrationSource no_key = self;
  no_key.maintainer_pubkey.clear();
  expect(DecideComplete(no_key, state, Peer(0xb2), later), ErrorCode::kMigrationNoMaintainerKey,
         403);
  expect(DecideComplete(self, state, Peer(0xb2, std::nullopt), later),
         ErrorCode::kMigrationPublicKeyInvalid, 403);
}

// --- the key transfer and V2's checks of V1 (spec 11.2, 11.7) ---

TEST(MigrationTransfer, SecretTravelsOnlyToTheAttestedRsaKey) {
  Bytes raw(32, 0x5a);
  const core::SecretBytes secret(raw);
  auto ciphertext = EncryptToPeer(secret, V2Rsa().spki);
  ASSERT_TRUE(ciphertext) << ciphertext.error().detail;
  EXPECT_EQ(ciphertext->size(), 256U);
  // V2 decrypts with its private key and the protocol's label.
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(V2Rsa().key.get(), nullptr));
  ASSERT_EQ(EVP_PKEY_decrypt_init(ctx.get()), 1);
  EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING);
  EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256());
  EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256());
  auto* label = static_cast<unsigned char*>(OPENSSL_malloc(kMigrationOaepLabel.size()));
  std::copy(kMigrationOaepLabel.begin(), kMigrationOaepLabel.end(), label);
  EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, static_cast<int>(kMigrationOaepLabel.size()));
  Bytes plain(512);
  std::size_t len = plain.size();
  ASSERT_EQ(EVP_PKEY_decrypt(ctx.get(), plain.data(), &len, ciphertext->data(), ciphertext->size()),
            1);
  plain.resize(len);
  EXPECT_EQ(plain, raw);
  EXPECT_EQ(EncryptToPeer(secret, MakeRsa(1024).spki).error().code,
            ErrorCode::kMigrationPublicKeyInvalid);
}

TEST(MigrationTransfer, V2RefusesAnImpostorV1) {
  const Bytes v2_nonce = Random32(0x33);
  const Bytes ciphertext(256, 0x44);
  const core::Sha256Digest digest = core::Sha256(ciphertext);
  Bytes compressed =
      *core::HexDecode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  const core::Sha384Digest pcr16 = verifier::KeyBindingPcrValue(compressed);
  auto source = [&](std::uint8_t pcr0, const Bytes& nonce, const Bytes& user_data,
                    std::optional<Bytes> pcr16_value) {
    verifier::devca::DocumentSpec spec;
    spec.pcrs = Pcrs(pcr0);
    if (pcr16_value) {
      (*spec.pcrs)[16] = *pcr16_value;
    }
    spec.nonce = nonce;
    spec.user_data = user_data;
    auto peer = CheckPeerDocument(VirtualNitro::Get().Mint(spec), VirtualNitro::Get().Root(), kNow);
    EXPECT_TRUE(peer);
    return *peer;
  };
  const Bytes user(digest.begin(), digest.end());
  const Bytes bound(pcr16.begin(), pcr16.end());
  EXPECT_TRUE(CheckSourceAnswer(source(0xa1, v2_nonce, user, bound), PcrHex(0xa1), v2_nonce,
                                ciphertext, compressed));
  EXPECT_TRUE(CheckSourceAnswer(source(0xa1, v2_nonce, user, std::nullopt), PcrHex(0xa1), v2_nonce,
                                ciphertext, compressed));
  const Bytes wrong_user(32, 0);
  for (const PeerDocument& impostor :
       {source(0xc3, v2_nonce, user, bound),         // not the predecessor
        source(0xa1, Random32(0x34), user, bound),   // another exchange's nonce
        source(0xa1, v2_nonce, wrong_user, bound),   // another ciphertext
        source(0xa1, v2_nonce, user, Pcr(0x55))}) {  // another key in PCR16
    auto status = CheckSourceAnswer(impostor, PcrHex(0xa1), v2_nonce, ciphertext, compressed);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kMigrationSourceRefused);
  }
}

}  // namespace
}  // namespace enclavectl::app
