// The tar reader and the newc writer on arbitrary bytes: never crash, every member's data
// lies inside the archive, and a prepared archive writes exactly CpioSize bytes.
#include <cstddef>
#include <cstdint>

#include "enclavectl/eif/cpio.hpp"
#include "enclavectl/eif/tar.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace enclavectl;  // NOLINT(google-build-using-namespace)
  const eif::MemorySource source(core::ByteView(data, size));
  auto entries = eif::ReadTar(source);
  if (!entries) {
    FUZZ_CHECK(entries.error().code != core::ErrorCode::kInternal);
    return 0;
  }
  for (const eif::ArchiveEntry& entry : *entries) {
    FUZZ_CHECK(!entry.path.empty());
    FUZZ_CHECK(entry.path.front() != '/');
    FUZZ_CHECK(entry.kind != eif::EntryKind::kFile || entry.size <= size);
  }
  auto prepared = eif::PrepareArchive(std::move(*entries));
  if (!prepared) {
    return 0;
  }
  std::uint64_t written = 0;
  auto status = eif::WriteCpio(*prepared, 0, [&written](core::ByteView piece) {
    written += piece.size();
    return core::Ok();
  });
  FUZZ_CHECK(status.has_value());
  FUZZ_CHECK(written == eif::CpioSize(*prepared));
  FUZZ_CHECK(written % 512 == 0);
  return 0;
}
