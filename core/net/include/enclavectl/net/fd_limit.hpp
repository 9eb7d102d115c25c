// Open files and connections for the server binaries (enclave-app, `enclavectl kms serve` /
// `dev up`): at start the soft RLIMIT_NOFILE is raised to the hard limit, and the servers'
// connection caps are kept within what that limit allows, so that accept() does not run out
// of descriptors in normal operation (when it does anyway, see accept_loop.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace enclavectl::net {

// Descriptors a server process keeps for everything but client connections: stdio, the
// listening sockets, the I/O contexts' epoll/event/timer descriptors, log and state files,
// its own outgoing connections (KMS, SSM, credentials), /dev/nsm or the simulator's files,
// and connections being refused with 503. Limits below 64 reserve half of the limit instead.
inline constexpr std::uint64_t kReservedFds = 32;

struct FdLimit {
  std::uint64_t before = 0;  // the soft limit found at start
  std::uint64_t soft = 0;    // the soft limit now
  std::uint64_t hard = 0;    // the hard limit (RLIM_INFINITY as UINT64_MAX)
  std::string error;         // why the limit could not be read or raised; empty: it was fine
};

// Raises this process's soft RLIMIT_NOFILE to its hard limit (when the hard limit is
// unlimited: to /proc/sys/fs/nr_open, else 1048576). Never fails: when getrlimit or
// setrlimit fails, `error` says why and `soft` is the limit still in force (0 when it could
// not be read). Process-wide; call once at start, before threads open files.
FdLimit RaiseFdLimit();

// One line for the log, e.g. "open files: soft limit raised from 1024 to 524288 (hard limit
// 524288)" or "open files: soft limit 64 (hard limit 64)".
std::string DescribeFdLimit(const FdLimit& limit);

// The connections a process may hold open with `fd_limit` descriptors: the limit minus
// kReservedFds (minus half the limit when the limit is below 2 * kReservedFds), at least 1.
// Pure.
std::size_t ConnectionBudget(std::uint64_t fd_limit) noexcept;

struct ConnectionCap {
  std::size_t max_connections = 0;  // min(requested, budget)
  std::string warning;              // empty unless `requested` was shrunk
};

// `requested` connections (the value of option `what`, e.g. "--max-connections") kept within
// `budget` (from ConnectionBudget(fd_limit)). When it must shrink, `warning` names both
// numbers and the limit. Pure.
ConnectionCap FitConnections(std::string_view what, std::size_t requested, std::size_t budget,
                             std::uint64_t fd_limit);

}  // namespace enclavectl::net
