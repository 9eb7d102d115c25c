// CBOR decoding: never crashes or over-allocates, and decode -> encode -> decode is stable.
#include <cstddef>
#include <cstdint>

#include "enclavectl/core/cbor.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace enclavectl::core;  // NOLINT(google-build-using-namespace)
  auto item = cbor::Decode(ByteView(data, size));
  if (!item) {
    FUZZ_CHECK(item.error().code != ErrorCode::kInternal);
    return 0;
  }
  const Bytes encoded = cbor::Encode(*item);
  auto again = cbor::Decode(encoded);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *item);
  FUZZ_CHECK(cbor::Encode(*again) == encoded);
  return 0;
}
