// The parent-side wallet service (wallet_service.hpp).
#include "enclavectl/wallet/io/wallet_service.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cctype>
#include <utility>
#include <variant>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/wallet/owner_auth.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::size_t kMaxKeyFileBytes = 4096;
constexpr std::size_t kOwnerNonceLen = 32;

protocol::Credential Clone(const protocol::Credential& c) {
  protocol::Credential out;
  out.access_key_id = c.access_key_id;
  out.secret_access_key = core::SecretBytes(c.secret_access_key.View());
  out.session_token = core::SecretBytes(c.session_token.View());
  return out;
}

core::Error Refused(protocol::EnvelopeError error, const char* what) {
  return {ErrorCode::kWalletEnclaveRefused,
          std::string("the enclave refused to ") + what + ": " + protocol::EnvelopeErrorName(error),
          -1};
}

std::string Trimmed(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      out.push_back(c);
    }
  }
  if (out.size() >= 2 && out[0] == '0' && (out[1] == 'x' || out[1] == 'X')) {
    out.erase(0, 2);
  }
  return out;
}

}  // namespace

// The row keeps the owner as its x-only key (64 hex, account.hpp); 02 || x (the SEC1
// compressed form of the same even-y point) is also read.
std::string StoredOwnerKey(const OwnerKey& key) { return OwnerKeyHex(key); }

core::Result<OwnerKey> ParseStoredOwnerKey(std::string_view hex) {
  if (hex.size() == 2 * kOwnerKeyLen + 2 && (hex.substr(0, 2) == "02")) {
    hex.remove_prefix(2);
  }
  return ParseOwnerKey(hex);
}

core::Result<protocol::Response> WalletService::Call(const protocol::Request& request) {
  std::string payload = protocol::EncodeRequest(request);
  auto answer = channel_.Exchange(payload);
  OPENSSL_cleanse(payload.data(), payload.size());
  if (!answer) {
    return Fail(answer.error());
  }
  auto response = protocol::DecodeResponse(*answer);
  if (!response) {
    return Fail(ErrorCode::kWalletEnclaveResponseInvalid,
                "the enclave's answer does not decode: " + response.error().detail);
  }
  return response;
}

core::Result<Account> WalletService::Create(const CreateAccountRequest& request) {
  {
    // Validate what can be validated before the enclave (and KMS) is asked.
    Account probe;
    probe.name = request.name;
    probe.key_id = request.key_id;
    if (request.name.empty() || request.name.size() > kMaxNameLen || request.key_id.empty() ||
        request.key_id.size() > kMaxKeyIdLen) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the account name must have 1..255 bytes and the key id 1..2048");
    }
    auto existing = store_.Get(request.key_id, request.name);
    if (existing) {
      return Fail(ErrorCode::kWalletAccountExists, "account " + request.name + " of key " +
                                                       request.key_id + " already exists (" +
                                                       existing->address + ")");
    }
    if (existing.error().code != ErrorCode::kWalletAccountNotFound) {
      return Fail(existing.error());
    }
  }
  protocol::GenerateRequest generate;
  generate.credential = Clone(credential_);
  generate.key_id = request.key_id;
  generate.name = request.name;
  generate.owner_key = request.owner_key;
  auto response = Call(protocol::Request(std::move(generate)));
  if (!response) {
    return Fail(response.error());
  }
  if (const auto* error = std::get_if<protocol::EnvelopeError>(&*response)) {
    return Fail(Refused(*error, "create the account"));
  }
  const auto* generated = std::get_if<protocol::GenerateResponse>(&*response);
  if (generated == nullptr) {
    return Fail(ErrorCode::kWalletEnclaveResponseInvalid,
                "the enclave answered generateAccount with a sign response");
  }
  if (generated->owner_key != request.owner_key) {
    return Fail(ErrorCode::kWalletEnclaveResponseInvalid,
                "the enclave did not bind the owner key asked for");
  }
  Account account;
  account.name = request.name;
  account.key_id = request.key_id;
  account.address = ethereum::ChecksumAddress(generated->address);
  account.encrypted_data_key = core::Base64Encode(generated->encrypted_data_key);
  account.encrypted_private_key = generated->encrypted_private_key;
  auto format = DetectEnvelopeFormat(account.encrypted_private_key);
  if (!format) {
    return Fail(ErrorCode::kWalletEnclaveResponseInvalid,
                "the enclave's encryptedPrivateKey is not an envelope: " + format.error().detail);
  }
  account.format = *format;
  account.created_at = request.created_at;
  if (request.owner_key) {
    account.owner_key = StoredOwnerKey(*request.owner_key);
  }
  if (auto valid = ValidateAccount(account); !valid) {
    return Fail(ErrorCode::kWalletEnclaveResponseInvalid,
                "the enclave's account does not validate: " + valid.error().detail);
  }
  ENCLAVECTL_RETURN_IF_ERROR(store_.Put(account));
  return account;
}

core::Result<Account> WalletService::Get(const std::string& key_id, const std::string& name) {
  return store_.Get(key_id, name);
}

core::Result<std::vector<Account>> WalletService::List(const std::optional<std::string>& key_id,
                                                       std::size_t max_accounts) {
  return ListAllAccounts(store_, key_id, max_accounts);
}

core::Result<SignedDigest> WalletService::SignDigest(const SignTarget& target,
                                                     const ethereum::Hash256& digest) {
  auto account = store_.Get(target.key_id, target.name);
  if (!account) {
    return Fail(account.error());
  }
  auto address = ethereum::ParseAddress(account->address);
  if (!address) {
    return Fail(address.error());
  }
  protocol::SignRequest sign;
  sign.credential = Clone(credential_);
  sign.key_id = account->key_id;
  sign.name = account->name;
  sign.address = *address;
  auto data_key = core::Base64Decode(account->encrypted_data_key);
  if (!data_key) {
    return Fail(ErrorCode::kWalletAccountInvalid, "the stored encryptedDataKey is not base64");
  }
  sign.encrypted_data_key = std::move(*data_key);
  sign.encrypted_private_key = account->encrypted_private_key;
  sign.digest = digest;
  if (account->owner_key) {
    auto owner = ParseStoredOwnerKey(*account->owner_key);
    if (!owner) {
      return Fail(owner.error());
    }
    if (target.owner_secret == nullptr) {
      return Fail(ErrorCode::kWalletOwnerRequired, "account " + account->name + " is owned by " +
                                                       *account->owner_key +
                                                       ": give --owner-secret-file");
    }
    auto mine = OwnerKeyOf(*target.owner_secret);
    if (!mine) {
      return Fail(mine.error());
    }
    if (*mine != *owner) {
      return Fail(ErrorCode::kAccountOwnerKeyInvalid,
                  "the owner secret's key " + OwnerKeyHex(*mine) + " is not the account's owner " +
                      OwnerKeyHex(*owner));
    }
    protocol::OwnerAuthorization auth;
    auth.nonce.resize(kOwnerNonceLen);
    if (RAND_bytes(auth.nonce.data(), static_cast<int>(auth.nonce.size())) != 1) {
      return Fail(ErrorCode::kInternal, "RAND_bytes failed");
    }
    auto signature = SignOwnerAuth(*target.owner_secret,
                                   OwnerAuthMessage(account->name, *address, digest, auth.nonce));
    if (!signature) {
      return Fail(signature.error());
    }
    auth.signature = *signature;
    sign.owner_key = *owner;
    sign.owner_auth = std::move(auth);
  } else if (target.owner_secret != nullptr) {
    return Fail(ErrorCode::kInvalidArgument,
                "account " + account->name + " has no owner: drop --owner-secret-file");
  }
  auto response = Call(protocol::Request(std::move(sign)));
  if (!response) {
    return Fail(response.error());
  }
  if (const auto* error = std::get_if<protocol::EnvelopeError>(&*response)) {
    return Fail(Refused(*error, "sign"));
  }
  const auto* signed_digest = std::get_if<protocol::SignResponse>(&*response);
  if (signed_digest == nullptr) {
    return Fail(ErrorCode::kWalletEnclaveResponseInvalid,
                "the enclave answered sign with a generate response");
  }
  if (signed_digest->address != *address) {
    return Fail(ErrorCode::kWalletSignatureMismatch,
                "the enclave signed as " + ethereum::ChecksumAddress(signed_digest->address) +
                    ", not as the account's " + account->address);
  }
  const ethereum::Signature65 encoded = ethereum::EncodeSignature(signed_digest->signature, 0);
  auto recovered = ethereum::RecoverAddress(digest, encoded);
  if (!recovered || *recovered != *address) {
    return Fail(
        ErrorCode::kWalletSignatureMismatch,
        "the enclave's signature does not recover the account's address " + account->address);
  }
  SignedDigest out;
  out.account = std::move(*account);
  out.digest = digest;
  out.signature = signed_digest->signature;
  return out;
}

core::Result<SignedDigest> WalletService::SignPersonalMessage(const SignTarget& target,
                                                              core::ByteView message) {
  auto digest = ethereum::PersonalMessageHash(message);
  if (!digest) {
    return Fail(digest.error());
  }
  return SignDigest(target, *digest);
}

core::Result<ethereum::SignedTransaction> WalletService::SignTransaction(
    const SignTarget& target, const ethereum::TransactionRequest& request) {
  ENCLAVECTL_RETURN_IF_ERROR(ethereum::ValidateTransaction(request.tx));
  auto account = store_.Get(target.key_id, target.name);
  if (!account) {
    return Fail(account.error());
  }
  auto address = ethereum::ParseAddress(account->address);
  if (!address) {
    return Fail(address.error());
  }
  if (request.from && *request.from != *address) {
    return Fail(ErrorCode::kEthTxFromMismatch,
                "from is " + ethereum::ChecksumAddress(*request.from) +
                    " but the account's address is " + account->address);
  }
  auto signed_digest = SignDigest(target, ethereum::SigningHash(request.tx));
  if (!signed_digest) {
    return Fail(signed_digest.error());
  }
  auto assembled = ethereum::AssembleSignedTransaction(request.tx, signed_digest->signature);
  if (!assembled) {
    return Fail(assembled.error());
  }
  if (assembled->from != *address) {
    return Fail(ErrorCode::kWalletSignatureMismatch,
                "the signed transaction's sender is not the account's address");
  }
  return assembled;
}

core::Result<core::SecretBytes> ReadOwnerSecretFile(const std::string& path) {
  auto bytes = core::io::ReadFile(path, kMaxKeyFileBytes);
  if (!bytes) {
    return Fail(bytes.error());
  }
  core::SecretBytes raw(*bytes);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  if (raw.View().size() == 32) {
    return raw;
  }
  std::string text = Trimmed(core::AsChars(raw.View()));
  auto decoded = core::HexDecode(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!decoded || decoded->size() != 32) {
    return Fail(ErrorCode::kEthSecretKeyInvalid,
                path + " is not an owner secret key (64 hex digits or 32 bytes)");
  }
  core::SecretBytes secret(*decoded);
  OPENSSL_cleanse(decoded->data(), decoded->size());
  if (auto key = OwnerKeyOf(secret); !key) {
    return Fail(ErrorCode::kEthSecretKeyInvalid, path + ": " + key.error().detail);
  }
  return secret;
}

core::Result<OwnerKey> ReadOwnerKeyFile(const std::string& path) {
  auto bytes = core::io::ReadFile(path, kMaxKeyFileBytes);
  if (!bytes) {
    return Fail(bytes.error());
  }
  std::string text = Trimmed(core::AsChars(*bytes));
  if (text.size() == 66 && (text.substr(0, 2) == "02" || text.substr(0, 2) == "03")) {
    text.erase(0, 2);  // a compressed SEC1 key: its x is the x-only key
  }
  auto key = ParseOwnerKey(text);
  if (!key) {
    return Fail(key.error().code, path + ": " + key.error().detail);
  }
  return key;
}

}  // namespace enclavectl::wallet
