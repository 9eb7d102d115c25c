// The Introspector-compatible bodies read as the Go client reads them (verifier/introspector.hpp).
// The example bodies are ../shared/spec/migration.md sections 4.1-4.3 (introspector-enclave
// @36c2d84 enclave/main.go, ArkLabsHQ/introspector @dcec46c); where the spec elides a value
// ("02…", "ab…") it is filled with a value of the right form.
#include "enclavectl/verifier/introspector.hpp"

#include <gtest/gtest.h>

#include <string>

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;

const std::string kPcr0A(96, 'a');
const std::string kPcr0C(96, 'c');
const std::string kKey66 = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

TEST(Introspector, SpecEnclaveInfoExample) {
  // migration.md 4.1: {"version":"dev","previous_pcr0":"genesis","attestation_pubkey":"02…"}.
  const std::string body =
      R"({"version":"dev","previous_pcr0":"genesis","attestation_pubkey":")" + kKey66 + "\"}\n";
  auto info = DecodeIntrospectorEnclaveInfo(body);
  ASSERT_TRUE(info) << info.error().detail;
  EXPECT_EQ(info->version, "dev");
  EXPECT_EQ(info->previous_pcr0, "genesis");
  EXPECT_EQ(info->maintainer_pubkey, "");  // omitted: not configured
  EXPECT_EQ(info->attestation_pubkey, kKey66);
}

TEST(Introspector, SpecInfoExample) {
  // migration.md 4.3: {"signerPubkey":"<66 hex compressed P>","version":"v0.0.1"}.
  auto info = DecodeIntrospectorInfo(R"({"signerPubkey":")" + kKey66 + R"(","version":"v0.0.1"})");
  ASSERT_TRUE(info) << info.error().detail;
  EXPECT_EQ(info->signer_pubkey, kKey66);
  EXPECT_EQ(info->version, "v0.0.1");
}

TEST(Introspector, SpecMigrationStatusExamples) {
  // migration.md 4.2, a pending migration whose cooldown has elapsed.
  const std::string body = R"({"state":{"target_pcr0":")" + kPcr0A +
                           R"(","v2_kms_key_id":"1234abcd-12ab-34cd-56ef-1234567890ab",)"
                           R"("initiated_at":1700000000,"source_pcr0":")" +
                           kPcr0C +
                           R"(","previous_pcr0":"genesis","activation_time":1700090000},)"
                           R"("cooldown_expired":true})"
                           "\n";
  auto status = DecodeMigrationStatus(body);
  ASSERT_TRUE(status) << status.error().detail;
  ASSERT_TRUE(status->state);
  EXPECT_EQ(status->state->target_pcr0, kPcr0A);
  EXPECT_EQ(status->state->v2_kms_key_id, "1234abcd-12ab-34cd-56ef-1234567890ab");
  EXPECT_EQ(status->state->initiated_at, 1700000000);
  EXPECT_EQ(status->state->completed_at, 0);
  EXPECT_EQ(status->state->source_pcr0, kPcr0C);
  EXPECT_EQ(status->state->previous_pcr0, "genesis");
  EXPECT_EQ(status->state->activation_time, 1700090000);
  EXPECT_TRUE(status->cooldown_expired);
  // Our encoder writes the same bytes back (Go's json.Encoder: compact, member order, "\n").
  EXPECT_EQ(EncodeMigrationStatus(*status), body);

  // No migration: exactly {"state":null} and a newline.
  EXPECT_EQ(EncodeMigrationStatus({}), "{\"state\":null}\n");
  auto idle = DecodeMigrationStatus("{\"state\":null}\n");
  ASSERT_TRUE(idle);
  EXPECT_FALSE(idle->state);
  EXPECT_FALSE(idle->cooldown_expired);
}

TEST(Introspector, GoSemanticsUnknownMembersNullAndCaseFolding) {
  // Unknown members ignored (our additive fields), null leaves the zero value, a member name
  // matches case-insensitively when no exact key exists.
  auto info = DecodeIntrospectorEnclaveInfo(
      R"({"Version":"v2","previous_pcr0":null,"dev":true,"require_key_policy":{"locked":true},)"
      R"("configured_key_id":null,"maintainer_pubkey":")" +
      std::string(64, 'b') + "\"}");
  ASSERT_TRUE(info) << info.error().detail;
  EXPECT_EQ(info->version, "v2");
  EXPECT_EQ(info->previous_pcr0, "");
  EXPECT_EQ(info->maintainer_pubkey, std::string(64, 'b'));
  // The exact key wins over a folded one.
  auto exact = DecodeIntrospectorInfo(R"({"SIGNERPUBKEY":"x","signerPubkey":"y"})");
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->signer_pubkey, "y");
  auto completed = DecodeMigrationStatus(
      R"({"state":{"target_pcr0":"a","v2_kms_key_id":"k","initiated_at":-5,"completed_at":9}})");
  ASSERT_TRUE(completed) << completed.error().detail;
  EXPECT_EQ(completed->state->initiated_at, -5);
  EXPECT_EQ(completed->state->completed_at, 9);
  EXPECT_EQ(EncodeMigrationStatus(*completed),
            R"({"state":{"target_pcr0":"a","v2_kms_key_id":"k","initiated_at":-5,)"
            R"("completed_at":9}})"
            "\n");
}

TEST(Introspector, WhatGoWouldRefuseIsRefused) {
  const char* bad_enclave_info[] = {
      R"({"version":1})",                  // number into string
      R"({"previous_pcr0":["genesis"]})",  // array into string
      R"({"attestation_pubkey":true})",    // bool into string
      R"({"maintainer_pubkey":{}})",       // object into string
      R"([])",                             // not an object
      R"(null)",                           // Go would accept; we do not
      R"({"version":"a","version":"b"})",  // repeated key
      R"({"Version":"a","VERSION":"b"})",  // two keys fold to one member
      R"({"version":"dev")",               // truncated
  };
  for (const char* body : bad_enclave_info) {
    auto decoded = DecodeIntrospectorEnclaveInfo(body);
    ASSERT_FALSE(decoded) << body;
    EXPECT_EQ(decoded.error().code, ErrorCode::kIntrospectorBodyMalformed) << body;
  }
  const char* bad_status[] = {
      R"({"state":"none"})",
      R"({"state":[]})",
      R"({"state":null,"cooldown_expired":"true"})",
      R"({"state":null,"cooldown_expired":1})",
      R"({"state":{"initiated_at":1.0}})",                     // Go: no fraction into int64
      R"({"state":{"initiated_at":1e9}})",                     // nor an exponent
      R"({"state":{"initiated_at":"1700000000"}})",            // nor a string
      R"({"state":{"activation_time":9223372036854775808}})",  // 2^63 overflows int64
      R"({"state":{"completed_at":true}})",
      R"({"state":{"target_pcr0":5}})",
  };
  for (const char* body : bad_status) {
    auto decoded = DecodeMigrationStatus(body);
    ASSERT_FALSE(decoded) << body;
    EXPECT_EQ(decoded.error().code, ErrorCode::kIntrospectorBodyMalformed) << body;
  }
  auto info = DecodeIntrospectorInfo(R"({"signerPubkey":2})");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ErrorCode::kIntrospectorBodyMalformed);
  // The largest int64 is fine.
  auto max = DecodeMigrationStatus(R"({"state":{"activation_time":9223372036854775807}})");
  ASSERT_TRUE(max);
  EXPECT_EQ(max->state->activation_time, 9223372036854775807);
}

// Issue 14 item 6: our additive enclave-info members, and the form of every migration member a
// (hostile) server sends, checked after Go's decoding.
TEST(Introspector, MigrationMembersOfEnclaveInfo) {
  const std::string body = R"({"version":"v2","previous_pcr0":")" + kPcr0A +
                           R"(","attestation_pubkey":")" + kKey66 + R"(","migrated_from_pcr0":")" +
                           kPcr0A + R"(","key_origin":"migrated","key_origin_provable":true})";
  auto info = DecodeIntrospectorEnclaveInfo(body);
  ASSERT_TRUE(info) << info.error().detail;
  EXPECT_EQ(info->migrated_from_pcr0, kPcr0A);
  EXPECT_EQ(info->migrated_to_pcr0, "");
  EXPECT_EQ(info->key_origin, "migrated");
  EXPECT_EQ(info->key_origin_provable, std::optional<bool>(true));
  EXPECT_TRUE(CheckEnclaveInfoMigration(*info));
  // Absent stays unknown (not Go's false); null too.
  auto plain = DecodeIntrospectorEnclaveInfo(R"({"version":"dev","key_origin_provable":null})");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->key_origin_provable.has_value());
  // Wrong types are Go's unmarshal errors.
  for (const char* bad : {R"({"migrated_to_pcr0":1})", R"({"key_origin_provable":"false"})",
                          R"({"key_origin":["x"]})", R"({"migrated_from_pcr0":{}})"}) {
    auto decoded = DecodeIntrospectorEnclaveInfo(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code, ErrorCode::kIntrospectorBodyMalformed) << bad;
  }
  // Well typed but not well formed: kMigrationStatusInvalid.
  const auto invalid = [](const IntrospectorEnclaveInfo& candidate) {
    auto checked = CheckEnclaveInfoMigration(candidate);
    return !checked && checked.error().code == ErrorCode::kMigrationStatusInvalid;
  };
  IntrospectorEnclaveInfo base;
  EXPECT_TRUE(CheckEnclaveInfoMigration(base));
  IntrospectorEnclaveInfo to = base;
  to.migrated_to_pcr0 = std::string(95, 'a');
  EXPECT_TRUE(invalid(to));
  to.migrated_to_pcr0 = std::string(95, 'a') + "g";
  EXPECT_TRUE(invalid(to));
  IntrospectorEnclaveInfo from = base;
  from.migrated_from_pcr0 = "genesis";
  EXPECT_TRUE(invalid(from));
  IntrospectorEnclaveInfo both = base;
  both.migrated_to_pcr0 = kPcr0A;
  both.migrated_from_pcr0 = kPcr0A;
  EXPECT_TRUE(invalid(both));
  IntrospectorEnclaveInfo previous = base;
  previous.previous_pcr0 = "Genesis";
  EXPECT_TRUE(invalid(previous));
  IntrospectorEnclaveInfo maintainer = base;
  maintainer.maintainer_pubkey = kKey66;  // 66 hex: a compressed key, not x-only
  EXPECT_TRUE(invalid(maintainer));
  IntrospectorEnclaveInfo origin = base;
  origin.key_origin = std::string("adopted\n");
  EXPECT_TRUE(invalid(origin));
  origin.key_origin = std::string(65, 'x');
  EXPECT_TRUE(invalid(origin));
}

TEST(Introspector, MigrationStatusFormIsChecked) {
  // The spec's example (4.2) is well formed, null is, a completed one is.
  auto example = DecodeMigrationStatus(
      R"({"state":{"target_pcr0":")" + kPcr0A +
      R"(","v2_kms_key_id":"1234abcd-12ab-34cd-56ef-1234567890ab","initiated_at":1700000000,"source_pcr0":")" +
      kPcr0C +
      R"(","previous_pcr0":"genesis","activation_time":1700090000},"cooldown_expired":true})");
  ASSERT_TRUE(example) << example.error().detail;
  EXPECT_TRUE(CheckMigrationStatus(*example));
  EXPECT_TRUE(CheckMigrationStatus(MigrationStatus{}));
  MigrationState completed{kPcr0A, "", 1700000000, 1700090000, "unknown", kPcr0C, 0};
  EXPECT_TRUE(CheckMigrationStatus(MigrationStatus{completed, false}));

  const auto invalid = [](const MigrationStatus& status) {
    auto checked = CheckMigrationStatus(status);
    return !checked && checked.error().code == ErrorCode::kMigrationStatusInvalid;
  };
  EXPECT_TRUE(invalid(MigrationStatus{std::nullopt, true}));  // expired without a state
  MigrationState s = completed;
  s.target_pcr0 = "ab";
  EXPECT_TRUE(invalid(MigrationStatus{s, false}));
  s = completed;
  s.initiated_at = 0;
  EXPECT_TRUE(invalid(MigrationStatus{s, false}));
  s = completed;
  s.initiated_at = -5;
  EXPECT_TRUE(invalid(MigrationStatus{s, false}));
  s = completed;
  s.completed_at = s.initiated_at - 1;  // completed before it began
  EXPECT_TRUE(invalid(MigrationStatus{s, false}));
  s = completed;
  s.activation_time = -1;
  EXPECT_TRUE(invalid(MigrationStatus{s, false}));
  s = completed;
  s.source_pcr0 = "genesis";
  EXPECT_TRUE(invalid(MigrationStatus{s, false}));
  s = completed;
  s.previous_pcr0 = "unknown";
  EXPECT_TRUE(invalid(MigrationStatus{s, false}));
  s = completed;
  s.v2_kms_key_id = std::string(2049, 'k');
  EXPECT_TRUE(invalid(MigrationStatus{s, false}));
  EXPECT_TRUE(invalid(MigrationStatus{completed, true}));  // expired cooldown yet completed
  // A target_pcr0 of the wrong JSON type never reaches the form check.
  auto typed = DecodeMigrationStatus(R"({"state":{"target_pcr0":12,"initiated_at":1}})");
  ASSERT_FALSE(typed);
  EXPECT_EQ(typed.error().code, ErrorCode::kIntrospectorBodyMalformed);
}

}  // namespace
}  // namespace enclavectl::verifier
