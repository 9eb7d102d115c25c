#include "enclavectl/app/confidential_script.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <secp256k1.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <utility>

#include "enclavectl/bitcoin/confidential_script.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/kdf.hpp"

namespace enclavectl::app {
namespace {

using core::Bytes;
using core::ByteView;
using core::ErrorCode;
using core::Fail;
using nlohmann::json;

constexpr const char* kJson = "application/json";
constexpr const char* kText = "text/plain; charset=utf-8";
constexpr std::string_view kSalt = "confidential-script-salt";
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
// No more elements than a 4 MiB body could hold anyway.
constexpr std::size_t kMaxItems = kMaxVerifyAndSignBodyBytes / 2;

net::HttpResponse Text(unsigned status, std::string body) {
  net::HttpResponse response;
  response.status = status;
  response.content_type = kText;
  response.body = std::move(body);
  return response;
}

net::HttpResponse MiddlewareError(unsigned status, std::string message) {
  net::HttpResponse response;
  response.status = status;
  response.content_type = kJson;
  response.body = core::DumpJson(json{{"error", std::move(message)}, {"status", status}});
  return response;
}

core::Error Invalid(std::string detail) {
  return core::Error{ErrorCode::kAppRequestInvalid, std::move(detail), -1};
}

core::Result<Bytes> HexMember(const json& value, const std::string& what) {
  auto text = core::JsonString(value, ErrorCode::kAppRequestInvalid, what);
  if (!text) {
    return Fail(text.error());
  }
  auto bytes = core::HexDecode(*text);
  if (!bytes) {
    return Fail(Invalid(what + " is not a hex string"));
  }
  return bytes;
}

core::Result<bitcoin::Hash256> Hash32(const json& value, const std::string& what) {
  auto bytes = HexMember(value, what);
  if (!bytes) {
    return Fail(bytes.error());
  }
  if (bytes->size() != 32) {
    return Fail(Invalid(what + " must be 32 bytes (64 hex digits)"));
  }
  bitcoin::Hash256 out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

core::Result<std::uint64_t> DecimalU64(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Fail(ErrorCode::kAppRequestInvalid, "not a decimal number");
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) {
    return Fail(ErrorCode::kAppRequestInvalid, "number out of range");
  }
  return value;
}

core::Result<bitcoin::OutPoint> OutPointFromString(const json& value, const std::string& what) {
  auto text = core::JsonString(value, ErrorCode::kAppRequestInvalid, what);
  if (!text) {
    return Fail(text.error());
  }
  const std::size_t colon = text->find(':');
  if (colon != 64) {
    return Fail(Invalid(what + " must be \"<64 hex digit txid>:<vout>\""));
  }
  auto txid = core::HexDecode(std::string_view(*text).substr(0, 64));
  auto vout = DecimalU64(std::string_view(*text).substr(65), 0xffffffffU);
  if (!txid || txid->size() != 32 || !vout) {
    return Fail(Invalid(what + " must be \"<64 hex digit txid>:<vout>\""));
  }
  bitcoin::OutPoint out;
  // Display order is the reverse of the internal byte order.
  std::reverse_copy(txid->begin(), txid->end(), out.txid.begin());
  out.vout = static_cast<std::uint32_t>(*vout);
  return out;
}

core::Result<bitcoin::TxIn> TxInFromJson(const json& value, const std::string& what) {
  auto view = core::JsonObjectView::Of(value, ErrorCode::kAppRequestInvalid, what);
  if (!view) {
    return Fail(view.error());
  }
  bitcoin::TxIn in;
  const json* prev = view->Find("previous_output");
  const json* script_sig = view->Find("script_sig");
  if (prev == nullptr || script_sig == nullptr) {
    return Fail(Invalid(what + ": previous_output and script_sig are required"));
  }
  auto outpoint = OutPointFromString(*prev, what + ".previous_output");
  if (!outpoint) {
    return Fail(outpoint.error());
  }
  in.prevout = *outpoint;
  auto sig = HexMember(*script_sig, what + ".script_sig");
  if (!sig) {
    return Fail(sig.error());
  }
  in.script_sig = std::move(*sig);
  auto sequence = view->Uint("sequence", 0xffffffffU);
  if (!sequence) {
    return Fail(sequence.error());
  }
  in.sequence = static_cast<std::uint32_t>(*sequence);
  auto witness = view->Array("witness", kMaxItems);
  if (!witness) {
    return Fail(witness.error());
  }
  in.witness.reserve((*witness)->size());
  for (std::size_t i = 0; i < (*witness)->size(); ++i) {
    auto item = HexMember((**witness)[i], what + ".witness[" + std::to_string(i) + "]");
    if (!item) {
      return Fail(item.error());
    }
    in.witness.push_back(std::move(*item));
  }
  return in;
}

const secp256k1_context* Secp() {
  static const core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
  return ctx.get();
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

bool JsonContentType(const net::HttpRequest& request) {
  std::string type(request.Header("content-type"));
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string_view essence = std::string_view(type).substr(0, type.find(';'));
  return essence == "application/json" ||
         (essence.size() > 5 && essence.substr(essence.size() - 5) == "+json");
}

}  // namespace

core::Result<bitcoin::TxOut> TxOutFromJson(const json& value, std::string_view what) {
  auto view = core::JsonObjectView::Of(value, ErrorCode::kAppRequestInvalid, what);
  if (!view) {
    return Fail(view.error());
  }
  bitcoin::TxOut out;
  auto amount = view->Uint("value", static_cast<std::uint64_t>(INT64_MAX));
  if (!amount) {
    return Fail(amount.error());
  }
  out.value = static_cast<std::int64_t>(*amount);
  const json* spk = view->Find("script_pubkey");
  if (spk == nullptr) {
    return Fail(Invalid(std::string(what) + ": script_pubkey is required"));
  }
  auto script = HexMember(*spk, std::string(what) + ".script_pubkey");
  if (!script) {
    return Fail(script.error());
  }
  out.script_pubkey = std::move(*script);
  return out;
}

core::Result<bitcoin::Transaction> TransactionFromJson(const json& value) {
  const std::string what = "emulated_tx_to";
  auto view = core::JsonObjectView::Of(value, ErrorCode::kAppRequestInvalid, what);
  if (!view) {
    return Fail(view.error());
  }
  bitcoin::Transaction tx;
  // rust-bitcoin's Version is an i32.
  const json* version = view->Find("version");
  if (version == nullptr || !version->is_number_integer()) {
    return Fail(Invalid(what + ".version must be an integer"));
  }
  const std::int64_t v = version->is_number_unsigned()
                             ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                   version->get<std::uint64_t>(), 1ULL << 40))
                             : version->get<std::int64_t>();
  if (v < INT32_MIN || v > INT32_MAX) {
    return Fail(Invalid(what + ".version must be a 32-bit signed integer"));
  }
  tx.version = static_cast<std::uint32_t>(static_cast<std::int32_t>(v));
  auto lock_time = view->Uint("lock_time", 0xffffffffU);
  if (!lock_time) {
    return Fail(lock_time.error());
  }
  tx.lock_time = static_cast<std::uint32_t>(*lock_time);
  auto inputs = view->Array("input", kMaxItems);
  if (!inputs) {
    return Fail(inputs.error());
  }
  auto outputs = view->Array("output", kMaxItems);
  if (!outputs) {
    return Fail(outputs.error());
  }
  tx.inputs.reserve((*inputs)->size());
  for (std::size_t i = 0; i < (*inputs)->size(); ++i) {
    auto in = TxInFromJson((**inputs)[i], what + ".input[" + std::to_string(i) + "]");
    if (!in) {
      return Fail(in.error());
    }
    tx.inputs.push_back(std::move(*in));
  }
  tx.outputs.reserve((*outputs)->size());
  for (std::size_t i = 0; i < (*outputs)->size(); ++i) {
    auto out = TxOutFromJson((**outputs)[i], what + ".output[" + std::to_string(i) + "]");
    if (!out) {
      return Fail(out.error());
    }
    tx.outputs.push_back(std::move(*out));
  }
  return tx;
}

json TxOutToJson(const bitcoin::TxOut& out) {
  return json{{"value", static_cast<std::uint64_t>(out.value)},
              {"script_pubkey", core::HexEncode(out.script_pubkey)}};
}

json TransactionToJson(const bitcoin::Transaction& tx) {
  json inputs = json::array();
  for (const bitcoin::TxIn& in : tx.inputs) {
    Bytes txid(in.prevout.txid.rbegin(), in.prevout.txid.rend());
    json witness = json::array();
    for (const Bytes& item : in.witness) {
      witness.push_back(core::HexEncode(item));
    }
    inputs.push_back(
        json{{"previous_output", core::HexEncode(txid) + ":" + std::to_string(in.prevout.vout)},
             {"script_sig", core::HexEncode(in.script_sig)},
             {"sequence", in.sequence},
             {"witness", std::move(witness)}});
  }
  json outputs = json::array();
  for (const bitcoin::TxOut& out : tx.outputs) {
    outputs.push_back(TxOutToJson(out));
  }
  return json{{"version", static_cast<std::int32_t>(tx.version)},
              {"lock_time", tx.lock_time},
              {"input", std::move(inputs)},
              {"output", std::move(outputs)}};
}

core::Result<VerifyAndSignRequest> DecodeVerifyAndSignRequest(std::string_view body) {
  if (body.size() > kMaxVerifyAndSignBodyBytes) {
    return Fail(ErrorCode::kInputTooLarge, "the request body exceeds 4 MiB");
  }
  auto parsed = core::ParseStrictJson(body, kMaxVerifyAndSignBodyBytes,
                                      ErrorCode::kAppRequestMalformed, "request body");
  if (!parsed) {
    return Fail(parsed.error());
  }
  auto view = core::JsonObjectView::Of(*parsed, ErrorCode::kAppRequestInvalid, "request body");
  if (!view) {
    return Fail(view.error());
  }
  VerifyAndSignRequest request;
  const json* tx = view->Find("emulated_tx_to");
  if (tx == nullptr) {
    return Fail(Invalid("request body: emulated_tx_to is required"));
  }
  auto decoded = TransactionFromJson(*tx);
  if (!decoded) {
    return Fail(decoded.error());
  }
  request.emulated_tx_to = std::move(*decoded);
  auto spent = view->Array("actual_spent_outputs", kMaxItems);
  if (!spent) {
    return Fail(spent.error());
  }
  for (std::size_t i = 0; i < (*spent)->size(); ++i) {
    auto out = TxOutFromJson((**spent)[i], "actual_spent_outputs[" + std::to_string(i) + "]");
    if (!out) {
      return Fail(out.error());
    }
    request.actual_spent_outputs.push_back(std::move(*out));
  }
  auto roots = view->Object("backup_merkle_roots");
  if (!roots) {
    return Fail(roots.error());
  }
  for (const auto& [key, value] : roots->Value().items()) {
    auto index = DecimalU64(key, 0xffffffffU);
    if (!index) {
      return Fail(Invalid("backup_merkle_roots: key \"" + core::SafeExcerpt(key, 24) +
                          "\" is not an input index"));
    }
    auto root = Hash32(value, "backup_merkle_roots[\"" + key.substr(0, 24) + "\"]");
    if (!root) {
      return Fail(root.error());
    }
    if (!request.backup_merkle_roots.emplace(static_cast<std::size_t>(*index), *root).second) {
      return Fail(Invalid("backup_merkle_roots: input " + std::to_string(*index) + " repeated"));
    }
  }
  return request;
}

net::HttpResponse VerifyAndSignHttp(const net::HttpRequest& request,
                                    const core::SecretBytes* master_secret,
                                    std::uint64_t max_weight) {
  // Extractor order as axum's: content type, body limit, JSON syntax, shape.
  if (!JsonContentType(request)) {
    return Text(415, "Expected request with `Content-Type: application/json`");
  }
  auto decoded = DecodeVerifyAndSignRequest(request.body);
  if (!decoded) {
    const core::Error& error = decoded.error();
    if (error.code == ErrorCode::kInputTooLarge) {
      return Text(413, "Failed to buffer the request body: length limit exceeded");
    }
    if (error.code == ErrorCode::kAppRequestInvalid) {
      return Text(422, "Failed to deserialize the JSON body into the target type: " + error.detail);
    }
    return Text(400, "Failed to parse the request body as JSON: " + error.detail);
  }
  if (master_secret == nullptr) {
    return Text(400, "Secret not found. Make sure to call `/setup` first.");
  }
  if (bitcoin::TransactionWeight(decoded->emulated_tx_to) > max_weight) {
    return Text(400, "Transaction exceeds max weight.");
  }
  std::array<std::uint8_t, 32> aux_rand{};
  if (RAND_bytes(aux_rand.data(), static_cast<int>(aux_rand.size())) != 1) {
    return Text(500, "Random number generation failed.");
  }
  auto signed_tx =
      bitcoin::VerifyAndSign(decoded->emulated_tx_to, decoded->actual_spent_outputs, aux_rand,
                             master_secret->View(), decoded->backup_merkle_roots);
  if (!signed_tx) {
    return Text(400, "Unable to sign: " + signed_tx.error().detail);
  }
  net::HttpResponse response;
  response.status = 200;
  response.content_type = kJson;
  response.body = core::DumpJson(json{{"signed_tx", TransactionToJson(*signed_tx)}});
  return response;
}

core::Result<core::SecretBytes> ConfidentialScriptHkdf(ByteView ikm, std::string_view info) {
  return core::HkdfSha256(ikm, core::AsBytes(kSalt), core::AsBytes(info), 32);
}

core::Result<core::SecretBytes> MiddlewareKey(ByteView master_secret, ByteView client_public) {
  secp256k1_pubkey point;
  if (client_public.empty() ||
      secp256k1_ec_pubkey_parse(Secp(), &point, client_public.data(), client_public.size()) != 1) {
    return Fail(ErrorCode::kInvalidArgument, "malformed public key");
  }
  if (master_secret.size() != 32 ||
      secp256k1_ec_pubkey_tweak_mul(Secp(), &point, master_secret.data()) != 1) {
    return Fail(ErrorCode::kInternal, "ECDH failed");
  }
  std::array<std::uint8_t, 65> full{};
  std::size_t len = full.size();
  secp256k1_ec_pubkey_serialize(Secp(), full.data(), &len, &point, SECP256K1_EC_UNCOMPRESSED);
  core::SecretBytes shared(ByteView(full).subspan(1, 64));
  // The shared point is secret: wiped where a plain fill could be optimised away.
  OPENSSL_cleanse(full.data(), full.size());
  OPENSSL_cleanse(&point, sizeof(point));
  return ConfidentialScriptHkdf(shared.View(), "Middleware encryption key");
}

core::Result<Bytes> SealMessage(ByteView key, ByteView nonce, ByteView plaintext) {
  if (key.size() != 32 || nonce.size() != kNonceBytes || plaintext.size() > (1U << 30)) {
    return Fail(ErrorCode::kInternal, "bad AEAD arguments");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  Bytes out(nonce.begin(), nonce.end());
  out.resize(kNonceBytes + plaintext.size() + kTagBytes);
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_chacha20_poly1305(), nullptr, key.data(), nonce.data()) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), out.data() + kNonceBytes, &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + kNonceBytes + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes),
                          out.data() + kNonceBytes + plaintext.size()) != 1) {
    return Fail(ErrorCode::kInternal, "ChaCha20-Poly1305 encryption failed");
  }
  return out;
}

core::Result<Bytes> OpenMessage(ByteView key, ByteView sealed) {
  if (sealed.size() < kNonceBytes) {
    return Fail(ErrorCode::kInvalidArgument, "Encrypted data missing nonce");
  }
  if (key.size() != 32 || sealed.size() < kNonceBytes + kTagBytes || sealed.size() > (1U << 30)) {
    return Fail(ErrorCode::kInvalidArgument, "Decryption failed");
  }
  const std::size_t text_len = sealed.size() - kNonceBytes - kTagBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  Bytes out(text_len);
  Bytes tag(sealed.end() - kTagBytes, sealed.end());
  int len = 0;
  int final_len = 0;
  const bool ok = ctx &&
                  EVP_DecryptInit_ex(ctx.get(), EVP_chacha20_poly1305(), nullptr, key.data(),
                                     sealed.data()) == 1 &&
                  EVP_DecryptUpdate(ctx.get(), out.data(), &len, sealed.data() + kNonceBytes,
                                    static_cast<int>(text_len)) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes),
                                      tag.data()) == 1 &&
                  EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &final_len) == 1;
  if (!ok) {
    std::fill(out.begin(), out.end(), 0);
    return Fail(ErrorCode::kInvalidArgument, "Decryption failed");
  }
  return out;
}

net::HttpResponse SecureVerifyAndSignHttp(const net::HttpRequest& request,
                                          const core::SecretBytes* master_secret,
                                          std::uint64_t max_weight) {
  if (master_secret == nullptr) {
    return MiddlewareError(400, "Master key pair not initialized");
  }
  const std::string_view header = request.Header("x-client-public-key");
  if (header.empty()) {
    return MiddlewareError(400, "Missing X-Client-Public-Key header");
  }
  auto client = core::HexDecode(header);
  if (!client) {
    return MiddlewareError(400, "Invalid hex encoding: not a hex string");
  }
  auto key = MiddlewareKey(master_secret->View(), *client);
  if (!key) {
    if (key.error().code == ErrorCode::kInvalidArgument) {
      return MiddlewareError(400, "Invalid public key format: malformed public key");
    }
    return MiddlewareError(500, "Encryption failed: key agreement failed");
  }
  if (request.body.size() > kMaxVerifyAndSignBodyBytes + kNonceBytes + kTagBytes) {
    return MiddlewareError(400, "Failed to read request body: length limit exceeded");
  }
  auto plain = OpenMessage(key->View(), core::AsBytes(request.body));
  if (!plain) {
    return MiddlewareError(400, "Decryption failed: " + plain.error().detail);
  }
  net::HttpRequest inner;
  inner.method = request.method;
  inner.path = request.path;
  inner.headers = request.headers;
  inner.body.assign(plain->begin(), plain->end());
  OPENSSL_cleanse(plain->data(), plain->size());
  net::HttpResponse response = VerifyAndSignHttp(inner, master_secret, max_weight);
  // The client encrypted its transaction: no plaintext copy outlives this call.
  OPENSSL_cleanse(inner.body.data(), inner.body.size());
  std::array<std::uint8_t, kNonceBytes> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    return MiddlewareError(500, "Encryption failed: no randomness");
  }
  auto sealed = SealMessage(key->View(), nonce, core::AsBytes(response.body));
  OPENSSL_cleanse(response.body.data(), response.body.size());
  if (!sealed) {
    return MiddlewareError(500, "Encryption failed: " + sealed.error().detail);
  }
  response.body.assign(sealed->begin(), sealed->end());
  return response;
}

}  // namespace enclavectl::app
