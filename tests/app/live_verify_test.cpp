// Live verification judged from evidence (verifier/live.hpp), with evidence produced by the
// real key service (enclave-app's service layer on the NSM simulator, an in-process KMS): a
// visit passes; then each way a service or the path to it can lie -- another image, a
// replayed or stale document, a body altered in transit, a signing key that is not the one in
// PCR16, a document without appKeyHash, unsigned responses, HTTP errors, malformed answers --
// gives its specific error code. Bundles round-trip to the same verdict and reject tampering.
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/collect.hpp"
#include "enclavectl/verifier/fleet.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "enclavectl/verifier/lineage_walk.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/report_text.hpp"
#include "enclavectl/verifier/reverify.hpp"
#include "enclavectl/verifier/signatures.hpp"

namespace enclavectl::verifier {
namespace {

using core::Bytes;
using core::ErrorCode;
using nlohmann::json;

constexpr const char* kAgreementKey = "arn:aws:kms:us-east-1:111122223333:key/agree-1";
constexpr std::string_view kKmsScalarHex =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";

Bytes Pcr0(std::uint8_t fill) { return Bytes(48, fill); }

net::HttpRequest Get(const std::string& target) {
  net::HttpRequest request;
  request.method = "GET";
  request.target = target;
  const std::size_t q = target.find('?');
  request.path = target.substr(0, q);
  request.query = q == std::string::npos ? "" : target.substr(q + 1);
  return request;
}

HttpExchange Record(const std::string& target, const net::HttpResponse& response) {
  HttpExchange exchange;
  exchange.path = target;
  exchange.status = response.status;
  exchange.headers.emplace_back("Content-Type", response.content_type);
  for (const auto& header : response.headers) {
    exchange.headers.push_back(header);
  }
  exchange.body.assign(response.body.begin(), response.body.end());
  return exchange;
}

// One simulated enclave running the key service, set up with the agreement key.
struct Service {
  Service(testing::FakeKms& kms, const Bytes& pcr0, bool set_up = true,
          std::string previous_pcr0 = "genesis")
      : enclave(pcr0) {
    app::ServiceOptions options;
    options.version = "live-test";
    options.previous_pcr0 = std::move(previous_pcr0);
    auto created = app::KeyService::Create(options, *enclave.client, kms, store, log);
    EXPECT_TRUE(created);
    service = std::move(*created);
    if (set_up) {
      net::HttpRequest setup = Get("/v1/setup");
      setup.method = "POST";
      setup.body = json{{"key_id", kAgreementKey}}.dump();
      EXPECT_EQ(service->Handle(setup).status, 200U);
    }
  }

  // A visit as `enclavectl verify --url` makes it, with `nonce`.
  Evidence Visit(const Bytes& nonce) {
    Evidence evidence;
    evidence.url = "http://127.0.0.1:7074";
    evidence.nonce = nonce;
    evidence.captured_at = testing::TestClock().Now();
    const std::string attestation = "/enclave/attestation?nonce=" + core::HexEncode(nonce);
    evidence.attestation = Record(attestation, service->Handle(Get(attestation)));
    evidence.info = Record("/v1/info", service->Handle(Get("/v1/info")));
    evidence.enclave_info = Record("/v1/enclave-info", service->Handle(Get("/v1/enclave-info")));
    return evidence;
  }

  testing::SimulatedEnclave enclave;
  testing::MemoryStore store;
  testing::CaptureLog log;
  std::unique_ptr<app::KeyService> service;
};

Bytes Text(std::string_view text) { return Bytes(text.begin(), text.end()); }

Bytes Nonce(std::uint8_t fill) { return Bytes(kLiveNonceBytes, fill); }

void SetHeader(HttpExchange& exchange, const std::string& name, const std::string& value) {
  for (auto& header : exchange.headers) {
    if (header.first == name) {
      header.second = value;
    }
  }
}

void DropHeader(HttpExchange& exchange, const std::string& name) {
  std::erase_if(exchange.headers, [&](const auto& header) { return header.first == name; });
}

// Replaces `exchange`'s body and signs it as the service would: X-Attestation-Signature over
// SHA-256(body) under `key`, and, when the service sent one, the exchange signature for the
// recorded method and path (the info endpoints carry no nonce).
void Resign(HttpExchange& exchange, const app::Secp256k1Key& key, std::string_view body) {
  exchange.body.assign(body.begin(), body.end());
  const core::Sha256Digest digest = core::Sha256(exchange.body);
  auto signature = key.SignBip340(digest);
  ASSERT_TRUE(signature);
  SetHeader(exchange, "X-Attestation-Signature", core::HexEncode(*signature));
  if (!exchange.Header(kExchangeSignatureHeader).empty()) {
    auto exchange_signature = key.SignBip340(ExchangeSignatureDigest(
        exchange.method, exchange.path, static_cast<unsigned>(exchange.status), "",
        core::AsChars(exchange.body)));
    ASSERT_TRUE(exchange_signature);
    SetHeader(exchange, std::string(kExchangeSignatureHeader),
              core::HexEncode(*exchange_signature));
  }
}

// Adds an X-Enclavectl-Exchange-Signature for (method, path, status, nonce, body) under `key`.
void AddExchangeSignature(HttpExchange& exchange, const app::Secp256k1Key& key,
                          std::string_view method, std::string_view path, unsigned status,
                          std::string_view nonce) {
  const core::Sha256Digest digest =
      ExchangeSignatureDigest(method, path, status, nonce, core::AsChars(exchange.body));
  auto signature = key.SignBip340(digest);
  ASSERT_TRUE(signature);
  DropHeader(exchange, std::string(kExchangeSignatureHeader));
  exchange.headers.emplace_back(std::string(kExchangeSignatureHeader), core::HexEncode(*signature));
}

// /v1/info with `extra` members merged in, re-signed.
void ExtendInfo(Evidence& evidence, const app::Secp256k1Key& key, const json& extra) {
  json info = json::parse(core::AsChars(evidence.info.body));
  for (const auto& [name, value] : extra.items()) {
    info[name] = value;
  }
  Resign(evidence.info, key, info.dump());
}

const Check* Find(const LiveReport& report, std::string_view name) {
  for (const Check& check : report.checks) {
    if (check.name == name) {
      return &check;
    }
  }
  return nullptr;
}

class LiveVerify : public ::testing::Test {
 protected:
  void SetUp() override { kms_.AddAgreementKey(kAgreementKey, testing::HexBytes(kKmsScalarHex)); }

  LiveReport Judge(const Evidence& evidence, const LiveExpectations& expectations = {}) {
    const VerifierConfig config{&testing::TestRoot(), nullptr};
    return VerifyEvidence(evidence, config, expectations);
  }

  static ErrorCode CodeOf(const LiveReport& report) {
    EXPECT_TRUE(report.error.has_value());
    return report.error ? report.error->code : ErrorCode::kInternal;
  }

  testing::FakeKms kms_;
};

TEST_F(LiveVerify, AVisitToAnHonestServicePassesEveryCheck) {
  Service service(kms_, Pcr0(0xa0));
  const Evidence evidence = service.Visit(Nonce(0x11));
  LiveExpectations expectations;
  expectations.required_pcrs[0] = Pcr0(0xa0);
  expectations.max_age_ms = 60000;
  const LiveReport report = Judge(evidence, expectations);
  ASSERT_EQ(report.verdict, Verdict::kAccepted)
      << (report.error ? report.error->detail : std::string());
  for (const char* name :
       {"request", "http", "info", "enclave_info", "chain", "signature", "pcrs", "key_binding",
        "app_key_hash", "nonce", "freshness", "response_signatures"}) {
    const Check* check = Find(report, name);
    ASSERT_NE(check, nullptr) << name;
    EXPECT_EQ(check->status, CheckStatus::kPass) << name << ": " << check->reason;
  }
  EXPECT_EQ(report.responses_signed, 3);
  EXPECT_EQ(report.claims.key_mode, "reproducible");
  EXPECT_EQ(core::HexEncode(*report.claims.attestation_public_key),
            core::HexEncode(service.service->AttestationKey().Compressed()));
  const json out = LiveReportToJson(report, evidence);
  EXPECT_EQ(out["verdict"], "accepted");
  EXPECT_EQ(out["media_type"], kLiveMediaType);
  EXPECT_EQ(out["document"]["verdict"], "accepted");
}

TEST_F(LiveVerify, AnotherImageIsRejectedWithPcrMismatch) {
  Service service(kms_, Pcr0(0xa0));
  LiveExpectations expectations;
  expectations.required_pcrs[0] = Pcr0(0xb0);
  EXPECT_EQ(CodeOf(Judge(service.Visit(Nonce(1)), expectations)), ErrorCode::kPcrMismatch);
  LiveExpectations sets;
  sets.allowed_pcr_sets = {{{0, Pcr0(0xb0)}}, {{0, Pcr0(0xc0)}}};
  EXPECT_EQ(CodeOf(Judge(service.Visit(Nonce(1)), sets)), ErrorCode::kPcrSetNoMatch);
}

TEST_F(LiveVerify, AReplayedDocumentFailsTheNonceAndAStaleOneTheAge) {
  Service service(kms_, Pcr0(0xa0));
  const Evidence old_visit = service.Visit(Nonce(0x01));
  Evidence evidence = service.Visit(Nonce(0x02));
  // A proxy answers our nonce with the document it kept from an earlier visit.
  evidence.attestation.body = old_visit.attestation.body;
  for (const auto& header : old_visit.attestation.headers) {
    SetHeader(evidence.attestation, header.first, header.second);
  }
  EXPECT_EQ(CodeOf(Judge(evidence)), ErrorCode::kNonceMismatch);

  Evidence late = service.Visit(Nonce(0x03));
  late.captured_at = core::UnixMillis{late.captured_at.value + std::int64_t{10} * 60 * 1000};
  LiveExpectations expectations;
  expectations.max_age_ms = std::int64_t{5} * 60 * 1000;
  EXPECT_EQ(CodeOf(Judge(late, expectations)), ErrorCode::kDocumentTooOld);
}

TEST_F(LiveVerify, ABodyAlteredInTransitFailsItsSignature) {
  Service service(kms_, Pcr0(0xa0));
  Evidence evidence = service.Visit(Nonce(4));
  std::string body(evidence.enclave_info.body.begin(), evidence.enclave_info.body.end());
  body.replace(body.find("live-test"), 9, "live-TEST");
  evidence.enclave_info.body.assign(body.begin(), body.end());
  const LiveReport report = Judge(evidence);
  EXPECT_EQ(CodeOf(report), ErrorCode::kAppSignatureInvalid);
  EXPECT_EQ(Find(report, "key_binding")->status, CheckStatus::kPass);

  Evidence attestation = service.Visit(Nonce(5));
  attestation.attestation.body.back() = ' ';  // base64 + "\n" -> base64 + " ": same document
  EXPECT_EQ(CodeOf(Judge(attestation)), ErrorCode::kAppSignatureInvalid);
}

TEST_F(LiveVerify, ASigningKeyThatIsNotInPcr16IsRejected) {
  Service honest(kms_, Pcr0(0xa0));
  testing::FakeKms other_kms;
  other_kms.AddAgreementKey(kAgreementKey, testing::HexBytes(std::string(63, '0') + "7"));
  Service other(other_kms, Pcr0(0xa0));
  Evidence evidence = honest.Visit(Nonce(6));
  // /v1/info from another enclave: a properly signed answer with a key PCR16 does not bind.
  evidence.info = other.Visit(Nonce(6)).info;
  const LiveReport report = Judge(evidence);
  EXPECT_EQ(CodeOf(report), ErrorCode::kKeyBindingMismatch);
  EXPECT_EQ(Find(report, "response_signatures")->status, CheckStatus::kFail);
}

TEST_F(LiveVerify, ADocumentWithoutAppKeyHashIsRejected) {
  Service service(kms_, Pcr0(0xa0));
  Evidence evidence = service.Visit(Nonce(7));
  for (const std::optional<Bytes>& user_data :
       {std::optional<Bytes>(), std::optional<Bytes>(Bytes(68, 0))}) {
    app::AttestationRequest request;
    request.nonce = Nonce(7);
    request.user_data = user_data;
    auto document = service.enclave.client->Attestation(request);
    ASSERT_TRUE(document);
    const std::string body = core::Base64Encode(*document) + "\n";
    evidence.attestation.body.assign(body.begin(), body.end());
    const LiveReport report = Judge(evidence);
    // No user_data, or 68 bytes without nitriding's 12 20 prefixes.
    EXPECT_EQ(CodeOf(report), ErrorCode::kUserDataLayout);
    EXPECT_EQ(Find(report, "key_binding")->status, CheckStatus::kPass);
  }
  // Nitriding's layout with an all-zero appKeyHash: the app registered no key.
  app::AttestationRequest request;
  request.nonce = Nonce(7);
  request.user_data = EncodeNitridingUserData({});
  auto document = service.enclave.client->Attestation(request);
  ASSERT_TRUE(document);
  const std::string body = core::Base64Encode(*document) + "\n";
  evidence.attestation.body.assign(body.begin(), body.end());
  EXPECT_EQ(CodeOf(Judge(evidence)), ErrorCode::kAppKeyHashUnset);
}

// nitriding's tlsKeyHash: when the document binds a TLS certificate, the one seen over HTTPS
// must be it.
TEST_F(LiveVerify, ATlsCertificateTheEnclaveDoesNotBindIsRejected) {
  Service service(kms_, Pcr0(0xa0));
  const Bytes certificate = Text("DER of the enclave's TLS leaf certificate");
  const core::Sha256Digest app_key_hash =
      core::Sha256(service.service->AttestationKey().Compressed());
  app::AttestationRequest request;
  request.nonce = Nonce(20);
  request.user_data = EncodeNitridingUserData({core::Sha256(certificate), app_key_hash});
  auto document = service.enclave.client->Attestation(request);
  ASSERT_TRUE(document);
  const std::string body = core::Base64Encode(*document) + "\n";
  Evidence evidence = service.Visit(Nonce(20));
  evidence.attestation.body.assign(body.begin(), body.end());

  evidence.attestation.tls_certificate = certificate;
  const LiveReport bound = Judge(evidence);
  EXPECT_EQ(Find(bound, "tls_binding")->status, CheckStatus::kPass)
      << Find(bound, "tls_binding")->reason;
  // (This body is not the one the service signed, so only the TLS verdict is looked at.)
  EXPECT_EQ(CodeOf(bound), ErrorCode::kAppSignatureInvalid);

  evidence.attestation.tls_certificate = Text("a proxy's certificate");
  EXPECT_EQ(CodeOf(Judge(evidence)), ErrorCode::kTlsBindingMismatch);

  evidence.attestation.tls_certificate.clear();  // plain HTTP: nothing to compare
  EXPECT_EQ(Find(Judge(evidence), "tls_binding")->status, CheckStatus::kSkipped);
  // enclave-app itself terminates no TLS: tlsKeyHash is zero, the check is skipped.
  const LiveReport own = Judge(service.Visit(Nonce(21)));
  EXPECT_EQ(Find(own, "tls_binding")->status, CheckStatus::kSkipped);
  EXPECT_EQ(own.verdict, Verdict::kAccepted);
}

// Issue 14 item 2: over HTTPS a zero tlsKeyHash is a failure unless allowed by name, and then
// reported as skipped (never a silent pass).
TEST_F(LiveVerify, AZeroTlsKeyHashOverHttpsIsReported) {
  Service service(kms_, Pcr0(0xa0));
  Evidence evidence = service.Visit(Nonce(22));
  evidence.url = "https://127.0.0.1:8443";
  evidence.attestation.tls_certificate = Text("a TLS proxy's certificate");
  const LiveReport refused = Judge(evidence);
  EXPECT_EQ(CodeOf(refused), ErrorCode::kTlsKeyHashZero);
  EXPECT_EQ(Find(refused, "tls_binding")->status, CheckStatus::kFail);
  LiveExpectations allow;
  allow.allow_unbound_tls = true;
  const LiveReport allowed = Judge(evidence, allow);
  EXPECT_EQ(allowed.verdict, Verdict::kAccepted);
  EXPECT_EQ(Find(allowed, "tls_binding")->status, CheckStatus::kSkipped);
  EXPECT_NE(Find(allowed, "tls_binding")->reason.find("INSECURE"), std::string::npos);
  EXPECT_NE(DescribeExpectations(allow).find("unbound TLS"), std::string::npos);
}

// Issue 14 item 3: /v1/enclave-info previous_pcr0 (signed) against --expect-previous-pcr0.
TEST_F(LiveVerify, PreviousPcr0IsCheckedWhenExpected) {
  const std::string v1(96, 'b');
  Service v2(kms_, Pcr0(0xa2), true, v1);
  const Evidence evidence = v2.Visit(Nonce(23));
  const LiveReport unchecked = Judge(evidence);
  EXPECT_EQ(unchecked.verdict, Verdict::kAccepted);
  EXPECT_EQ(Find(unchecked, "previous_pcr0")->status, CheckStatus::kSkipped);
  EXPECT_EQ(unchecked.claims.previous_pcr0, v1);
  LiveExpectations expect;
  expect.required_pcrs[0] = Pcr0(0xa2);
  expect.previous_pcr0 = v1;
  const LiveReport checked = Judge(evidence, expect);
  EXPECT_EQ(checked.verdict, Verdict::kAccepted) << (checked.error ? checked.error->detail : "");
  EXPECT_EQ(Find(checked, "previous_pcr0")->status, CheckStatus::kPass);
  expect.previous_pcr0 = std::string(96, 'c');
  EXPECT_EQ(CodeOf(Judge(evidence, expect)), ErrorCode::kPreviousPcr0Mismatch);
  expect.previous_pcr0 = "genesis";
  EXPECT_EQ(CodeOf(Judge(evidence, expect)), ErrorCode::kPreviousPcr0Mismatch);
  // A genesis image does not pass for a successor.
  Service genesis(kms_, Pcr0(0xa2));
  expect.previous_pcr0 = v1;
  EXPECT_EQ(CodeOf(Judge(genesis.Visit(Nonce(24)), expect)), ErrorCode::kPreviousPcr0Mismatch);
  // The expectation survives a bundle's options round trip.
  expect.allow_unbound_tls = true;
  auto back = ExpectationsFromJson(ExpectationsToJson(expect));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->previous_pcr0, v1);
  EXPECT_TRUE(back->allow_unbound_tls);
}

TEST_F(LiveVerify, UnsignedResponsesHttpErrorsAndMalformedAnswersHaveTheirCodes) {
  Service service(kms_, Pcr0(0xa0));
  Evidence unsigned_info = service.Visit(Nonce(8));
  DropHeader(unsigned_info.info, "X-Attestation-Signature");
  EXPECT_EQ(CodeOf(Judge(unsigned_info)), ErrorCode::kLiveResponseUnsigned);

  Evidence other_key = service.Visit(Nonce(8));
  SetHeader(other_key.info, "X-Attestation-Pubkey", "02" + std::string(64, '1'));
  EXPECT_EQ(CodeOf(Judge(other_key)), ErrorCode::kAppSignatureInvalid);

  Service not_set_up(kms_, Pcr0(0xa0), /*set_up=*/false);
  const LiveReport early = Judge(not_set_up.Visit(Nonce(9)));
  EXPECT_EQ(CodeOf(early), ErrorCode::kLiveHttpStatus);
  EXPECT_NE(early.error->detail.find("APP_NOT_SET_UP"), std::string::npos) << early.error->detail;
  EXPECT_EQ(Find(early, "info")->status, CheckStatus::kSkipped);

  Evidence malformed = service.Visit(Nonce(10));
  malformed.info.body = Text(R"({"public_key": "zz"})");
  EXPECT_EQ(CodeOf(Judge(malformed)), ErrorCode::kLiveResponseMalformed);
  malformed.info.body = Text("[1,2]");
  EXPECT_EQ(CodeOf(Judge(malformed)), ErrorCode::kLiveResponseMalformed);

  Evidence garbage = service.Visit(Nonce(11));
  garbage.attestation.body = Text("not a document\n");
  const LiveReport bad_doc = Judge(garbage);
  EXPECT_EQ(CodeOf(bad_doc), ErrorCode::kCborMalformed);
  EXPECT_EQ(bad_doc.verdict, Verdict::kMalformed);

  Evidence wrong_request = service.Visit(Nonce(12));
  wrong_request.nonce = Nonce(13);
  EXPECT_EQ(CodeOf(Judge(wrong_request)), ErrorCode::kBundleInconsistent);
  wrong_request.nonce = Bytes(3, 1);
  EXPECT_EQ(CodeOf(Judge(wrong_request)), ErrorCode::kBundleMalformed);
}

TEST_F(LiveVerify, ABundleGivesTheSameVerdictAndRejectsSwappedMembers) {
  Service service(kms_, Pcr0(0xa0));
  LiveExpectations expectations;
  expectations.required_pcrs[0] = Pcr0(0xa0);
  expectations.max_age_ms = 60000;
  Evidence evidence = service.Visit(Nonce(14));
  evidence.options = {{"expectations", ExpectationsToJson(expectations)}};
  evidence.info.tls_certificate = Text("a certificate");
  const LiveReport live = Judge(evidence, expectations);
  ASSERT_EQ(live.verdict, Verdict::kAccepted);
  evidence.report = LiveReportToJson(live, evidence);
  const EvidenceExtras extras = ExtrasFor(live, evidence);
  EXPECT_NE(extras.chain_pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  auto zip = WriteBundle(evidence, extras);
  ASSERT_TRUE(zip) << zip.error().detail;

  auto read = ReadBundle(*zip);
  ASSERT_TRUE(read) << read.error().detail;
  EXPECT_EQ(read->first.info.tls_certificate, Text("a certificate"));
  EXPECT_TRUE(read->first.attestation.tls_certificate.empty());
  auto recorded = ExpectationsFromJson(read->first.options["expectations"]);
  ASSERT_TRUE(recorded) << recorded.error().detail;
  EXPECT_EQ(recorded->required_pcrs, expectations.required_pcrs);
  EXPECT_EQ(recorded->max_age_ms, expectations.max_age_ms);
  const LiveReport again = Judge(read->first, *recorded);
  EXPECT_EQ(again.verdict, Verdict::kAccepted);
  EXPECT_EQ(LiveReportToJson(again, read->first)["checks"],
            LiveReportToJson(live, evidence)["checks"]);
  EXPECT_TRUE(CheckExtras(again, read->first, read->second));

  // Derived members that are not those of the attestation (a rebuilt, re-manifested bundle).
  EvidenceExtras swapped = extras;
  swapped.chain_pem = extras.chain_pem.substr(extras.chain_pem.find("-----END CERTIFICATE-----"));
  EXPECT_EQ(CheckExtras(again, read->first, swapped).error().code, ErrorCode::kBundleInconsistent);
  swapped = extras;
  swapped.document.back() ^= 1;
  EXPECT_EQ(CheckExtras(again, read->first, swapped).error().code, ErrorCode::kBundleInconsistent);

  // A later visit's evidence with another image expected: the recorded verdict does not
  // carry over, the evidence is judged again.
  LiveExpectations other = expectations;
  other.required_pcrs[0] = Pcr0(0xb0);
  EXPECT_EQ(CodeOf(Judge(read->first, other)), ErrorCode::kPcrMismatch);
}

constexpr const char* kKeyArn = "arn:aws:kms:us-east-1:111122223333:key/agree-1";

// --expect-kms-key: /v1/info kms_key_arn (covered by the response signature) must be the
// expected key; missing or other is KMS_KEY_MISMATCH. Nothing expected: skipped, never failed.
TEST_F(LiveVerify, TheKmsKeyMustBeTheExpectedOne) {
  Service service(kms_, Pcr0(0xa0));
  const app::Secp256k1Key& key = service.service->AttestationKey();
  LiveExpectations expectations;
  expectations.required_pcrs[0] = Pcr0(0xa0);
  expectations.kms_key_arn = kKeyArn;

  // The service names the key it was set up with; an answer without the member fails.
  Evidence without = service.Visit(Nonce(30));
  EXPECT_EQ(Judge(without, expectations).verdict, Verdict::kAccepted);
  json info = json::parse(core::AsChars(without.info.body));
  info.erase("kms_key_arn");
  Resign(without.info, key, info.dump());
  const LiveReport missing = Judge(without, expectations);
  EXPECT_EQ(CodeOf(missing), ErrorCode::kKmsKeyMismatch);
  EXPECT_EQ(Find(missing, "kms_key")->status, CheckStatus::kFail);

  Evidence named = service.Visit(Nonce(31));
  ExtendInfo(named, key, {{"kms_key_arn", kKeyArn}});
  const LiveReport same = Judge(named, expectations);
  ASSERT_EQ(same.verdict, Verdict::kAccepted) << same.error->detail;
  EXPECT_EQ(Find(same, "kms_key")->status, CheckStatus::kPass);
  EXPECT_EQ(*same.claims.kms_key_arn, kKeyArn);
  EXPECT_EQ(LiveReportToJson(same, named)["claims"]["kms_key_arn"], kKeyArn);

  Evidence other = service.Visit(Nonce(32));
  ExtendInfo(other, key, {{"kms_key_arn", "arn:aws:kms:us-east-1:111122223333:key/agree-2"}});
  EXPECT_EQ(CodeOf(Judge(other, expectations)), ErrorCode::kKmsKeyMismatch);
  // A prefix or a case change is another key.
  ExtendInfo(other, key, {{"kms_key_arn", std::string(kKeyArn) + "0"}});
  EXPECT_EQ(CodeOf(Judge(other, expectations)), ErrorCode::kKmsKeyMismatch);

  LiveExpectations no_key = expectations;
  no_key.kms_key_arn.reset();
  const LiveReport unexpected = Judge(other, no_key);
  EXPECT_EQ(unexpected.verdict, Verdict::kAccepted);
  EXPECT_EQ(Find(unexpected, "kms_key")->status, CheckStatus::kSkipped);
}

TEST_F(LiveVerify, TheBlockhashMustBeTheExpectedOne) {
  Service service(kms_, Pcr0(0xa0));
  const app::Secp256k1Key& key = service.service->AttestationKey();
  const std::string blockhash(64, 'b');
  LiveExpectations expectations;
  expectations.required_pcrs[0] = Pcr0(0xa0);
  expectations.blockhash_hex = blockhash;
  // The service was set up without one: "blockhash": null.
  EXPECT_EQ(CodeOf(Judge(service.Visit(Nonce(33)), expectations)), ErrorCode::kBlockhashMismatch);
  Evidence with = service.Visit(Nonce(34));
  ExtendInfo(with, key, {{"blockhash", std::string(64, 'B')}});  // hex case does not matter
  const LiveReport same = Judge(with, expectations);
  ASSERT_EQ(same.verdict, Verdict::kAccepted) << same.error->detail;
  EXPECT_EQ(Find(same, "blockhash")->status, CheckStatus::kPass);
  ExtendInfo(with, key, {{"blockhash", std::string(64, 'c')}});
  EXPECT_EQ(CodeOf(Judge(with, expectations)), ErrorCode::kBlockhashMismatch);
  ExtendInfo(with, key, {{"blockhash", "bb"}});
  EXPECT_EQ(CodeOf(Judge(with, expectations)), ErrorCode::kLiveResponseMalformed);
}

// The exchange signature binds each body to our own exchange: method, path, status and nonce.
TEST_F(LiveVerify, ExchangeSignaturesAreCheckedWhenPresent) {
  Service service(kms_, Pcr0(0xa0));
  const app::Secp256k1Key& key = service.service->AttestationKey();
  const Bytes nonce = Nonce(40);
  const std::string nonce_hex = core::HexEncode(nonce);
  const auto sign_all = [&](Evidence& evidence) {
    AddExchangeSignature(evidence.attestation, key, "GET", "/enclave/attestation", 200, nonce_hex);
    AddExchangeSignature(evidence.info, key, "GET", "/v1/info", 200, "");
    AddExchangeSignature(evidence.enclave_info, key, "GET", "/v1/enclave-info", 200, "");
  };
  Evidence valid = service.Visit(nonce);
  sign_all(valid);
  const LiveReport good = Judge(valid);
  ASSERT_EQ(good.verdict, Verdict::kAccepted) << good.error->detail;
  EXPECT_EQ(good.exchange_signatures, 3);
  EXPECT_EQ(LiveReportToJson(good, valid)["exchange_signatures"], 3);
  // Absent: not required (the seed's services send only the body signature).
  Evidence unsigned_exchanges = service.Visit(nonce);
  for (HttpExchange* exchange : {&unsigned_exchanges.attestation, &unsigned_exchanges.info,
                                 &unsigned_exchanges.enclave_info}) {
    DropHeader(*exchange, std::string(kExchangeSignatureHeader));
  }
  EXPECT_EQ(Judge(unsigned_exchanges).exchange_signatures, 0);
  EXPECT_EQ(Judge(unsigned_exchanges).verdict, Verdict::kAccepted);
  // enclave-app signs every exchange itself.
  EXPECT_EQ(Judge(service.Visit(nonce)).exchange_signatures, 3);

  // /v1/info's signed answer served for /v1/enclave-info's exchange signature and back.
  Evidence swapped = service.Visit(nonce);
  sign_all(swapped);
  AddExchangeSignature(swapped.info, key, "GET", "/v1/enclave-info", 200, "");
  EXPECT_EQ(CodeOf(Judge(swapped)), ErrorCode::kAppSignatureInvalid);
  EXPECT_EQ(Find(Judge(swapped), "response_signatures")->status, CheckStatus::kFail);

  Evidence status = service.Visit(nonce);
  sign_all(status);
  AddExchangeSignature(status.enclave_info, key, "GET", "/v1/enclave-info", 500, "");
  EXPECT_EQ(CodeOf(Judge(status)), ErrorCode::kAppSignatureInvalid);

  Evidence replayed = service.Visit(nonce);
  sign_all(replayed);
  AddExchangeSignature(replayed.attestation, key, "GET", "/enclave/attestation", 200,
                       core::HexEncode(Nonce(41)));
  EXPECT_EQ(CodeOf(Judge(replayed)), ErrorCode::kAppSignatureInvalid);

  Evidence method = service.Visit(nonce);
  sign_all(method);
  AddExchangeSignature(method.info, key, "POST", "/v1/info", 200, "");
  EXPECT_EQ(CodeOf(Judge(method)), ErrorCode::kAppSignatureInvalid);

  Evidence garbage = service.Visit(nonce);
  sign_all(garbage);
  SetHeader(garbage.info, std::string(kExchangeSignatureHeader), "zz");
  EXPECT_EQ(CodeOf(Judge(garbage)), ErrorCode::kAppSignatureInvalid);
}

// Issue 12 item 7: untrusted JSON never throws. The exact 500 body that used to abort
// `verify --url` with an uncaught nlohmann::json::type_error, then type confusion in every
// member the verifier reads.
TEST_F(LiveVerify, UntrustedJsonOfAnyShapeNeverThrows) {
  Service service(kms_, Pcr0(0xa0));
  const app::Secp256k1Key& key = service.service->AttestationKey();
  Evidence error = service.Visit(Nonce(50));
  error.info.status = 500;
  error.info.body = Text(R"({"error":{"code":1,"message":["x"]}})");
  const LiveReport failed = Judge(error);
  EXPECT_EQ(CodeOf(failed), ErrorCode::kLiveHttpStatus);
  EXPECT_NE(failed.error->detail.find("1: (array)"), std::string::npos) << failed.error->detail;
  for (const char* body :
       {R"({"error":"x"})", R"({"error":{"code":null,"message":{"a":1}}})", R"({"error":[1]})",
        R"([1,2])", "null", R"({"error":{"code":"E","message":"m"}})", "ÿþ"}) {
    error.info.body = Text(body);
    EXPECT_EQ(CodeOf(Judge(error)), ErrorCode::kLiveHttpStatus) << body;
  }

  const std::string good_key = core::HexEncode(service.service->AttestationKey().Compressed());
  for (const json& value : {json(1), json(nullptr), json::array({"02"}), json::object({{"k", "v"}}),
                            json(true), json(1.5)}) {
    for (const char* member :
         {"public_key", "key_mode", "kms_key_arn", "blockhash", "key_policy"}) {
      Evidence info = service.Visit(Nonce(51));
      if (std::string(member) == "key_policy" && value.is_null()) {
        continue;  // an explicit null is "absent" for optional members
      }
      if (value.is_null() && std::string(member) != "public_key") {
        continue;
      }
      ExtendInfo(info, key, {{member, value}});
      const LiveReport report = Judge(info);
      EXPECT_EQ(CodeOf(report), ErrorCode::kLiveResponseMalformed) << member << "=" << value;
    }
    for (const char* member : {"attestation_pubkey", "version", "dev"}) {
      if ((value.is_null() && std::string(member) != "attestation_pubkey") ||
          (value.is_boolean() && std::string(member) == "dev")) {
        continue;  // absent, or the right type
      }
      Evidence info = service.Visit(Nonce(52));
      json body = json::parse(core::AsChars(info.enclave_info.body));
      body[member] = value;
      Resign(info.enclave_info, key, body.dump());
      EXPECT_EQ(CodeOf(Judge(info)), ErrorCode::kLiveResponseMalformed) << member << "=" << value;
    }
  }
  // key_policy members of the wrong type, and a well-formed one (informational).
  for (const json& policy :
       {json{{"checked", "yes"}, {"sha256", nullptr}, {"enclave_only", true}, {"locked", true}},
        json{{"checked", true}, {"sha256", 5}, {"enclave_only", true}, {"locked", true}},
        json{{"checked", true}, {"sha256", nullptr}, {"enclave_only", nullptr}, {"locked", true}},
        json{{"checked", true}, {"sha256", nullptr}, {"enclave_only", true}}}) {
    Evidence info = service.Visit(Nonce(53));
    ExtendInfo(info, key, {{"key_policy", policy}});
    EXPECT_EQ(CodeOf(Judge(info)), ErrorCode::kLiveResponseMalformed) << policy;
  }
  Evidence info = service.Visit(Nonce(54));
  ExtendInfo(info, key,
             {{"key_policy",
               {{"checked", true},
                {"sha256", std::string(64, 'a')},
                {"enclave_only", true},
                {"locked", false}}}});
  const LiveReport claimed = Judge(info);
  ASSERT_EQ(claimed.verdict, Verdict::kAccepted) << claimed.error->detail;
  ASSERT_TRUE(claimed.claims.key_policy);
  EXPECT_FALSE(claimed.claims.key_policy->locked);
  EXPECT_EQ(LiveReportToJson(claimed, info)["claims"]["key_policy"]["enclave_only"], true);
  // Nested deeper than the JSON limit, duplicate keys, a non-finite number.
  for (const std::string& body : {std::string(100, '[') + std::string(100, ']'),
                                  R"({"public_key":")" + good_key + R"(","public_key":"x"})",
                                  std::string(R"({"n":1e999})")}) {
    Evidence odd = service.Visit(Nonce(55));
    Resign(odd.info, key, body);
    EXPECT_EQ(CodeOf(Judge(odd)), ErrorCode::kLiveResponseMalformed) << body;
  }
}

TEST(LiveExpectationsJson, RoundTripsAndRejectsMalformedRecords) {
  LiveExpectations expectations;
  expectations.allowed_pcr_sets = {{{0, Pcr0(1)}, {1, Pcr0(2)}}, {{0, Pcr0(3)}}};
  expectations.required_pcrs = {{8, Pcr0(4)}};
  expectations.allow_debug = true;
  expectations.kms_key_arn = kKeyArn;
  auto back = ExpectationsFromJson(ExpectationsToJson(expectations));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back->allowed_pcr_sets, expectations.allowed_pcr_sets);
  EXPECT_EQ(back->required_pcrs, expectations.required_pcrs);
  EXPECT_FALSE(back->max_age_ms);
  EXPECT_TRUE(back->allow_debug);
  EXPECT_EQ(back->kms_key_arn, expectations.kms_key_arn);
  EXPECT_NE(DescribeExpectations(*back).find("PCR8="), std::string::npos);
  for (const char* text :
       {R"([])", R"({"allowed_pcr_sets": {}})", R"({"allowed_pcr_sets": [{"PCR0": "zz"}]})",
        R"({"required_pcrs": {"PCR0": "00"}})", R"({"max_age_ms": -5})", R"({"max_age_ms": "5m"})",
        R"({"allow_debug": 1})", R"({"required_pcrs": [1]})", R"({"allowed_pcr_sets": [null]})",
        R"({"kms_key_arn": 5})", R"({"any_image": "yes"})", R"({"max_age_ms": 1.5})"}) {
    auto parsed = ExpectationsFromJson(json::parse(text));
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kBundleMalformed) << text;
  }
}

// verify lineage --targets: `URL pcr0=HEX`, oldest first; a bad line is named.
TEST(LiveTargets, LineageTargetsAreUrlAndPcr0PerLine) {
  const std::string upper(96, 'A');
  auto parsed =
      ParseLineageTargets("# v1 then v2\n\nhttps://v1.example/ pcr0=" + upper +
                          "\n  http://127.0.0.1:7074\tpcr0=" + std::string(96, 'b') + "  \n");
  ASSERT_TRUE(parsed) << parsed.error().detail;
  ASSERT_EQ(parsed->size(), 2U);
  EXPECT_EQ((*parsed)[0].url, "https://v1.example");
  EXPECT_EQ((*parsed)[0].pcr0_hex, std::string(96, 'a'));
  EXPECT_EQ((*parsed)[0].line, 3);
  EXPECT_EQ((*parsed)[1].line, 4);
  for (const std::string& bad : std::vector<std::string>{
           "https://v1.example", "https://v1.example pcr0=ab", "https://v1.example pcr1=" + upper,
           "ftp://v1 pcr0=" + upper, "https://v1.example pcr0=" + std::string(95, 'a') + "g",
           std::string("# only\n")}) {
    auto refused = ParseLineageTargets("# header\n" + bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kLineageInvalid) << bad;
  }
  EXPECT_EQ(ParseLineageTargets("\nhttps://a pcr0=zz").error().index, 2);
}

TEST(LiveTargets, UrlsAreNormalisedAndBadLinesNamed) {
  EXPECT_EQ(*NormalizeServiceUrl("https://signer.example.com/"), "https://signer.example.com");
  EXPECT_EQ(*NormalizeServiceUrl("http://127.0.0.1:7074"), "http://127.0.0.1:7074");
  for (const char* bad : {"ftp://x", "signer.example.com", "https://", "https://a/b",
                          "https://a?x=1", "https://u@a", "http://a b"}) {
    auto url = NormalizeServiceUrl(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  auto targets = ParseTargets("# fleet\n\nhttp://a:1\n  https://b/  \r\n#http://c\n");
  ASSERT_TRUE(targets) << targets.error().detail;
  EXPECT_EQ(*targets, (std::vector<std::string>{"http://a:1", "https://b"}));
  auto bad = ParseTargets("http://a:1\nnot a url\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kTargetsInvalid);
  EXPECT_EQ(bad.error().index, 2);
  EXPECT_EQ(ParseTargets("# nothing\n\n").error().code, ErrorCode::kTargetsInvalid);
  std::string many;
  for (std::size_t i = 0; i <= kMaxTargets; ++i) {
    many += "http://h" + std::to_string(i) + "\n";
  }
  EXPECT_EQ(ParseTargets(many).error().code, ErrorCode::kTargetsInvalid);
}

// `verify --bundle` called directly (reverify.hpp): the verdict comes from the caller's
// expectations only; what the bundle recorded (its expectations, verdict and root) is shown,
// never used, and without an image expectation an accepted bundle is not judged.
TEST_F(LiveVerify, AReverifiedBundleIsJudgedByTheCallersExpectationsOnly) {
  Service service(kms_, Pcr0(0xa0));
  LiveExpectations recorded;
  recorded.required_pcrs[0] = Pcr0(0xa0);
  Evidence evidence = service.Visit(Nonce(40));
  evidence.options = {{"expectations", ExpectationsToJson(recorded)},
                      {"root", {{"sha256", "0123456789abcdef0123"}}}};
  const LiveReport live = Judge(evidence, recorded);
  ASSERT_EQ(live.verdict, Verdict::kAccepted);
  auto zip = BundleOfVisit(evidence, live);
  ASSERT_TRUE(zip) << zip.error().detail;
  const VerifierConfig config{&testing::TestRoot(), nullptr};

  LiveExpectations other;
  other.required_pcrs[0] = Pcr0(0xb0);
  auto judged = ReverifyBundle(*zip, config, other);
  ASSERT_TRUE(judged) << judged.error().detail;
  EXPECT_EQ(CodeOf(judged->report), ErrorCode::kPcrMismatch);
  EXPECT_TRUE(judged->judged);
  ASSERT_FALSE(judged->report.checks.empty());
  EXPECT_EQ(judged->report.checks.front().name, "bundle");
  EXPECT_EQ(judged->report.checks.front().status, CheckStatus::kPass);
  EXPECT_EQ(judged->recorded_verdict, "accepted");
  EXPECT_EQ(judged->recorded_expectations, DescribeExpectations(recorded));
  EXPECT_EQ(judged->recorded_root_sha256, "0123456789abcdef0123");
  EXPECT_EQ(judged->expectations, DescribeExpectations(other));

  auto same = ReverifyBundle(*zip, config, recorded);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->report.verdict, Verdict::kAccepted);
  std::ostringstream text;
  RenderBundleText(text, *same, "b.zip", "fedcba");
  EXPECT_EQ(text.str().rfind("ACCEPTED  http://127.0.0.1:7074\n", 0), 0U) << text.str();
  EXPECT_NE(text.str().find("note          the visit trusted another root"), std::string::npos);

  // Nothing expected about the image: genuine, never ACCEPTED, unless --any-image says so.
  auto unjudged = ReverifyBundle(*zip, config, LiveExpectations{});
  ASSERT_TRUE(unjudged);
  EXPECT_EQ(unjudged->report.verdict, Verdict::kAccepted);
  EXPECT_FALSE(unjudged->judged);
  const core::Error usage{ErrorCode::kInvalidArgument, "no expectation", -1};
  const json out = BundleVerificationToJson(*unjudged, "b.zip", usage);
  EXPECT_EQ(out["verdict"], "not_judged");
  EXPECT_EQ(out["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(out["bundle"]["path"], "b.zip");
  text.str("");
  RenderBundleText(text, *unjudged, "b.zip", "0123456789abcdef0123");
  EXPECT_EQ(text.str().rfind("GENUINE, NOT JUDGED", 0), 0U) << text.str();
  EXPECT_EQ(text.str().find("another root"), std::string::npos);
  LiveExpectations any;
  any.any_image = true;
  auto any_image = ReverifyBundle(*zip, config, any);
  ASSERT_TRUE(any_image);
  EXPECT_TRUE(any_image->judged);
  EXPECT_EQ(BundleVerificationToJson(*any_image, "b.zip", usage)["verdict"], "accepted");

  // Derived members that are not those of the attestation: a failed "bundle" check first.
  EvidenceExtras swapped = ExtrasFor(live, evidence);
  swapped.document.back() ^= 1;
  Evidence recorded_evidence = evidence;
  recorded_evidence.report = LiveReportToJson(live, evidence);
  auto rebuilt = WriteBundle(recorded_evidence, swapped);
  ASSERT_TRUE(rebuilt);
  auto inconsistent = ReverifyBundle(*rebuilt, config, recorded);
  ASSERT_TRUE(inconsistent);
  EXPECT_EQ(CodeOf(inconsistent->report), ErrorCode::kBundleInconsistent);
  EXPECT_EQ(inconsistent->report.checks.front().status, CheckStatus::kFail);
  // An archive that cannot be read is an error, not a report.
  EXPECT_FALSE(ReverifyBundle(Bytes(zip->begin(), zip->begin() + 100), config, recorded));
}

// `verify --targets` called directly (fleet.hpp): each visit judged with one warm cache,
// counted, and the first failure in target order decides the exit.
TEST_F(LiveVerify, AFleetCountsEveryVisitAndNamesTheFirstFailure) {
  Service good(kms_, Pcr0(0xa0));
  Service other(kms_, Pcr0(0xb0));
  std::vector<core::Result<Evidence>> visits;
  visits.emplace_back(good.Visit(Nonce(50)));
  visits.emplace_back(core::Fail(ErrorCode::kNetwork, "connection refused"));
  visits.emplace_back(other.Visit(Nonce(51)));
  visits.emplace_back(good.Visit(Nonce(52)));
  const std::vector<std::string> urls = {"http://a", "http://down", "http://b", "http://c"};
  LiveExpectations expectations;
  expectations.required_pcrs[0] = Pcr0(0xa0);
  const json recorded = {{"insecure_tls", false}};
  const FleetReport report =
      VerifyFleet(urls, std::move(visits), testing::TestRoot(), expectations, recorded);
  ASSERT_EQ(report.entries.size(), 4U);
  EXPECT_EQ(report.accepted, 2U);
  EXPECT_EQ(report.rejected, 1U);
  EXPECT_EQ(report.malformed, 0U);
  EXPECT_EQ(report.unreachable, 1U);
  ASSERT_TRUE(report.first_failure);
  EXPECT_EQ(report.first_failure->code, ErrorCode::kNetwork);
  EXPECT_EQ(report.entries[2].report.error->code, ErrorCode::kPcrMismatch);
  EXPECT_EQ(report.entries[3].evidence.options, recorded);
  EXPECT_GT(report.cache.hits, 0U);

  const json out = FleetReportToJson(report);
  EXPECT_EQ(out["media_type"], kFleetMediaType);
  EXPECT_EQ(out["verdict"], "error");  // the first failure, unreachable: exit 74
  EXPECT_EQ(out["summary"]["total"], 4);
  EXPECT_EQ(out["targets"][1]["verdict"], "error");
  EXPECT_EQ(out["targets"][2]["verdict"], "rejected");
  EXPECT_EQ(out["options"], recorded);
  std::ostringstream text;
  RenderFleetText(text, report, false, false);
  EXPECT_EQ(text.str().rfind("PASS  http://a  PCR0 a0a0a0a0a0a0a0a0...  key ", 0), 0U)
      << text.str();
  EXPECT_NE(text.str().find("\nFAIL  http://down  NETWORK (802): connection refused\n"),
            std::string::npos);
  EXPECT_NE(text.str().find("\nFAIL  http://b  PCR_MISMATCH ("), std::string::npos);
  EXPECT_NE(text.str().find("4 services: 2 accepted, 2 failed (1 rejected, 0 malformed, 1 "
                            "unreachable)"),
            std::string::npos);
}

// Issue 14 item 6: GET /v1/migration-status in a visit (verify --check-migration, migration
// status). The service on main has no migration yet ({"state":null}); pending and completed
// states are bodies signed here with the service's own attestation key, as it would sign them.
Evidence VisitWithMigration(Service& service, const Bytes& nonce) {
  Evidence evidence = service.Visit(nonce);
  evidence.migration_status =
      Record("/v1/migration-status", service.service->Handle(Get("/v1/migration-status")));
  return evidence;
}

// /v1/enclave-info with `extra` members merged in, re-signed.
void ExtendEnclaveInfo(Evidence& evidence, const app::Secp256k1Key& key, const json& extra) {
  json info = json::parse(core::AsChars(evidence.enclave_info.body));
  for (const auto& [name, value] : extra.items()) {
    info[name] = value;
  }
  Resign(evidence.enclave_info, key, info.dump());
}

std::string Hex48(std::uint8_t fill) { return core::HexEncode(Pcr0(fill)); }

// A migration state body of V1 = Pcr0(0xa0) to `target`.
std::string StateBody(const std::string& target, std::int64_t completed_at,
                      bool cooldown_expired = false) {
  json state = {{"target_pcr0", target},      {"v2_kms_key_id", ""},
                {"initiated_at", 1700000000}, {"source_pcr0", Hex48(0xa0)},
                {"previous_pcr0", "genesis"}, {"activation_time", 1700090000}};
  if (completed_at != 0) {
    state["completed_at"] = completed_at;
  }
  json body = {{"state", state}};
  if (cooldown_expired) {
    body["cooldown_expired"] = true;
  }
  return body.dump() + "\n";
}

TEST_F(LiveVerify, MigrationStatusIsSignedDecodedAndConsistent) {
  Service service(kms_, Pcr0(0xa0));
  const app::Secp256k1Key& key = service.service->AttestationKey();
  LiveExpectations expect;
  expect.required_pcrs[0] = Pcr0(0xa0);

  // No migration: four responses signed, "no migration pending".
  const Evidence none = VisitWithMigration(service, Nonce(40));
  const LiveReport report = Judge(none, expect);
  ASSERT_EQ(report.verdict, Verdict::kAccepted) << (report.error ? report.error->detail : "");
  EXPECT_EQ(report.responses_signed, 4);
  EXPECT_EQ(Find(report, "migration_status")->status, CheckStatus::kPass);
  ASSERT_TRUE(report.migration);
  EXPECT_FALSE(report.migration->state);
  EXPECT_EQ(MigrationStateWords(report, none.captured_at), "no migration pending");
  EXPECT_EQ(Find(report, "retired")->status, CheckStatus::kPass);
  const json out = LiveReportToJson(report, none);
  EXPECT_EQ(out["migration"]["words"], "no migration pending");
  EXPECT_EQ(out["retired"], false);
  // Without the fetch the check is skipped, three responses signed.
  const LiveReport plain = Judge(service.Visit(Nonce(41)), expect);
  EXPECT_EQ(Find(plain, "migration_status")->status, CheckStatus::kSkipped);
  EXPECT_EQ(plain.responses_signed, 3);
  EXPECT_FALSE(LiveReportToJson(plain, service.Visit(Nonce(41))).contains("migration"));

  // Pending, in its cooldown (the spec's 24 h from initiation).
  Evidence pending = VisitWithMigration(service, Nonce(42));
  Resign(*pending.migration_status, key, StateBody(Hex48(0xb0), 0));
  pending.captured_at = core::UnixMillis{(1700000000LL + 3600) * 1000};
  LiveReport judged = Judge(pending, expect);
  // The document is checked at captured_at; judge the words at that time only.
  ASSERT_TRUE(judged.migration) << (judged.error ? judged.error->detail : "");
  EXPECT_EQ(MigrationStateWords(judged, pending.captured_at),
            "PENDING (cooldown until 2023-11-15T22:13:20Z, 23h0m remaining)");
  pending = VisitWithMigration(service, Nonce(42));
  Resign(*pending.migration_status, key, StateBody(Hex48(0xb0), 0));
  judged = Judge(pending, expect);
  ASSERT_EQ(judged.verdict, Verdict::kAccepted) << judged.error->detail;
  ASSERT_TRUE(judged.migration->state);
  EXPECT_EQ(judged.migration->state->target_pcr0, Hex48(0xb0));
  std::ostringstream text;
  RenderLiveText(text, judged, pending, "", LiveHeadline(judged));
  EXPECT_NE(text.str().find("maintainer    (not configured)"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("target PCR0   " + Hex48(0xb0)), std::string::npos);
  EXPECT_NE(text.str().find("initiated     2023-11-14T22:13:20Z"), std::string::npos);

  Evidence expired = VisitWithMigration(service, Nonce(43));
  Resign(*expired.migration_status, key, StateBody(Hex48(0xb0), 0, true));
  judged = Judge(expired, expect);
  ASSERT_EQ(judged.verdict, Verdict::kAccepted);
  EXPECT_EQ(MigrationStateWords(judged, expired.captured_at), "EXPIRED (ready for completion)");

  // Completed while the enclave still signs (no migrated_to_pcr0): two signers.
  Evidence completed = VisitWithMigration(service, Nonce(44));
  Resign(*completed.migration_status, key, StateBody(Hex48(0xb0), 1700100000));
  EXPECT_EQ(CodeOf(Judge(completed, expect)), ErrorCode::kMigrationInconsistent);
  // Completed and retired: ENCLAVE_RETIRED unless retired enclaves are allowed.
  ExtendEnclaveInfo(completed, key, {{"migrated_to_pcr0", Hex48(0xb0)}});
  const LiveReport retired = Judge(completed, expect);
  EXPECT_EQ(CodeOf(retired), ErrorCode::kEnclaveRetired);
  EXPECT_EQ(Find(retired, "retired")->status, CheckStatus::kFail);
  LiveExpectations allow = expect;
  allow.allow_retired = true;
  const LiveReport shown = Judge(completed, allow);
  ASSERT_EQ(shown.verdict, Verdict::kAccepted) << shown.error->detail;
  EXPECT_EQ(MigrationStateWords(shown, completed.captured_at), "COMPLETED at 2023-11-16T02:00:00Z");
  EXPECT_EQ(LiveReportToJson(shown, completed)["retired"], true);
  EXPECT_EQ(LiveReportToJson(shown, completed)["claims"]["migrated_to_pcr0"], Hex48(0xb0));
  std::ostringstream retired_text;
  RenderLiveText(retired_text, shown, completed, "", LiveHeadline(shown));
  EXPECT_NE(retired_text.str().find("RETIRED       its key moved to PCR0"), std::string::npos);
  // Retired to another PCR0 than the state says.
  Evidence other = VisitWithMigration(service, Nonce(45));
  Resign(*other.migration_status, key, StateBody(Hex48(0xb0), 1700100000));
  ExtendEnclaveInfo(other, key, {{"migrated_to_pcr0", Hex48(0xc0)}});
  EXPECT_EQ(CodeOf(Judge(other, allow)), ErrorCode::kMigrationInconsistent);
  // Retired while the state is still pending.
  Evidence early = VisitWithMigration(service, Nonce(46));
  Resign(*early.migration_status, key, StateBody(Hex48(0xb0), 0));
  ExtendEnclaveInfo(early, key, {{"migrated_to_pcr0", Hex48(0xb0)}});
  EXPECT_EQ(CodeOf(Judge(early, allow)), ErrorCode::kMigrationInconsistent);
  // A state whose source is another enclave.
  Evidence foreign = VisitWithMigration(service, Nonce(47));
  json state = json::parse(StateBody(Hex48(0xb0), 0));
  state["state"]["source_pcr0"] = Hex48(0xd0);
  Resign(*foreign.migration_status, key, state.dump());
  EXPECT_EQ(CodeOf(Judge(foreign, expect)), ErrorCode::kMigrationInconsistent);
  // A key migrated from another image than the one it names as predecessor.
  Evidence from = VisitWithMigration(service, Nonce(48));
  ExtendEnclaveInfo(from, key, {{"migrated_from_pcr0", Hex48(0xd0)}});
  EXPECT_EQ(CodeOf(Judge(from, expect)), ErrorCode::kMigrationInconsistent);
  // ... or from itself.
  Evidence self = VisitWithMigration(service, Nonce(49));
  ExtendEnclaveInfo(self, key, {{"migrated_to_pcr0", Hex48(0xa0)}});
  EXPECT_EQ(CodeOf(Judge(self, allow)), ErrorCode::kMigrationInconsistent);
}

TEST_F(LiveVerify, HostileMigrationAnswersAreRefused) {
  Service service(kms_, Pcr0(0xa0));
  const app::Secp256k1Key& key = service.service->AttestationKey();
  LiveExpectations expect;
  expect.required_pcrs[0] = Pcr0(0xa0);
  const auto judge_status = [&](const std::string& body) {
    Evidence evidence = VisitWithMigration(service, Nonce(50));
    Resign(*evidence.migration_status, key, body);
    return CodeOf(Judge(evidence, expect));
  };
  // Not signed, signed by another key, or a body that is not the signed one.
  Evidence unsigned_status = VisitWithMigration(service, Nonce(51));
  DropHeader(*unsigned_status.migration_status, "X-Attestation-Signature");
  EXPECT_EQ(CodeOf(Judge(unsigned_status, expect)), ErrorCode::kLiveResponseUnsigned);
  Evidence tampered = VisitWithMigration(service, Nonce(52));
  tampered.migration_status->body = Text(StateBody(Hex48(0xb0), 0));
  EXPECT_EQ(CodeOf(Judge(tampered, expect)), ErrorCode::kAppSignatureInvalid);
  Evidence foreign_key = VisitWithMigration(service, Nonce(53));
  Service another(kms_, Pcr0(0xa0));
  const app::Secp256k1Key* other = &another.service->AttestationKey();
  Resign(*foreign_key.migration_status, *other, StateBody(Hex48(0xb0), 0));
  EXPECT_EQ(CodeOf(Judge(foreign_key, expect)), ErrorCode::kAppSignatureInvalid);
  // An error status.
  Evidence failed = VisitWithMigration(service, Nonce(54));
  failed.migration_status->status = 500;
  EXPECT_EQ(CodeOf(Judge(failed, expect)), ErrorCode::kLiveHttpStatus);
  // Wrong JSON types (Go would refuse them too) and ill-formed values.
  EXPECT_EQ(judge_status(R"({"state":"pending"})"), ErrorCode::kIntrospectorBodyMalformed);
  EXPECT_EQ(judge_status(R"({"state":{"target_pcr0":")" + Hex48(0xb0) +
                         R"(","initiated_at":"1700000000"}})"),
            ErrorCode::kIntrospectorBodyMalformed);
  EXPECT_EQ(
      judge_status(R"({"state":{"target_pcr0":")" + Hex48(0xb0) + R"(","initiated_at":1.5}})"),
      ErrorCode::kIntrospectorBodyMalformed);
  EXPECT_EQ(judge_status(R"({"state":null,"cooldown_expired":"yes"})"),
            ErrorCode::kIntrospectorBodyMalformed);
  EXPECT_EQ(judge_status("[]"), ErrorCode::kIntrospectorBodyMalformed);
  EXPECT_EQ(judge_status(R"({"state":{"target_pcr0":"zz","initiated_at":1700000000}})"),
            ErrorCode::kMigrationStatusInvalid);
  EXPECT_EQ(judge_status(R"({"state":{"target_pcr0":")" + Hex48(0xb0) + R"(","initiated_at":0}})"),
            ErrorCode::kMigrationStatusInvalid);
  EXPECT_EQ(judge_status(R"({"state":null,"cooldown_expired":true})"),
            ErrorCode::kMigrationStatusInvalid);
  // Hostile enclave-info members.
  const auto judge_info = [&](const json& extra) {
    Evidence evidence = VisitWithMigration(service, Nonce(55));
    ExtendEnclaveInfo(evidence, key, extra);
    return CodeOf(Judge(evidence, expect));
  };
  EXPECT_EQ(judge_info({{"migrated_to_pcr0", "xyz"}}), ErrorCode::kMigrationStatusInvalid);
  EXPECT_EQ(judge_info({{"migrated_to_pcr0", 7}}), ErrorCode::kIntrospectorBodyMalformed);
  EXPECT_EQ(judge_info({{"migrated_from_pcr0", Hex48(0xb0).substr(2)}}),
            ErrorCode::kMigrationStatusInvalid);
  EXPECT_EQ(judge_info({{"key_origin_provable", "no"}}), ErrorCode::kIntrospectorBodyMalformed);
  EXPECT_EQ(judge_info({{"maintainer_pubkey", "02"}}), ErrorCode::kMigrationStatusInvalid);
  // /v1/info's signerPubkey must be the key it serves as public_key.
  Evidence signer = VisitWithMigration(service, Nonce(56));
  ExtendInfo(signer, key, {{"signerPubkey", core::HexEncode(other->Compressed())}});
  EXPECT_EQ(CodeOf(Judge(signer, expect)), ErrorCode::kLiveResponseMalformed);
  // The provenance is shown: an adopted key is not provable.
  Evidence adopted = VisitWithMigration(service, Nonce(57));
  ExtendEnclaveInfo(adopted, key, {{"key_origin", "adopted"}, {"key_origin_provable", false}});
  const LiveReport shown = Judge(adopted, expect);
  ASSERT_EQ(shown.verdict, Verdict::kAccepted);
  EXPECT_EQ(shown.claims.key_origin_provable, std::optional<bool>(false));
  std::ostringstream text;
  RenderLiveText(text, shown, adopted, "", LiveHeadline(shown));
  EXPECT_NE(text.str().find("adopted (NOT PROVABLE"), std::string::npos) << text.str();
}

// verify lineage: every version attested with the PCR0 its line names, then linked.
TEST_F(LiveVerify, ALineageWalkChecksEveryStepAndEveryLink) {
  Service v1(kms_, Pcr0(0xa1));
  Service v2(kms_, Pcr0(0xa2), true, Hex48(0xa1));
  Service v3(kms_, Pcr0(0xa3), true, Hex48(0xa2));
  const auto target = [](std::uint8_t fill, int line) {
    return LineageTarget{"http://127.0.0.1:" + std::to_string(7000 + fill), Hex48(fill), line};
  };
  const auto walk = [&](std::vector<LineageTarget> targets, std::vector<Evidence> evidence) {
    std::vector<core::Result<Evidence>> visits;
    for (Evidence& e : evidence) {
      visits.emplace_back(std::move(e));
    }
    return VerifyLineageWalk(targets, std::move(visits), testing::TestRoot(), {});
  };
  const LineageWalkReport ok =
      walk({target(0xa1, 1), target(0xa2, 2), target(0xa3, 4)},
           {v1.Visit(Nonce(60)), v2.Visit(Nonce(61)), v3.Visit(Nonce(62))});
  ASSERT_EQ(ok.verdict, Verdict::kAccepted) << ok.error->detail;
  const json out = LineageWalkToJson(ok);
  EXPECT_EQ(out["chain"].size(), 4U);
  EXPECT_EQ(out["steps"][2]["previous_pcr0"], Hex48(0xa2));
  std::ostringstream text;
  RenderLineageWalkText(text, ok);
  EXPECT_NE(text.str().find("ACCEPTED"), std::string::npos);

  // Broken: v3 listed right after v1.
  const LineageWalkReport broken =
      walk({target(0xa1, 1), target(0xa3, 2)}, {v1.Visit(Nonce(63)), v3.Visit(Nonce(64))});
  ASSERT_TRUE(broken.error);
  EXPECT_EQ(broken.error->code, ErrorCode::kLineageBroken);
  EXPECT_EQ(broken.error->index, 1);
  // The first step must be genesis.
  const LineageWalkReport headless = walk({target(0xa2, 1)}, {v2.Visit(Nonce(65))});
  EXPECT_EQ(headless.error->code, ErrorCode::kLineageBroken);
  EXPECT_EQ(headless.error->index, 0);
  // A step whose attested PCR0 is not the line's.
  const LineageWalkReport wrong =
      walk({target(0xa1, 1), target(0xa2, 2)}, {v1.Visit(Nonce(66)), v3.Visit(Nonce(67))});
  EXPECT_EQ(wrong.error->code, ErrorCode::kPcrMismatch);
  EXPECT_EQ(wrong.error->index, 1);
  EXPECT_NE(wrong.error->detail.find("step 1"), std::string::npos) << wrong.error->detail;
  // A PCR0 twice (a genesis image listed twice).
  const LineageWalkReport twice =
      walk({target(0xa1, 1), target(0xa1, 2)}, {v1.Visit(Nonce(68)), v1.Visit(Nonce(69))});
  EXPECT_EQ(twice.error->code, ErrorCode::kLineageBroken);
  // An unreachable step.
  std::vector<core::Result<Evidence>> visits;
  visits.emplace_back(v1.Visit(Nonce(70)));
  visits.emplace_back(core::Fail(ErrorCode::kNetwork, "connection refused"));
  const LineageWalkReport down = VerifyLineageWalk({target(0xa1, 1), target(0xa2, 2)},
                                                   std::move(visits), testing::TestRoot(), {});
  EXPECT_EQ(down.error->code, ErrorCode::kNetwork);
  EXPECT_EQ(down.error->index, 1);
  EXPECT_EQ(LineageWalkToJson(down)["steps"][1]["verdict"], "error");

  // A retired version is fine when it handed its key to the next one.
  Evidence retired = v1.Visit(Nonce(71));
  ExtendEnclaveInfo(retired, v1.service->AttestationKey(), {{"migrated_to_pcr0", Hex48(0xa2)}});
  const LineageWalkReport handed =
      walk({target(0xa1, 1), target(0xa2, 2)}, {retired, v2.Visit(Nonce(72))});
  ASSERT_EQ(handed.verdict, Verdict::kAccepted) << handed.error->detail;
  EXPECT_EQ(LineageWalkToJson(handed)["steps"][0]["retired"], true);
  // ... not when it says it handed it elsewhere, nor when it is the newest listed.
  Evidence elsewhere = v1.Visit(Nonce(73));
  ExtendEnclaveInfo(elsewhere, v1.service->AttestationKey(), {{"migrated_to_pcr0", Hex48(0xa3)}});
  const LineageWalkReport stolen =
      walk({target(0xa1, 1), target(0xa2, 2)}, {elsewhere, v2.Visit(Nonce(74))});
  EXPECT_EQ(stolen.error->code, ErrorCode::kLineageBroken);
  EXPECT_EQ(stolen.error->index, 0);
  const LineageWalkReport last = walk({target(0xa1, 1)}, {retired});
  EXPECT_EQ(last.error->code, ErrorCode::kEnclaveRetired);
}

}  // namespace
}  // namespace enclavectl::verifier
