// Reading a root filesystem from a tar archive (docker export, tar -c): POSIX ustar with
// pax extended headers, GNU long names, old GNU and v7 headers. Untrusted input: every
// header checksum, number field and size is checked against the archive's length.
#pragma once

#include <vector>

#include "enclavectl/core/result.hpp"
#include "enclavectl/eif/cpio.hpp"
#include "enclavectl/eif/source.hpp"

namespace enclavectl::eif {

// Lists the members of `tar` as archive entries (not yet prepared: see PrepareArchive)
// with normalized paths and permissions (NormalizedPermissions), ignoring owners and
// times. File data are windows of `tar`, which must outlive the entries. Hard links become
// copies of their (earlier) target. The root directory itself is skipped.
// Fails with kTarMalformed (bad checksum or number field, a pax record or GNU long name
// that is malformed or larger than kMaxTarExtendedHeaderBytes, data past the end of the
// archive, a hard link to an unknown file, a member of an unknown type), kRootfsPathInvalid
// (see NormalizeArchivePath, too many entries) or kCpioUnsupportedEntry (device or fifo).
[[nodiscard]] core::Result<std::vector<ArchiveEntry>> ReadTar(const ByteSource& tar);

}  // namespace enclavectl::eif
