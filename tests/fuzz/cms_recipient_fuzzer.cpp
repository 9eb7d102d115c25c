// CiphertextForRecipient: never crashes; decryption with the test recipient key (the derived
// KMS-shaped vectors' key) fails with the decoder's own error whenever decoding fails; a
// successful decryption came from a decodable envelope and is shorter than its ciphertext
// (PKCS#7 padding).
#include <openssl/pem.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include "enclavectl/aws/recipient.hpp"
#include "enclavectl/core/handles.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

EVP_PKEY* RecipientKey() {
  static const core::EvpPkeyPtr key = [] {
    std::ifstream in(std::string(ENCLAVECTL_TESTDATA_DIR) +
                     "/kms-cms/derived/recipient-rsa2048-private.pem");
    const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    core::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return core::EvpPkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  }();
  FUZZ_CHECK(key != nullptr);
  return key.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const core::ByteView input(data, size);
  auto envelope = aws::DecodeCiphertextForRecipient(input);
  auto plaintext = aws::DecryptCiphertextForRecipient(input, RecipientKey());
  if (!envelope) {
    const core::ErrorCode code = envelope.error().code;
    FUZZ_CHECK(code == core::ErrorCode::kCmsMalformed || code == core::ErrorCode::kCmsUnsupported ||
               code == core::ErrorCode::kInputTooLarge);
    FUZZ_CHECK(!plaintext && plaintext.error().code == code);
    return 0;
  }
  FUZZ_CHECK(!envelope->encrypted_content.empty());
  if (plaintext) {
    FUZZ_CHECK(plaintext->size() < envelope->encrypted_content.size());
  } else {
    const core::ErrorCode code = plaintext.error().code;
    FUZZ_CHECK(code == core::ErrorCode::kCmsDecrypt || code == core::ErrorCode::kCmsUnsupported);
  }
  return 0;
}
