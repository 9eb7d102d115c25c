// Sample accounts for the wallet tests: wallet.md 4.4's enclave-layout row (a legacy envelope
// that opens with the vector's data key) under any name.
#pragma once

#include <string>

#include "enclavectl/wallet/account.hpp"

namespace enclavectl::wallet::testing {

// wallet.md 4.4: data key (base64) and the enclave-layout envelope of key 4.3 #1.
inline constexpr const char* kSampleDataKeyB64 = "gnbLKIT08rBb6beAGBqyhBb+usZKBSQ3DgAyDFEolzs=";
inline constexpr const char* kSampleEnvelope =
    "MF8Yt0Xi4C3aFv8PXjhd+5gasW853AVvFpOwG4yAq5fmxoRlVzoKpY6Yp3Wbkzt2z9QwmVwdce6rYXwv";
inline constexpr const char* kSampleAddress = "0x9141B7539E7902872095C408BfA294435e2b8c8a";
// Not a real KMS blob: any base64 stands for the CiphertextBlob here.
inline constexpr const char* kSampleBlobB64 = "AQIDAHibG56zAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

inline Account SampleAccount(std::string name, std::string key_id = "alias/wallet") {
  Account account;
  account.name = std::move(name);
  account.key_id = std::move(key_id);
  account.address = kSampleAddress;
  account.encrypted_data_key = kSampleBlobB64;
  account.encrypted_private_key = kSampleEnvelope;
  account.format = EnvelopeFormat::kLegacy;
  return account;
}

}  // namespace enclavectl::wallet::testing
