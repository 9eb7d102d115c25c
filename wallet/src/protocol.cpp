#include "enclavectl/wallet/protocol.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"

namespace enclavectl::wallet::protocol {
namespace {

using core::ErrorCode;
using core::Fail;
using nlohmann::json;
using nlohmann::ordered_json;

constexpr ErrorCode kInvalid = ErrorCode::kAccountRequestInvalid;

// Wipes a parsed request's strings (credentials, key material) when it goes out of scope.
struct WipeOnExit {
  json& value;
  ~WipeOnExit() { core::WipeJsonStrings(value); }
};

core::SecretBytes TakeSecret(std::string& text) {
  core::SecretBytes out(core::AsBytes(text));
  OPENSSL_cleanse(text.data(), text.size());
  return out;
}

core::Result<Credential> ReadCredential(const core::JsonObjectView& request) {
  auto credential = request.Object("credential");
  if (!credential) {
    return Fail(credential.error());
  }
  auto id = credential->String("aws_access_key_id");
  auto secret = credential->String("aws_secret_access_key");
  auto token = credential->String("aws_session_token");
  // Held as SecretBytes at once, so that no failure path below frees a secret unwiped.
  core::SecretBytes secret_bytes = secret ? TakeSecret(*secret) : core::SecretBytes();
  core::SecretBytes token_bytes = token ? TakeSecret(*token) : core::SecretBytes();
  if (!id || !secret || !token) {
    // The view's details name the member and its JSON type, never its value.
    return Fail(!id ? id.error() : !secret ? secret.error() : token.error());
  }
  if (id->empty() || secret_bytes.empty()) {
    return Fail(kInvalid, "credential: empty access key id or secret access key");
  }
  Credential out;
  out.access_key_id = std::move(*id);
  out.secret_access_key = std::move(secret_bytes);
  out.session_token = std::move(token_bytes);
  return out;
}

core::Result<std::string> ReadKeyId(const core::JsonObjectView& request) {
  const bool snake = request.Has("key_id");
  if (snake && request.Has("keyId")) {
    return Fail(kInvalid, "request: both key_id and keyId");
  }
  auto key_id = request.String(snake ? "key_id" : "keyId");
  if (!key_id) {
    return Fail(key_id.error());
  }
  if (key_id->empty() || key_id->size() > 2048) {
    return Fail(kInvalid, "request: key_id must be 1..2048 characters");
  }
  return key_id;
}

core::Result<core::Bytes> ReadBase64(const core::JsonObjectView& request, std::string_view key) {
  auto text = request.String(key);
  if (!text) {
    return Fail(text.error());
  }
  auto bytes = core::Base64Decode(*text);
  if (!bytes || bytes->empty()) {
    return Fail(kInvalid, "request: " + std::string(key) + " is not non-empty base64");
  }
  return bytes;
}

// The envelope text exactly as stored (legacy base64 or "enclavectl:v1:"...), shape-checked.
core::Result<std::string> ReadEnvelopeText(const core::JsonObjectView& object) {
  auto text = object.String("encryptedPrivateKey");
  if (!text) {
    return Fail(text.error());
  }
  if (auto format = DetectEnvelopeFormat(*text); !format) {
    return Fail(format.error());
  }
  return text;
}

core::Result<ethereum::Hash256> ReadDigest(const core::JsonObjectView& request) {
  auto text = request.String("message");
  if (!text) {
    return Fail(text.error());
  }
  std::string_view hex = *text;
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
    hex.remove_prefix(2);
  }
  auto bytes = core::HexDecode(hex);
  ethereum::Hash256 digest{};
  if (!bytes || bytes->size() != digest.size()) {
    return Fail(kInvalid, "request: message must be the hex of exactly 32 bytes");
  }
  std::copy(bytes->begin(), bytes->end(), digest.begin());
  return digest;
}

core::Result<std::optional<OwnerKey>> ReadOwnerKey(const core::JsonObjectView& request) {
  auto text = request.OptionalString("ownerKey");
  if (!text) {
    return Fail(text.error());
  }
  if (!*text) {
    return std::optional<OwnerKey>();
  }
  // The shape only: the enclave checks that the key lies on the curve (ParseOwnerKey).
  auto bytes = (*text)->size() == 2 * kOwnerKeyLen ? core::HexDecode(**text)
                                                   : core::Result<core::Bytes>(core::Bytes{});
  if (!bytes || bytes->size() != kOwnerKeyLen) {
    return Fail(ErrorCode::kAccountOwnerKeyInvalid, "request: ownerKey is not 64 hex digits");
  }
  OwnerKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return std::optional<OwnerKey>(key);
}

core::Result<std::optional<OwnerAuthorization>> ReadOwnerAuth(const core::JsonObjectView& request,
                                                              bool owned) {
  auto nonce = request.OptionalString("ownerNonce");
  auto signature = request.OptionalString("ownerSignature");
  if (!nonce || !signature) {
    return Fail(!nonce ? nonce.error() : signature.error());
  }
  if (!*nonce && !*signature) {
    return std::optional<OwnerAuthorization>();
  }
  if (!*nonce || !*signature) {
    return Fail(kInvalid, "request: ownerNonce and ownerSignature go together");
  }
  if (!owned) {
    return Fail(kInvalid, "request: ownerNonce and ownerSignature need ownerKey");
  }
  OwnerAuthorization out;
  auto nonce_bytes = core::HexDecode(**nonce);
  if (!nonce_bytes || nonce_bytes->size() < kMinOwnerNonceLen ||
      nonce_bytes->size() > kMaxOwnerNonceLen) {
    return Fail(ErrorCode::kAccountOwnerNonceInvalid,
                "request: ownerNonce is not the hex of 16 to 32 bytes");
  }
  out.nonce = std::move(*nonce_bytes);
  auto signature_bytes = core::HexDecode(**signature);
  if (!signature_bytes || signature_bytes->size() != out.signature.size()) {
    return Fail(kInvalid, "request: ownerSignature is not the hex of 64 bytes");
  }
  std::copy(signature_bytes->begin(), signature_bytes->end(), out.signature.begin());
  return std::optional<OwnerAuthorization>(std::move(out));
}

core::Result<GenerateRequest> ReadGenerate(const core::JsonObjectView& request) {
  GenerateRequest out;
  auto credential = ReadCredential(request);
  if (!credential) {
    return Fail(credential.error());
  }
  out.credential = std::move(*credential);
  auto key_id = ReadKeyId(request);
  auto name = request.OptionalString("name");
  if (!key_id || !name) {
    return Fail(!key_id ? key_id.error() : name.error());
  }
  out.key_id = std::move(*key_id);
  out.name = name->value_or("");
  auto owner_key = ReadOwnerKey(request);
  if (!owner_key) {
    return Fail(owner_key.error());
  }
  out.owner_key = *owner_key;
  return out;
}

core::Result<SignRequest> ReadSign(const core::JsonObjectView& request) {
  SignRequest out;
  auto credential = ReadCredential(request);
  if (!credential) {
    return Fail(credential.error());
  }
  out.credential = std::move(*credential);
  auto key_id = ReadKeyId(request);
  auto name = request.String("name");
  auto address = request.OptionalString("address");
  if (!key_id || !name || !address) {
    return Fail(!key_id ? key_id.error() : !name ? name.error() : address.error());
  }
  out.key_id = std::move(*key_id);
  out.name = std::move(*name);
  if (*address) {
    auto parsed = ethereum::ParseAddress(**address);
    if (!parsed) {
      return Fail(kInvalid, "request: address is not an Ethereum address");
    }
    out.address = *parsed;
  }
  auto data_key = ReadBase64(request, "encryptedDataKey");
  auto private_key = ReadEnvelopeText(request);
  auto digest = ReadDigest(request);
  if (!data_key || !private_key || !digest) {
    return Fail(!data_key ? data_key.error() : !private_key ? private_key.error() : digest.error());
  }
  out.encrypted_data_key = std::move(*data_key);
  out.encrypted_private_key = std::move(*private_key);
  out.digest = *digest;
  auto owner_key = ReadOwnerKey(request);
  if (!owner_key) {
    return Fail(owner_key.error());
  }
  out.owner_key = *owner_key;
  auto owner_auth = ReadOwnerAuth(request, out.owner_key.has_value());
  if (!owner_auth) {
    return Fail(owner_auth.error());
  }
  out.owner_auth = std::move(*owner_auth);
  return out;
}

ordered_json CredentialJson(const Credential& credential) {
  const auto text = [](const core::SecretBytes& secret) {
    const core::ByteView view = secret.View();
    return std::string(view.begin(), view.end());
  };
  return ordered_json{{"aws_access_key_id", credential.access_key_id},
                      {"aws_secret_access_key", text(credential.secret_access_key)},
                      {"aws_session_token", text(credential.session_token)}};
}

std::string Envelope(std::string_view kind, ordered_json content) {
  return core::DumpJson(ordered_json{{"apiResponse", kind}, {"content", std::move(content)}});
}

}  // namespace

std::string EncodeFrame(std::string_view payload) {
  std::string out(kFrameHeaderBytes + payload.size(), '\0');
  std::uint64_t len = payload.size();
  for (std::size_t i = 0; i < kFrameHeaderBytes; ++i) {
    out[i] = static_cast<char>(len & 0xFF);
    len >>= 8;
  }
  std::copy(payload.begin(), payload.end(), out.begin() + kFrameHeaderBytes);
  return out;
}

FrameCheck CheckFrame(std::string_view received, std::size_t max_payload) noexcept {
  if (received.size() < kFrameHeaderBytes) {
    return {};
  }
  std::uint64_t len = 0;
  for (std::size_t i = kFrameHeaderBytes; i > 0; --i) {
    len = (len << 8) | static_cast<unsigned char>(received[i - 1]);
  }
  if (len > max_payload) {
    return {FrameState::kTooLarge, 0};
  }
  const auto payload_len = static_cast<std::size_t>(len);
  return {received.size() - kFrameHeaderBytes >= payload_len ? FrameState::kComplete
                                                             : FrameState::kNeedMore,
          payload_len};
}

core::Result<std::string_view> DecodeFrame(std::string_view bytes, std::size_t max_payload) {
  const FrameCheck check = CheckFrame(bytes, max_payload);
  if (check.state == FrameState::kTooLarge) {
    return Fail(ErrorCode::kInputTooLarge,
                "frame declares more than " + std::to_string(max_payload) + " bytes");
  }
  const int present = static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 30));
  if (check.state == FrameState::kNeedMore) {
    return Fail(core::Error{
        ErrorCode::kAccountFrameInvalid,
        bytes.size() < kFrameHeaderBytes ? "frame header cut short" : "frame payload cut short",
        present});
  }
  if (bytes.size() != kFrameHeaderBytes + check.payload_len) {
    return Fail(core::Error{ErrorCode::kAccountFrameInvalid, "bytes after the frame", present});
  }
  return bytes.substr(kFrameHeaderBytes);
}

core::Result<Request> DecodeRequest(std::string_view payload) {
  auto parsed = core::ParseStrictJson(payload, kMaxFramePayloadBytes, kInvalid, "request");
  if (!parsed) {
    return Fail(parsed.error());
  }
  WipeOnExit wipe{*parsed};
  auto request = core::JsonObjectView::Of(*parsed, kInvalid, "request");
  if (!request) {
    return Fail(request.error());
  }
  const json* api = request->Find("apiRequest");
  if (api == nullptr || !api->is_string()) {
    return Fail(ErrorCode::kAccountRequestUnsupported, "request: no apiRequest string");
  }
  const auto& name = api->get_ref<const std::string&>();
  if (name == "generateAccount") {
    auto generate = ReadGenerate(*request);
    if (!generate) {
      return Fail(generate.error());
    }
    return Request(std::move(*generate));
  }
  if (name == "sign") {
    auto sign = ReadSign(*request);
    if (!sign) {
      return Fail(sign.error());
    }
    return Request(std::move(*sign));
  }
  return Fail(ErrorCode::kAccountRequestUnsupported,
              "request: unsupported apiRequest \"" + core::SafeExcerpt(name, 40) + "\"");
}

std::string EncodeRequest(const Request& request) {
  ordered_json out;
  if (const auto* generate = std::get_if<GenerateRequest>(&request)) {
    out = {{"apiRequest", "generateAccount"},
           {"credential", CredentialJson(generate->credential)},
           {"key_id", generate->key_id},
           {"name", generate->name}};
    if (generate->owner_key) {
      out["ownerKey"] = core::HexEncode(*generate->owner_key);
    }
  } else {
    const auto& sign = std::get<SignRequest>(request);
    out = {{"apiRequest", "sign"},
           {"credential", CredentialJson(sign.credential)},
           {"key_id", sign.key_id},
           {"name", sign.name}};
    if (sign.address) {
      out["address"] = ethereum::ChecksumAddress(*sign.address);
    }
    out["encryptedDataKey"] = core::Base64Encode(sign.encrypted_data_key);
    out["encryptedPrivateKey"] = sign.encrypted_private_key;
    out["message"] = "0x" + core::HexEncode(sign.digest);
    if (sign.owner_key) {
      out["ownerKey"] = core::HexEncode(*sign.owner_key);
    }
    if (sign.owner_auth) {
      out["ownerNonce"] = core::HexEncode(sign.owner_auth->nonce);
      out["ownerSignature"] = core::HexEncode(sign.owner_auth->signature);
    }
  }
  std::string text = core::DumpJson(out);
  return text;
}

const char* EnvelopeErrorName(EnvelopeError error) noexcept {
  switch (error) {
    case EnvelopeError::kBadRequest:
      return "bad_request";
    case EnvelopeError::kKmsFailed:
      return "kms_failed";
    case EnvelopeError::kDecryptFailed:
      return "decrypt_failed";
    case EnvelopeError::kAddressMismatch:
      return "address_mismatch";
    case EnvelopeError::kUnsupported:
      return "unsupported";
    case EnvelopeError::kOwnerAuthFailed:
      return "owner_auth_failed";
    case EnvelopeError::kPolicyRefused:
      return "policy_refused";
  }
  return "kms_failed";
}

EnvelopeError EnvelopeErrorFor(const core::Error& error) noexcept {
  switch (error.code) {
    case ErrorCode::kAccountRequestUnsupported:
      return EnvelopeError::kUnsupported;
    case ErrorCode::kAccountAddressMismatch:
    case ErrorCode::kWalletAddressMismatch:
    case ErrorCode::kEthTxFromMismatch:
      return EnvelopeError::kAddressMismatch;
    case ErrorCode::kAccountDecryptFailed:
    case ErrorCode::kWalletDecryptFailed:
    case ErrorCode::kKmsInvalidCiphertext:  // another context: a row bound to other fields
      return EnvelopeError::kDecryptFailed;
    case ErrorCode::kAccountOwnerAuthMissing:
    case ErrorCode::kAccountOwnerAuthInvalid:
    case ErrorCode::kAccountOwnerNonceReplayed:
      return EnvelopeError::kOwnerAuthFailed;
    case ErrorCode::kAccountKeyPolicyRefused:
    case ErrorCode::kAccountDebugEnclaveRefused:
      return EnvelopeError::kPolicyRefused;
    case ErrorCode::kAccountKmsFailed:
    case ErrorCode::kNetwork:
    case ErrorCode::kServiceUnavailable:
      return EnvelopeError::kKmsFailed;
    default:
      break;
  }
  const auto value = static_cast<unsigned>(error.code);
  if (value / 100 == 7) {
    return EnvelopeError::kKmsFailed;
  }
  const core::ExitClass exit_class = core::InfoFor(error.code).exit_class;
  return exit_class == core::ExitClass::kMalformed || exit_class == core::ExitClass::kUsage
             ? EnvelopeError::kBadRequest
             : EnvelopeError::kKmsFailed;
}

std::string EncodeGenerateResponse(const GenerateResponse& response) {
  ordered_json content{{"address", ethereum::ChecksumAddress(response.address)},
                       {"encryptedDataKey", core::Base64Encode(response.encrypted_data_key)},
                       {"encryptedPrivateKey", response.encrypted_private_key}};
  if (response.owner_key) {
    content["ownerKey"] = core::HexEncode(*response.owner_key);
  }
  return Envelope("generateResponse", std::move(content));
}

std::string EncodeSignResponse(const SignResponse& response) {
  const ethereum::Signature65 raw = ethereum::EncodeSignature(response.signature, 0);
  return Envelope("signResponse", {{"address", ethereum::ChecksumAddress(response.address)},
                                   {"signature", "0x" + core::HexEncode(raw)}});
}

std::string EncodeErrorResponse(EnvelopeError error) {
  return Envelope("error", {{"error", EnvelopeErrorName(error)}});
}

core::Result<Response> DecodeResponse(std::string_view payload) {
  auto parsed = core::ParseStrictJson(payload, kMaxFramePayloadBytes, kInvalid, "response");
  if (!parsed) {
    return Fail(parsed.error());
  }
  auto response = core::JsonObjectView::Of(*parsed, kInvalid, "response");
  if (!response) {
    return Fail(response.error());
  }
  auto kind = response->String("apiResponse");
  auto content = response->Object("content");
  if (!kind || !content) {
    return Fail(!kind ? kind.error() : content.error());
  }
  if (*kind == "error") {
    auto error = content->String("error");
    if (!error) {
      return Fail(error.error());
    }
    for (const EnvelopeError e :
         {EnvelopeError::kBadRequest, EnvelopeError::kKmsFailed, EnvelopeError::kDecryptFailed,
          EnvelopeError::kAddressMismatch, EnvelopeError::kUnsupported,
          EnvelopeError::kOwnerAuthFailed, EnvelopeError::kPolicyRefused}) {
      if (*error == EnvelopeErrorName(e)) {
        return Response(e);
      }
    }
    return Fail(kInvalid, "response: unknown error");
  }
  auto address_text = content->String("address");
  if (!address_text) {
    return Fail(address_text.error());
  }
  auto address = ethereum::ParseAddress(*address_text);
  if (!address) {
    return Fail(kInvalid, "response: address is not an Ethereum address");
  }
  if (*kind == "generateResponse") {
    GenerateResponse out;
    out.address = *address;
    auto data_key = ReadBase64(*content, "encryptedDataKey");
    auto private_key = ReadEnvelopeText(*content);
    if (!data_key || !private_key) {
      return Fail(!data_key ? data_key.error() : private_key.error());
    }
    out.encrypted_data_key = std::move(*data_key);
    out.encrypted_private_key = std::move(*private_key);
    auto owner_key = ReadOwnerKey(*content);
    if (!owner_key) {
      return Fail(kInvalid, "response: ownerKey is not 64 hex digits");
    }
    out.owner_key = *owner_key;
    return Response(std::move(out));
  }
  if (*kind == "signResponse") {
    auto signature = content->String("signature");
    if (!signature) {
      return Fail(signature.error());
    }
    auto bytes = signature->rfind("0x", 0) == 0 ? core::HexDecode(signature->substr(2))
                                                : core::Result<core::Bytes>(core::Bytes{});
    auto parsed_signature = bytes ? ethereum::ParseSignature(*bytes)
                                  : core::Result<ethereum::Signature>(core::Fail(bytes.error()));
    if (!bytes || bytes->size() != 65 || (*bytes)[64] > 1 || !parsed_signature) {
      return Fail(kInvalid, "response: signature is not 0x and r || s || v (v 0 or 1)");
    }
    return Response(SignResponse{*address, *parsed_signature});
  }
  return Fail(kInvalid, "response: unknown apiResponse");
}

}  // namespace enclavectl::wallet::protocol
