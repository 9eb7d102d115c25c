// Live verification judged from evidence (verifier/live.hpp), with evidence produced by the
// real key service (enclave-app's service layer on the NSM simulator, an in-process KMS): a
// visit passes; then each way a service or the path to it can lie -- another image, a
// replayed or stale document, a body altered in transit, a signing key that is not the one in
// PCR16, a document without appKeyHash, unsigned responses, HTTP errors, malformed answers --
// gives its specific error code. Bundles round-trip to the same verdict and reject tampering.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/collect.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "enclavectl/verifier/live.hpp"

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
  Service(testing::FakeKms& kms, const Bytes& pcr0, bool set_up = true) : enclave(pcr0) {
    app::ServiceOptions options;
    options.version = "live-test";
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
  EXPECT_EQ(out["mediaType"], kLiveMediaType);
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

TEST(LiveExpectationsJson, RoundTripsAndRejectsMalformedRecords) {
  LiveExpectations expectations;
  expectations.allowed_pcr_sets = {{{0, Pcr0(1)}, {1, Pcr0(2)}}, {{0, Pcr0(3)}}};
  expectations.required_pcrs = {{8, Pcr0(4)}};
  expectations.allow_debug = true;
  auto back = ExpectationsFromJson(ExpectationsToJson(expectations));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back->allowed_pcr_sets, expectations.allowed_pcr_sets);
  EXPECT_EQ(back->required_pcrs, expectations.required_pcrs);
  EXPECT_FALSE(back->max_age_ms);
  EXPECT_TRUE(back->allow_debug);
  for (const char* text :
       {R"([])", R"({"allowed_pcr_sets": {}})", R"({"allowed_pcr_sets": [{"PCR0": "zz"}]})",
        R"({"required_pcrs": {"PCR0": "00"}})", R"({"max_age_ms": -5})", R"({"max_age_ms": "5m"})",
        R"({"allow_debug": 1})"}) {
    auto parsed = ExpectationsFromJson(json::parse(text));
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kBundleMalformed) << text;
  }
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

}  // namespace
}  // namespace enclavectl::verifier
