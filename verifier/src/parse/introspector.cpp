#include "enclavectl/verifier/introspector.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;
using core::Fail;
using nlohmann::json;

constexpr ErrorCode kCode = ErrorCode::kIntrospectorBodyMalformed;

char Fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Fold(a[i]) != Fold(b[i])) {
      return false;
    }
  }
  return true;
}

core::Result<json> ParseObject(std::string_view body, const char* what) {
  // The app's bodies are a few hundred bytes; an Introspector answer is no bigger.
  auto parsed = core::ParseStrictJson(body, core::limits::kMaxAppRequestBodyBytes, kCode, what);
  if (!parsed) {
    return Fail(parsed.error());
  }
  if (!parsed->is_object()) {
    return Fail(kCode, std::string(what) + " is not a JSON object");
  }
  return parsed;
}

// The member Go's encoding/json would store into the field `name`: the exact key, else the
// one key equal under case folding. nullptr when absent or null (Go leaves the zero value).
// Two keys folding to `name` without an exact one: refused (Go would take the last).
core::Result<const json*> GoMember(const json& object, std::string_view name, const char* what) {
  if (auto exact = object.find(std::string(name)); exact != object.end()) {
    return exact->is_null() ? nullptr : &*exact;
  }
  const json* found = nullptr;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (EqualFold(it.key(), name)) {
      if (found != nullptr) {
        return Fail(kCode, std::string(what) + ": two members fold to \"" + std::string(name) +
                               "\" (Go would keep the last one)");
      }
      found = &it.value();
    }
  }
  return found != nullptr && found->is_null() ? nullptr : found;
}

core::Error TypeError(std::string_view name, const char* go_type, const json& value,
                      const char* what) {
  return core::Error{kCode,
                     std::string(what) + ": cannot unmarshal " + core::JsonTypeName(value) +
                         " into field \"" + std::string(name) + "\" of type " + go_type,
                     -1};
}

core::Status GoString(const json& object, std::string_view name, std::string& out,
                      const char* what) {
  auto member = GoMember(object, name, what);
  if (!member) {
    return Fail(member.error());
  }
  if (*member == nullptr) {
    return core::Ok();
  }
  if (!(*member)->is_string()) {
    return tl::unexpected(TypeError(name, "string", **member, what));
  }
  out = (*member)->get_ref<const std::string&>();
  return core::Ok();
}

// Go's int64: an integer literal within range; 1.0, 1e3 and 2^63 fail.
core::Status GoInt64(const json& object, std::string_view name, std::int64_t& out,
                     const char* what) {
  auto member = GoMember(object, name, what);
  if (!member) {
    return Fail(member.error());
  }
  if (*member == nullptr) {
    return core::Ok();
  }
  const json& value = **member;
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Fail(kCode, std::string(what) + ": \"" + std::string(name) + "\" overflows int64");
    }
    out = static_cast<std::int64_t>(u);
    return core::Ok();
  }
  if (value.is_number_integer()) {
    out = value.get<std::int64_t>();
    return core::Ok();
  }
  return tl::unexpected(TypeError(name, "int64", value, what));
}

// An optional bool: absent or null stays nullopt (ours; Go's bool would read false).
core::Status GoOptionalBool(const json& object, std::string_view name, std::optional<bool>& out,
                            const char* what) {
  auto member = GoMember(object, name, what);
  if (!member) {
    return Fail(member.error());
  }
  if (*member == nullptr) {
    return core::Ok();
  }
  if (!(*member)->is_boolean()) {
    return tl::unexpected(TypeError(name, "bool", **member, what));
  }
  out = (*member)->get<bool>();
  return core::Ok();
}

// Go's bool: absent or null leaves `out` as it was.
core::Status GoBool(const json& object, std::string_view name, bool& out, const char* what) {
  std::optional<bool> value;
  ENCLAVECTL_RETURN_IF_ERROR(GoOptionalBool(object, name, value, what));
  if (value) {
    out = *value;
  }
  return core::Ok();
}

bool IsHexOfLength(std::string_view text, std::size_t length) {
  if (text.size() != length) {
    return false;
  }
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string Quote(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 24)) {
    out += c >= 0x20 && c < 0x7f ? c : '?';
  }
  return "\"" + out + (text.size() > 24 ? "...\"" : "\"");
}

core::Status Invalid(std::string detail) {
  return Fail(ErrorCode::kMigrationStatusInvalid, std::move(detail));
}

core::Result<MigrationState> DecodeState(const json& object) {
  const char* what = "migration state";
  MigrationState state;
  ENCLAVECTL_RETURN_IF_ERROR(GoString(object, "target_pcr0", state.target_pcr0, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoString(object, "v2_kms_key_id", state.v2_kms_key_id, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoInt64(object, "initiated_at", state.initiated_at, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoInt64(object, "completed_at", state.completed_at, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoString(object, "source_pcr0", state.source_pcr0, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoString(object, "previous_pcr0", state.previous_pcr0, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoInt64(object, "activation_time", state.activation_time, what));
  return state;
}

}  // namespace

core::Result<IntrospectorInfo> DecodeIntrospectorInfo(std::string_view body) {
  const char* what = "GET /v1/info";
  auto object = ParseObject(body, what);
  if (!object) {
    return Fail(object.error());
  }
  IntrospectorInfo info;
  ENCLAVECTL_RETURN_IF_ERROR(GoString(*object, "signerPubkey", info.signer_pubkey, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoString(*object, "version", info.version, what));
  return info;
}

core::Result<IntrospectorEnclaveInfo> DecodeIntrospectorEnclaveInfo(std::string_view body) {
  const char* what = "GET /v1/enclave-info";
  auto object = ParseObject(body, what);
  if (!object) {
    return Fail(object.error());
  }
  IntrospectorEnclaveInfo info;
  ENCLAVECTL_RETURN_IF_ERROR(GoString(*object, "version", info.version, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoString(*object, "previous_pcr0", info.previous_pcr0, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoString(*object, "maintainer_pubkey", info.maintainer_pubkey, what));
  ENCLAVECTL_RETURN_IF_ERROR(
      GoString(*object, "attestation_pubkey", info.attestation_pubkey, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoString(*object, "migrated_to_pcr0", info.migrated_to_pcr0, what));
  ENCLAVECTL_RETURN_IF_ERROR(
      GoString(*object, "migrated_from_pcr0", info.migrated_from_pcr0, what));
  ENCLAVECTL_RETURN_IF_ERROR(GoString(*object, "key_origin", info.key_origin, what));
  ENCLAVECTL_RETURN_IF_ERROR(
      GoOptionalBool(*object, "key_origin_provable", info.key_origin_provable, what));
  return info;
}

core::Result<MigrationStatus> DecodeMigrationStatus(std::string_view body) {
  const char* what = "GET /v1/migration-status";
  auto object = ParseObject(body, what);
  if (!object) {
    return Fail(object.error());
  }
  MigrationStatus status;
  auto state = GoMember(*object, "state", what);
  if (!state) {
    return Fail(state.error());
  }
  if (*state != nullptr) {
    if (!(*state)->is_object()) {
      return tl::unexpected(TypeError("state", "*MigrationState", **state, what));
    }
    auto decoded = DecodeState(**state);
    if (!decoded) {
      return Fail(decoded.error());
    }
    status.state = std::move(*decoded);
  }
  ENCLAVECTL_RETURN_IF_ERROR(GoBool(*object, "cooldown_expired", status.cooldown_expired, what));
  return status;
}

std::string EncodeMigrationStatus(const MigrationStatus& status) {
  nlohmann::ordered_json body;
  if (!status.state) {
    body["state"] = nullptr;
  } else {
    const MigrationState& s = *status.state;
    nlohmann::ordered_json state;
    state["target_pcr0"] = s.target_pcr0;
    state["v2_kms_key_id"] = s.v2_kms_key_id;
    state["initiated_at"] = s.initiated_at;
    if (s.completed_at != 0) {
      state["completed_at"] = s.completed_at;
    }
    if (!s.source_pcr0.empty()) {
      state["source_pcr0"] = s.source_pcr0;
    }
    if (!s.previous_pcr0.empty()) {
      state["previous_pcr0"] = s.previous_pcr0;
    }
    if (s.activation_time != 0) {
      state["activation_time"] = s.activation_time;
    }
    body["state"] = std::move(state);
  }
  if (status.cooldown_expired) {
    body["cooldown_expired"] = true;
  }
  return core::DumpJson(body) + "\n";
}

bool IsPcr0HexText(std::string_view text) noexcept { return IsHexOfLength(text, 96); }

core::Status CheckMigrationStatus(const MigrationStatus& status) {
  if (!status.state) {
    if (status.cooldown_expired) {
      return Invalid("migration status: cooldown_expired without a migration state");
    }
    return core::Ok();
  }
  const MigrationState& s = *status.state;
  if (!IsPcr0HexText(s.target_pcr0)) {
    return Invalid("migration state: target_pcr0 " + Quote(s.target_pcr0) +
                   " is not 96 hex digits");
  }
  if (s.initiated_at <= 0) {
    return Invalid("migration state: initiated_at " + std::to_string(s.initiated_at) +
                   " is not a positive Unix time");
  }
  if (s.completed_at < 0 || (s.completed_at != 0 && s.completed_at < s.initiated_at)) {
    return Invalid("migration state: completed_at " + std::to_string(s.completed_at) +
                   " is negative or before initiated_at " + std::to_string(s.initiated_at));
  }
  if (s.activation_time < 0) {
    return Invalid("migration state: activation_time " + std::to_string(s.activation_time) +
                   " is negative");
  }
  if (!s.source_pcr0.empty() && s.source_pcr0 != "unknown" && !IsPcr0HexText(s.source_pcr0)) {
    return Invalid("migration state: source_pcr0 " + Quote(s.source_pcr0) +
                   " is neither unknown nor 96 hex digits");
  }
  if (!s.previous_pcr0.empty() && s.previous_pcr0 != "genesis" && !IsPcr0HexText(s.previous_pcr0)) {
    return Invalid("migration state: previous_pcr0 " + Quote(s.previous_pcr0) +
                   " is neither genesis nor 96 hex digits");
  }
  if (s.v2_kms_key_id.size() > 2048) {
    return Invalid("migration state: v2_kms_key_id is longer than 2048 characters");
  }
  if (status.cooldown_expired && s.completed_at != 0) {
    return Invalid("migration status: cooldown_expired on a completed migration");
  }
  return core::Ok();
}

core::Status CheckEnclaveInfoMigration(const IntrospectorEnclaveInfo& info) {
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"migrated_to_pcr0", &info.migrated_to_pcr0},
        {"migrated_from_pcr0", &info.migrated_from_pcr0}}) {
    if (!value->empty() && !IsPcr0HexText(*value)) {
      return Invalid(std::string("GET /v1/enclave-info: ") + name + " " + Quote(*value) +
                     " is not 96 hex digits");
    }
  }
  if (!info.previous_pcr0.empty() && info.previous_pcr0 != "genesis" &&
      !IsPcr0HexText(info.previous_pcr0)) {
    return Invalid("GET /v1/enclave-info: previous_pcr0 " + Quote(info.previous_pcr0) +
                   " is neither genesis nor 96 hex digits");
  }
  if (!info.maintainer_pubkey.empty() && !IsHexOfLength(info.maintainer_pubkey, 64)) {
    return Invalid("GET /v1/enclave-info: maintainer_pubkey " + Quote(info.maintainer_pubkey) +
                   " is not 64 hex digits");
  }
  if (info.key_origin.size() > 64 || !std::all_of(info.key_origin.begin(), info.key_origin.end(),
                                                  [](char c) { return c >= 0x20 && c < 0x7f; })) {
    return Invalid("GET /v1/enclave-info: key_origin " + Quote(info.key_origin) +
                   " is not at most 64 printable ASCII characters");
  }
  if (!info.migrated_to_pcr0.empty() && !info.migrated_from_pcr0.empty() &&
      core::EqualsIgnoreCase(info.migrated_to_pcr0, info.migrated_from_pcr0)) {
    return Invalid("GET /v1/enclave-info: migrated_to_pcr0 equals migrated_from_pcr0");
  }
  return core::Ok();
}

}  // namespace enclavectl::verifier
