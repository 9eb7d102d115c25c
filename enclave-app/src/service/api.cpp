#include "enclavectl/app/api.hpp"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;
using nlohmann::json;

// The body as a JSON object (untrusted): core::ParseStrictJson (depth, size, duplicate keys,
// non-finite numbers), then read only through core::JsonObjectView (no throwing accessor).
core::Result<json> ParseObject(std::string_view body) {
  auto parsed = core::ParseStrictJson(body, core::limits::kMaxAppRequestBodyBytes,
                                      ErrorCode::kAppRequestMalformed, "request body");
  if (!parsed) {
    return Fail(parsed.error());
  }
  if (!parsed->is_object()) {
    return Fail(ErrorCode::kAppRequestMalformed, "the request body is not a JSON object");
  }
  return parsed;
}

core::JsonObjectView View(const json& object) {
  // ParseObject checked that it is an object.
  return *core::JsonObjectView::Of(object, ErrorCode::kAppRequestMalformed, "request body");
}

// Members other than `allowed` are refused: a misspelt member must not be silently ignored.
core::Status OnlyMembers(const json& object, std::initializer_list<std::string_view> allowed) {
  return View(object).OnlyKeys(allowed);
}

// A string member: nullopt when absent (or null); kAppRequestMalformed when of another type.
core::Result<std::optional<std::string>> StringMember(const json& object, const char* name) {
  return View(object).OptionalString(name);
}

core::Result<std::string> KeyIdMember(const json& object) {
  auto key_id = StringMember(object, "key_id");
  if (!key_id) {
    return Fail(key_id.error());
  }
  if (!*key_id || (*key_id)->empty()) {
    return Fail(ErrorCode::kAppRequestMalformed, "key_id (the KMS key id or ARN) is required");
  }
  if ((*key_id)->size() > core::limits::kMaxKmsKeyIdBytes) {
    return Fail(ErrorCode::kAppRequestInvalid, "key_id is longer than 2048 characters");
  }
  for (char c : **key_id) {
    if (c < 0x21 || c > 0x7e) {
      return Fail(ErrorCode::kAppRequestInvalid, "key_id has a character outside printable ASCII");
    }
  }
  return std::move(**key_id);
}

// Hex of exactly `len` bytes (either case, no 0x prefix).
core::Result<core::Bytes> HexOfLength(std::string_view text, std::size_t len, const char* what) {
  auto bytes = core::HexDecode(text);
  if (!bytes || bytes->size() != len) {
    return Fail(ErrorCode::kAppRequestInvalid, std::string(what) + " must be " +
                                                   std::to_string(len) + " bytes of hex (" +
                                                   std::to_string(2 * len) + " digits)");
  }
  return bytes;
}

core::Result<std::optional<core::Sha256Digest>> BlockhashMember(const json& object, bool required) {
  auto text = StringMember(object, "blockhash");
  if (!text) {
    return Fail(text.error());
  }
  if (!*text) {
    if (required) {
      return Fail(ErrorCode::kAppRequestInvalid, "blockhash (64 hex digits) is required");
    }
    return std::optional<core::Sha256Digest>();
  }
  auto bytes = HexOfLength(**text, 32, "blockhash");
  if (!bytes) {
    return Fail(bytes.error());
  }
  core::Sha256Digest digest{};
  std::copy(bytes->begin(), bytes->end(), digest.begin());
  return std::optional<core::Sha256Digest>(digest);
}

// A hex message of at most limits::kMaxSignMessageBytes.
core::Result<core::Bytes> MessageHex(const std::string& text) {
  if (text.size() > 2 * core::limits::kMaxSignMessageBytes) {
    return Fail(ErrorCode::kAppRequestInvalid, "message is longer than 16384 bytes");
  }
  auto bytes = core::HexDecode(text);
  if (!bytes) {
    return Fail(ErrorCode::kAppRequestInvalid, "message must be hex (an even number of digits)");
  }
  return bytes;
}

}  // namespace

core::Result<SetupRequest> DecodeSetupRequest(std::string_view body, SetupEndpoint endpoint) {
  auto object = ParseObject(body);
  if (!object) {
    return Fail(object.error());
  }
  SetupRequest out;
  if (endpoint == SetupEndpoint::kV1Setup) {
    ENCLAVECTL_RETURN_IF_ERROR(OnlyMembers(*object, {"mode", "key_id", "blockhash", "derivation"}));
    auto mode = StringMember(*object, "mode");
    if (!mode) {
      return Fail(mode.error());
    }
    if (*mode && **mode == "sealed") {
      out.mode = KeyMode::kSealed;
    } else if (*mode && **mode != "reproducible") {
      return Fail(ErrorCode::kAppRequestInvalid, "mode must be reproducible or sealed");
    }
  }
  auto key_id = KeyIdMember(*object);
  if (!key_id) {
    return Fail(key_id.error());
  }
  out.key_id = std::move(*key_id);
  if (endpoint != SetupEndpoint::kGenerateSecret) {
    auto blockhash = BlockhashMember(*object, endpoint == SetupEndpoint::kSetup);
    if (!blockhash) {
      return Fail(blockhash.error());
    }
    if (*blockhash && out.mode == KeyMode::kSealed) {
      return Fail(ErrorCode::kAppRequestInvalid, "blockhash applies to reproducible mode only");
    }
    out.blockhash = *blockhash;
    auto derivation = StringMember(*object, "derivation");
    if (!derivation) {
      return Fail(derivation.error());
    }
    if (*derivation && **derivation == "hkdf") {
      out.derivation = KeyDerivation::kHkdf;
    } else if (*derivation && **derivation != "seed") {
      return Fail(ErrorCode::kAppRequestInvalid, "derivation must be seed or hkdf");
    }
    if (out.derivation == KeyDerivation::kHkdf && out.mode == KeyMode::kSealed) {
      return Fail(ErrorCode::kAppRequestInvalid, "derivation applies to reproducible mode only");
    }
  }
  return out;
}

std::string EncodeSetupRequest(const SetupRequest& request, SetupEndpoint endpoint) {
  nlohmann::ordered_json body;
  if (endpoint == SetupEndpoint::kV1Setup) {
    body["mode"] = KeyModeName(request.mode);
  }
  body["key_id"] = request.key_id;
  if (request.blockhash && endpoint != SetupEndpoint::kGenerateSecret) {
    body["blockhash"] = core::HexEncode(*request.blockhash);
  }
  if (request.derivation == KeyDerivation::kHkdf && endpoint != SetupEndpoint::kGenerateSecret) {
    body["derivation"] = "hkdf";
  }
  return core::DumpJson(body);
}

const char* SignSchemeName(SignScheme scheme) noexcept {
  switch (scheme) {
    case SignScheme::kBip340:
      return "bip340";
    case SignScheme::kEcdsaP256:
      return "ecdsa-p256";
    case SignScheme::kEcdsaSecp256k1:
      break;
  }
  return "ecdsa-secp256k1";
}

core::Result<SignRequest> DecodeSignRequest(std::string_view body) {
  auto object = ParseObject(body);
  if (!object) {
    return Fail(object.error());
  }
  ENCLAVECTL_RETURN_IF_ERROR(OnlyMembers(*object, {"scheme", "message", "digest"}));
  auto scheme = StringMember(*object, "scheme");
  auto message = StringMember(*object, "message");
  auto digest = StringMember(*object, "digest");
  for (const auto* member : {&scheme, &message, &digest}) {
    if (!*member) {
      return Fail(member->error());
    }
  }
  if (!*scheme) {
    return Fail(ErrorCode::kAppRequestMalformed,
                "scheme is required: ecdsa-secp256k1, bip340 or ecdsa-p256");
  }
  SignRequest out;
  bool known = false;
  for (const SignScheme candidate :
       {SignScheme::kEcdsaSecp256k1, SignScheme::kBip340, SignScheme::kEcdsaP256}) {
    if (**scheme == SignSchemeName(candidate)) {
      out.scheme = candidate;
      known = true;
    }
  }
  if (!known) {
    return Fail(ErrorCode::kAppRequestInvalid,
                "unknown scheme: use ecdsa-secp256k1, bip340 or ecdsa-p256");
  }
  if (message->has_value() == digest->has_value()) {
    return Fail(ErrorCode::kAppRequestMalformed,
                "give exactly one of message (hex) and digest (64 hex digits)");
  }
  if (*digest) {
    auto bytes = HexOfLength(**digest, 32, "digest");
    if (!bytes) {
      return Fail(bytes.error());
    }
    std::copy(bytes->begin(), bytes->end(), out.digest.begin());
    return out;
  }
  auto bytes = MessageHex(**message);
  if (!bytes) {
    return Fail(bytes.error());
  }
  out.digest = core::Sha256(*bytes);
  return out;
}

std::string EncodeSignRequest(const SignRequest& request) {
  nlohmann::ordered_json body = {{"scheme", SignSchemeName(request.scheme)},
                                 {"digest", core::HexEncode(request.digest)}};
  return core::DumpJson(body);
}

core::Result<WalletRequest> DecodeWalletRequest(std::string_view line) {
  auto object = ParseObject(line);
  if (!object) {
    return Fail(object.error());
  }
  auto action = StringMember(*object, "action");
  if (!action) {
    return Fail(action.error());
  }
  if (!*action) {
    return Fail(ErrorCode::kAppRequestMalformed, "action is required");
  }
  WalletRequest out;
  if (**action == "get_public_key") {
    ENCLAVECTL_RETURN_IF_ERROR(OnlyMembers(*object, {"action"}));
    return out;
  }
  if (**action != "sign") {
    return Fail(ErrorCode::kAppNotFound, "unknown action: use get_public_key or sign");
  }
  ENCLAVECTL_RETURN_IF_ERROR(OnlyMembers(*object, {"action", "message"}));
  auto message = StringMember(*object, "message");
  if (!message) {
    return Fail(message.error());
  }
  if (!*message) {
    return Fail(ErrorCode::kAppRequestMalformed, "message (hex) is required");
  }
  auto bytes = MessageHex(**message);
  if (!bytes) {
    return Fail(bytes.error());
  }
  out.action = WalletRequest::Action::kSign;
  out.message = std::move(*bytes);
  return out;
}

std::string EncodeWalletRequest(const WalletRequest& request) {
  if (request.action == WalletRequest::Action::kGetPublicKey) {
    return R"({"action":"get_public_key"})";
  }
  nlohmann::ordered_json body = {{"action", "sign"}, {"message", core::HexEncode(request.message)}};
  return core::DumpJson(body);
}

}  // namespace enclavectl::app
