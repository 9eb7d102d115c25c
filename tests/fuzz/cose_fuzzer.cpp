// COSE_Sign1 decoding: never crashes, and a decoded structure re-encodes to one that decodes
// to the same fields.
#include <cstddef>
#include <cstdint>

#include "enclavectl/core/cose.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace enclavectl::core;  // NOLINT(google-build-using-namespace)
  auto sign1 = cose::Decode(ByteView(data, size));
  if (!sign1) {
    return 0;
  }
  auto again = cose::Decode(cose::Encode(*sign1));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->protected_header == sign1->protected_header);
  FUZZ_CHECK(again->payload == sign1->payload);
  FUZZ_CHECK(again->signature == sign1->signature);
  FUZZ_CHECK(again->alg == sign1->alg);
  FUZZ_CHECK(again->tagged == sign1->tagged);
  return 0;
}
