// A fake accounts::AccountOperations for the account protocol's tests: a fixed account
// (secret key 1, address 0x7E5F...5Bdf), chosen failures by key id or envelope contents, and a
// record of the credentials it was given (to prove they arrive and are never echoed).
#pragma once

#include <mutex>
#include <string>

#include "enclavectl/app/accounts.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/ethereum/signing.hpp"

namespace enclavectl::app::testing {

class FakeAccountOperations final : public accounts::AccountOperations {
 public:
  FakeAccountOperations() : secret_(32, 0) { secret_[31] = 1; }

  core::Result<accounts::GenerateResponse> Generate(
      const accounts::GenerateRequest& request) override {
    Remember(request.credential);
    if (request.key_id == "kms-down") {
      return core::Fail(core::ErrorCode::kAccountKmsFailed, "KMS unreachable");
    }
    accounts::GenerateResponse out;
    out.address = Address();
    out.encrypted_data_key = core::Bytes(184, 0xDA);
    out.encrypted_private_key = core::Base64Encode(core::Bytes(60, 0xE5));
    return out;
  }

  core::Result<accounts::SignResponse> Sign(const accounts::SignRequest& request) override {
    Remember(request.credential);
    if (request.key_id == "kms-down") {
      return core::Fail(core::ErrorCode::kAccountKmsFailed, "KMS unreachable");
    }
    if (request.encrypted_private_key != core::Base64Encode(core::Bytes(60, 0xE5))) {
      return core::Fail(core::ErrorCode::kAccountDecryptFailed, "GCM tag mismatch");
    }
    if (request.address && *request.address != Address()) {
      return core::Fail(core::ErrorCode::kAccountAddressMismatch, "not this key's address");
    }
    auto signature = ethereum::SignDigest(secret_, request.digest);
    if (!signature) {
      return core::Fail(signature.error());
    }
    return accounts::SignResponse{Address(), *signature};
  }

  ethereum::Address Address() const { return ethereum::AddressFromSecret(secret_).value(); }

  std::string LastSecret() {
    std::lock_guard lock(mutex_);
    return last_secret_;
  }

 private:
  void Remember(const accounts::Credential& credential) {
    std::lock_guard lock(mutex_);
    const core::ByteView secret = credential.secret_access_key.View();
    last_secret_.assign(secret.begin(), secret.end());
  }

  core::Bytes secret_;
  std::mutex mutex_;
  std::string last_secret_;
};

}  // namespace enclavectl::app::testing
