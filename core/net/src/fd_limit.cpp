#include "enclavectl/net/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

namespace enclavectl::net {
namespace {

constexpr std::uint64_t kUnlimitedTarget = 1048576;  // Linux's default fs.nr_open

std::uint64_t AsCount(rlim_t value) {
  return value == RLIM_INFINITY ? std::numeric_limits<std::uint64_t>::max()
                                : static_cast<std::uint64_t>(value);
}

// The most a process may set RLIMIT_NOFILE to when its hard limit is unlimited.
std::uint64_t NrOpen() {
  std::ifstream in("/proc/sys/fs/nr_open");
  std::uint64_t value = 0;
  if (in >> value && value > 0) {
    return value;
  }
  return kUnlimitedTarget;
}

std::string Count(std::uint64_t value) {
  return value == std::numeric_limits<std::uint64_t>::max() ? "unlimited" : std::to_string(value);
}

}  // namespace

FdLimit RaiseFdLimit() {
  FdLimit out;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.error = std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
    return out;
  }
  out.before = AsCount(limit.rlim_cur);
  out.soft = out.before;
  out.hard = AsCount(limit.rlim_max);
  const rlim_t target =
      limit.rlim_max == RLIM_INFINITY ? static_cast<rlim_t>(NrOpen()) : limit.rlim_max;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
    rlimit raised = limit;
    raised.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      out.error = std::string("setrlimit(RLIMIT_NOFILE, ") + std::to_string(target) +
                  "): " + std::strerror(errno);
      return out;
    }
    out.soft = AsCount(target);
  }
  return out;
}

std::string DescribeFdLimit(const FdLimit& limit) {
  if (limit.soft == 0) {
    return "open files: limit unknown (" + limit.error + ")";
  }
  std::string out = "open files: soft limit ";
  if (limit.soft != limit.before) {
    out += "raised from " + Count(limit.before) + " to ";
  }
  out += Count(limit.soft) + " (hard limit " + Count(limit.hard) + ")";
  if (!limit.error.empty()) {
    out += "; not raised: " + limit.error;
  }
  return out;
}

std::size_t ConnectionBudget(std::uint64_t fd_limit) noexcept {
  const std::uint64_t reserve = std::min(kReservedFds, fd_limit / 2);
  const std::uint64_t budget = fd_limit - reserve;
  if (budget < 1) {
    return 1;
  }
  return budget > std::numeric_limits<std::size_t>::max() ? std::numeric_limits<std::size_t>::max()
                                                          : static_cast<std::size_t>(budget);
}

ConnectionCap FitConnections(std::string_view what, std::size_t requested, std::size_t budget,
                             std::uint64_t fd_limit) {
  ConnectionCap out;
  out.max_connections = std::min(requested, budget);
  if (requested > budget) {
    out.warning = std::string(what) + " " + std::to_string(requested) +
                  " is more than the open-file limit of " + Count(fd_limit) + " allows: using " +
                  std::to_string(budget) + " (raise the hard limit, e.g. ulimit -Hn, for more)";
  }
  return out;
}

}  // namespace enclavectl::net
