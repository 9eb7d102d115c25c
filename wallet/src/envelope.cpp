#include "enclavectl/wallet/envelope.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/wallet/owner_auth.hpp"

namespace enclavectl::wallet {
namespace {

using core::ByteView;
using core::ErrorCode;
using core::Fail;

constexpr std::size_t kNonceLen = 12;
constexpr std::size_t kTagLen = 16;
constexpr std::size_t kMaxBoundFieldLen = 4096;
// wallet.md 2.5 step 4: the nonce seed (b) uses for every account.
constexpr std::array<std::uint8_t, kNonceLen> kLegacyNonce = {0xcc, 0x5c, 0xac, 0x2c, 0x77, 0x91,
                                                              0xaf, 0xb2, 0xf5, 0xf8, 0x59, 0xc1};
constexpr std::string_view kAadLabel = "enclavectl wallet account v1";

// Bytes that wipe themselves: decoded plaintexts (key text) before they become SecretBytes.
class WipedBytes {
 public:
  explicit WipedBytes(core::Bytes bytes) : bytes_(std::move(bytes)) {}
  ~WipedBytes() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
  WipedBytes(const WipedBytes&) = delete;
  WipedBytes& operator=(const WipedBytes&) = delete;
  ByteView View() const noexcept { return bytes_; }

 private:
  core::Bytes bytes_;
};

bool IsBase64Text(std::string_view text) noexcept {
  for (const char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '=';
    if (!ok) {
      return false;
    }
  }
  return !text.empty();
}

int CipherLen(std::size_t len) { return static_cast<int>(len); }

core::Status CheckDataKey(ByteView data_key) {
  if (data_key.size() != kDataKeyLen) {
    return Fail(ErrorCode::kWalletAccountInvalid, "a data key is 32 bytes (AES-256)");
  }
  return core::Ok();
}

// AES-256-GCM (NIST SP 800-38D), 96-bit nonce, 128-bit tag: ciphertext || tag.
core::Result<core::Bytes> GcmSeal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  core::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  core::Bytes out(plaintext.size() + kTagLen);
  int len = 0;
  int final_len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce.data()) == 1 &&
      (aad.empty() ||
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), CipherLen(aad.size())) == 1) &&
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                        CipherLen(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &final_len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, CipherLen(kTagLen),
                          out.data() + plaintext.size()) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("AES-256-GCM seal"));
  }
  return out;
}

core::Result<core::SecretBytes> GcmOpen(ByteView key, ByteView nonce, ByteView aad,
                                        ByteView sealed) {
  if (sealed.size() < kTagLen) {
    return Fail(ErrorCode::kWalletEnvelopeMalformed, "an envelope is shorter than its GCM tag");
  }
  const std::size_t text_len = sealed.size() - kTagLen;
  core::SecretBytes plain(text_len);
  std::array<std::uint8_t, kTagLen> tag{};
  std::copy(sealed.begin() + static_cast<std::ptrdiff_t>(text_len), sealed.end(), tag.begin());
  core::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce.data()) == 1 &&
      (aad.empty() ||
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), CipherLen(aad.size())) == 1) &&
      EVP_DecryptUpdate(ctx.get(), plain.MutableData(), &len, sealed.data(), CipherLen(text_len)) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, CipherLen(kTagLen), tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), plain.MutableData() + len, &final_len) == 1;
  if (!ok) {
    static_cast<void>(core::DrainOpensslErrors("AES-256-GCM open"));
    return Fail(ErrorCode::kWalletDecryptFailed,
                "the account envelope does not open with this data key and account binding");
  }
  return plain;
}

// wallet.md 2.5: the legacy plaintext is base64 of the key (44 characters); the demo README's
// "0x" + 64 hex is read too. Never quotes the text.
core::Result<core::SecretBytes> ParseLegacyKeyText(ByteView text_bytes) {
  const std::string_view text = core::AsChars(text_bytes);
  core::Result<core::Bytes> decoded = Fail(ErrorCode::kWalletKeyTextInvalid, "");
  if (text.size() == 66 && (text.starts_with("0x") || text.starts_with("0X"))) {
    decoded = core::HexDecode(text.substr(2));
  } else if (text.size() == 44 && IsBase64Text(text)) {
    decoded = core::Base64Decode(text);
  }
  if (!decoded || decoded->size() != kSecretKeyLen) {
    if (decoded) {
      OPENSSL_cleanse(decoded->data(), decoded->size());
    }
    return Fail(ErrorCode::kWalletKeyTextInvalid,
                "the legacy envelope's plaintext is neither base64 of 32 bytes nor 0x and 64 hex");
  }
  const WipedBytes key(std::move(*decoded));
  return core::SecretBytes(key.View());
}

core::Result<ethereum::Address> ParseBoundAddress(std::string_view address) {
  auto parsed = ethereum::ParseAddress(address);
  if (!parsed) {
    return Fail(ErrorCode::kWalletAccountInvalid,
                "the account address is not an Ethereum address: " + parsed.error().detail);
  }
  return parsed;
}

// wallet.md 5.4: the key must be the key of the row's address.
core::Status CheckKeyAddress(const core::SecretBytes& secret_key, const ethereum::Address& want) {
  auto have = ethereum::AddressFromSecret(secret_key.View());
  if (!have) {
    return Fail(have.error());
  }
  if (*have != want) {
    return Fail(ErrorCode::kWalletAddressMismatch,
                "the decrypted key belongs to " + ethereum::ChecksumAddress(*have) +
                    ", not to the row's address " + ethereum::ChecksumAddress(want));
  }
  return core::Ok();
}

void AppendField(core::Bytes& out, std::string_view field) {
  const auto len = static_cast<std::uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>((len >> shift) & 0xffU));
  }
  out.insert(out.end(), field.begin(), field.end());
}

}  // namespace

std::string_view EnvelopeFormatName(EnvelopeFormat format) noexcept {
  return format == EnvelopeFormat::kLegacy ? "legacy" : "hardened-v1";
}

core::Result<EnvelopeFormat> DetectEnvelopeFormat(std::string_view encrypted_private_key) {
  if (encrypted_private_key.empty() || encrypted_private_key.size() > kMaxEnvelopeTextLen) {
    return Fail(ErrorCode::kWalletEnvelopeMalformed,
                "an encryptedPrivateKey has 1 to 512 characters");
  }
  if (encrypted_private_key.starts_with(kHardenedV1Prefix)) {
    if (!IsBase64Text(encrypted_private_key.substr(kHardenedV1Prefix.size()))) {
      return Fail(ErrorCode::kWalletEnvelopeMalformed,
                  "a hardened envelope is enclavectl:v1: and standard base64");
    }
    return EnvelopeFormat::kHardenedV1;
  }
  if (!IsBase64Text(encrypted_private_key)) {
    return Fail(ErrorCode::kWalletEnvelopeMalformed,
                "an encryptedPrivateKey is neither standard base64 (legacy) nor enclavectl:v1:");
  }
  return EnvelopeFormat::kLegacy;
}

core::Result<core::Bytes> AccountAad(const AccountBinding& binding) {
  auto address = ParseBoundAddress(binding.address);
  if (!address) {
    return Fail(address.error());
  }
  if (binding.name.size() > kMaxBoundFieldLen || binding.key_id.size() > kMaxBoundFieldLen) {
    return Fail(ErrorCode::kWalletAccountInvalid, "an account name or key id is too long");
  }
  core::Bytes aad(kAadLabel.begin(), kAadLabel.end());
  aad.push_back(0);
  AppendField(aad, binding.name);
  AppendField(aad, core::AsChars(*address));
  AppendField(aad, binding.key_id);
  if (!binding.owner_key.empty()) {
    auto owner = ParseOwnerKey(binding.owner_key);
    if (!owner) {
      return Fail(owner.error());
    }
    AppendField(aad, core::AsChars(*owner));
  }
  return aad;
}

core::Result<std::map<std::string, std::string>> AccountEncryptionContext(
    const AccountBinding& binding) {
  auto aad = AccountAad(binding);  // the same checks
  if (!aad) {
    return Fail(aad.error());
  }
  const auto address = ParseBoundAddress(binding.address);
  std::map<std::string, std::string> context{
      {"enclavectl:wallet", "account-v1"},
      {"enclavectl:name", binding.name},
      {"enclavectl:address", ethereum::ChecksumAddress(*address)},
      {"enclavectl:key-id", binding.key_id},
  };
  if (!binding.owner_key.empty()) {
    context.emplace("enclavectl:owner-key", OwnerKeyHex(*ParseOwnerKey(binding.owner_key)));
  }
  return context;
}

core::Result<std::string> SealAccountKey(ByteView data_key, const core::SecretBytes& secret_key,
                                         const AccountBinding& binding, EnvelopeFormat format) {
  ENCLAVECTL_RETURN_IF_ERROR(CheckDataKey(data_key));
  auto address = ParseBoundAddress(binding.address);
  if (!address) {
    return Fail(address.error());
  }
  ENCLAVECTL_RETURN_IF_ERROR(CheckKeyAddress(secret_key, *address));
  if (format == EnvelopeFormat::kLegacy && !binding.owner_key.empty()) {
    return Fail(ErrorCode::kWalletAccountInvalid,
                "an owned account needs the hardened envelope (the legacy one binds nothing)");
  }
  if (format == EnvelopeFormat::kLegacy) {
    // wallet.md 2.5 steps 2-5: encrypt the base64 text of the key, fixed nonce, no AAD.
    std::string key_b64 = core::Base64Encode(secret_key.View());
    auto sealed = GcmSeal(data_key, kLegacyNonce, {}, core::AsBytes(key_b64));
    OPENSSL_cleanse(key_b64.data(), key_b64.size());
    if (!sealed) {
      return Fail(sealed.error());
    }
    return core::Base64Encode(*sealed);
  }
  auto aad = AccountAad(binding);
  if (!aad) {
    return Fail(aad.error());
  }
  std::array<std::uint8_t, kNonceLen> nonce{};
  if (RAND_bytes(nonce.data(), CipherLen(nonce.size())) != 1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("RAND_bytes"));
  }
  auto sealed = GcmSeal(data_key, nonce, *aad, secret_key.View());
  if (!sealed) {
    return Fail(sealed.error());
  }
  core::Bytes body(nonce.begin(), nonce.end());
  body.insert(body.end(), sealed->begin(), sealed->end());
  return std::string(kHardenedV1Prefix) + core::Base64Encode(body);
}

core::Result<core::SecretBytes> OpenAccountKey(ByteView data_key,
                                               std::string_view encrypted_private_key,
                                               const AccountBinding& binding) {
  ENCLAVECTL_RETURN_IF_ERROR(CheckDataKey(data_key));
  auto format = DetectEnvelopeFormat(encrypted_private_key);
  if (!format) {
    return Fail(format.error());
  }
  const bool legacy = *format == EnvelopeFormat::kLegacy;
  // A legacy row's sign request may omit the address (wallet.md 2.8): then nothing to check.
  const bool check_address = !(legacy && binding.address.empty());
  auto address = check_address ? ParseBoundAddress(binding.address)
                               : core::Result<ethereum::Address>(ethereum::Address{});
  if (!address) {
    return Fail(address.error());
  }
  if (legacy && !binding.owner_key.empty()) {
    return Fail(ErrorCode::kWalletAccountInvalid,
                "an owned account's envelope must be hardened, this one is legacy");
  }
  const std::string_view b64 =
      legacy ? encrypted_private_key : encrypted_private_key.substr(kHardenedV1Prefix.size());
  auto raw = core::Base64Decode(b64);
  if (!raw) {
    return Fail(ErrorCode::kWalletEnvelopeMalformed, "an encryptedPrivateKey is not base64");
  }
  core::Result<core::SecretBytes> key = Fail(ErrorCode::kWalletEnvelopeMalformed, "");
  if (legacy) {
    auto plain = GcmOpen(data_key, kLegacyNonce, {}, *raw);
    if (!plain) {
      return Fail(plain.error());
    }
    key = ParseLegacyKeyText(plain->View());
  } else {
    if (raw->size() != kNonceLen + kSecretKeyLen + kTagLen) {
      return Fail(ErrorCode::kWalletEnvelopeMalformed,
                  "a hardened v1 envelope is 60 bytes: nonce, key and tag");
    }
    auto aad = AccountAad(binding);
    if (!aad) {
      return Fail(aad.error());
    }
    const ByteView all(*raw);
    key = GcmOpen(data_key, all.first(kNonceLen), *aad, all.subspan(kNonceLen));
  }
  if (!key) {
    return Fail(key.error());
  }
  if (check_address) {
    ENCLAVECTL_RETURN_IF_ERROR(CheckKeyAddress(*key, *address));
  }
  return key;
}

core::Result<GeneratedAccount> GenerateAccount() {
  // wallet.md 2.5 step 1: 32 random bytes, 0 < sk < n (retry the ~2^-128 misses).
  for (int attempt = 0; attempt < 16; ++attempt) {
    core::SecretBytes secret(kSecretKeyLen);
    if (RAND_priv_bytes(secret.MutableData(), CipherLen(kSecretKeyLen)) != 1) {
      return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("RAND_priv_bytes"));
    }
    auto address = ethereum::AddressFromSecret(secret.View());
    if (address) {
      return GeneratedAccount{std::move(secret), ethereum::ChecksumAddress(*address)};
    }
  }
  return Fail(ErrorCode::kInternal, "the DRBG gave no valid secp256k1 key");
}

}  // namespace enclavectl::wallet
