// JSON and INI that reach enclavectl from files and AWS answers outside the KMS codecs: SSM
// GetParameter / PutParameter answers, the AWS shared config and credentials files, the local
// KMS's state.json and config.json, and the development CA's state file. Never crash or throw;
// a failure carries the reader's documented codes.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "enclavectl/aws/aws_config.hpp"
#include "enclavectl/aws/ssm_api.hpp"
#include "enclavectl/localkms/state.hpp"
#include "enclavectl/verifier/devca.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)
using core::ErrorCode;

template <typename T>
void CheckFailure(const core::Result<T>& result, std::initializer_list<ErrorCode> allowed) {
  if (result) {
    return;
  }
  bool known = result.error().code == ErrorCode::kInputTooLarge;
  for (const ErrorCode code : allowed) {
    known = known || result.error().code == code;
  }
  FUZZ_CHECK(known);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const core::ByteView bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  CheckFailure(aws::DecodeGetParameterResponse(bytes), {ErrorCode::kSsmResponseMalformed});
  CheckFailure(aws::DecodePutParameterResponse(bytes), {ErrorCode::kSsmResponseMalformed});
  CheckFailure(aws::ParseAwsIni(text), {ErrorCode::kCredentialsMalformed});
  CheckFailure(localkms::DecodeKeyStore(bytes), {ErrorCode::kLocalKmsState});
  CheckFailure(localkms::DecodeServiceConfig(bytes), {ErrorCode::kLocalKmsState});
  CheckFailure(verifier::devca::DevCa::Deserialize(text),
               {ErrorCode::kPolicyInvalid, ErrorCode::kCertParse, ErrorCode::kCertSignature,
                ErrorCode::kCertKeyType, ErrorCode::kInvalidArgument});
  return 0;
}
