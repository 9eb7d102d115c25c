// The server binaries' open-file limit and connection budget (fd_limit.hpp), the accept
// loop's error classes and pauses (accept_loop.hpp), and the HTTP server out of descriptors:
// accept() failing with EMFILE pauses accepting instead of spinning a core, and the server
// serves again once descriptors are free.
#include "enclavectl/net/accept_loop.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cerrno>
#include <chrono>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/error.hpp>

#include "enclavectl/net/fd_limit.hpp"
#include "enclavectl/net/http_server.hpp"
#include "fd_exhaustion.hpp"

namespace enclavectl::net {
namespace {

using namespace std::chrono_literals;

boost::system::error_code Errno(int value) { return {value, boost::system::system_category()}; }

TEST(ConnectionBudget, LimitMinusTheReserve) {
  EXPECT_EQ(kReservedFds, 32U);
  EXPECT_EQ(ConnectionBudget(64), 32U);
  EXPECT_EQ(ConnectionBudget(1024), 992U);
  EXPECT_EQ(ConnectionBudget(1048576), 1048544U);
  // Small limits keep half for the process.
  EXPECT_EQ(ConnectionBudget(40), 20U);
  EXPECT_EQ(ConnectionBudget(3), 2U);
  EXPECT_EQ(ConnectionBudget(1), 1U);
  EXPECT_EQ(ConnectionBudget(0), 1U);
  EXPECT_EQ(ConnectionBudget(std::numeric_limits<std::uint64_t>::max()),
            std::numeric_limits<std::size_t>::max() - 32);
}

TEST(ConnectionBudget, FitConnectionsShrinksWithAWarningNamingBothNumbers) {
  const ConnectionCap shrunk = FitConnections("--max-connections", 1000, 32, 64);
  EXPECT_EQ(shrunk.max_connections, 32U);
  EXPECT_NE(shrunk.warning.find("--max-connections 1000"), std::string::npos) << shrunk.warning;
  EXPECT_NE(shrunk.warning.find("using 32"), std::string::npos) << shrunk.warning;
  EXPECT_NE(shrunk.warning.find("limit of 64"), std::string::npos) << shrunk.warning;

  const ConnectionCap kept = FitConnections("--max-connections", 32, 32, 64);
  EXPECT_EQ(kept.max_connections, 32U);
  EXPECT_TRUE(kept.warning.empty());
  EXPECT_EQ(FitConnections("--max-connections", 4096, 1048544, 1048576).max_connections, 4096U);
}

TEST(FdLimit, RaisesTheSoftLimitToTheHardLimit) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max == RLIM_INFINITY || limit.rlim_max < 80) {
    GTEST_SKIP() << "needs a finite hard limit of at least 80";
  }
  rlimit lowered = limit;
  lowered.rlim_cur = 70;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  const FdLimit raised = RaiseFdLimit();
  EXPECT_TRUE(raised.error.empty()) << raised.error;
  EXPECT_EQ(raised.before, 70U);
  EXPECT_EQ(raised.soft, static_cast<std::uint64_t>(limit.rlim_max));
  EXPECT_EQ(raised.hard, static_cast<std::uint64_t>(limit.rlim_max));
  rlimit now{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, limit.rlim_max);
  const std::string line = DescribeFdLimit(raised);
  EXPECT_NE(line.find("raised from 70 to " + std::to_string(limit.rlim_max)), std::string::npos)
      << line;
  // At the hard limit already: nothing to do, said so.
  const FdLimit again = RaiseFdLimit();
  EXPECT_EQ(again.before, again.soft);
  EXPECT_EQ(DescribeFdLimit(again).find("raised"), std::string::npos);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

TEST(AcceptLoop, ErrorClasses) {
  for (int resource : {EMFILE, ENFILE, ENOBUFS, ENOMEM}) {
    EXPECT_EQ(ClassifyAcceptError(Errno(resource)), AcceptAction::kPause) << resource;
  }
  for (int transient : {ECONNABORTED, EPROTO, EPERM, EINTR, EAGAIN, ENETUNREACH}) {
    EXPECT_EQ(ClassifyAcceptError(Errno(transient)), AcceptAction::kRetry) << transient;
  }
  EXPECT_EQ(ClassifyAcceptError(boost::asio::error::operation_aborted), AcceptAction::kStop);
  EXPECT_EQ(ClassifyAcceptError(boost::asio::error::bad_descriptor), AcceptAction::kStop);
  // Unexpected errors pause too: retrying them at once could spin.
  EXPECT_EQ(ClassifyAcceptError(Errno(EINVAL)), AcceptAction::kPause);
}

TEST(AcceptLoop, BackoffDoublesToTheCapAndResets) {
  AcceptBackoff backoff;
  EXPECT_TRUE(backoff.Fresh());
  EXPECT_EQ(backoff.Next(), 100ms);
  EXPECT_FALSE(backoff.Fresh());
  EXPECT_EQ(backoff.Next(), 200ms);
  EXPECT_EQ(backoff.Next(), 400ms);
  EXPECT_EQ(backoff.Next(), 800ms);
  EXPECT_EQ(backoff.Next(), 1000ms);
  EXPECT_EQ(backoff.Next(), 1000ms);
  backoff.Reset();
  EXPECT_TRUE(backoff.Fresh());
  EXPECT_EQ(backoff.Next(), 100ms);
}

HttpResponse Ok(const HttpRequest& request) {
  HttpResponse response;
  response.body = "ok " + request.path;
  return response;
}

// With every descriptor in use, 20 clients waiting in the backlog: before the fix the
// server retried accept() at once and used a whole core; now it pauses, warns once, and
// serves again when descriptors are free.
TEST(HttpServerOutOfDescriptors, PausesInsteadOfSpinningAndServesAgain) {
  if (testing::kSanitizerNeedsDescriptors) {
    GTEST_SKIP() << "the sanitizer runtime needs descriptors of its own (see fd_exhaustion.hpp); "
                    "this test runs in the dev build";
  }
  std::mutex mutex;
  std::vector<std::string> warnings;
  HttpServerOptions options;
  options.threads = 1;
  options.max_connections = 1000;
  options.warn = [&](const std::string& line) {
    std::lock_guard lock(mutex);
    warnings.push_back(line);
  };
  auto server = HttpServer::Start(options, Ok);
  ASSERT_TRUE(server) << server.error().detail;
  std::vector<testing::RawConnection> clients(20);
  testing::NoFreeDescriptors no_fds;
  ASSERT_TRUE(no_fds.Active());
  for (auto& client : clients) {
    ASSERT_TRUE(client.Connect((*server)->Port()));
  }
  std::this_thread::sleep_for(200ms);
  const double before = testing::ProcessCpuSeconds();
  std::this_thread::sleep_for(1500ms);
  const double used = testing::ProcessCpuSeconds() - before;
  no_fds.Restore();
  EXPECT_LT(used, 0.3) << "the server spins on accept() (CPU seconds in 1.5 s)";
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(warnings.size(), 1U);
    EXPECT_NE(warnings[0].find("accept failed"), std::string::npos) << warnings[0];
  }
  clients.clear();
  // Served again once the pause is over (at most 1 s).
  testing::RawConnection probe;
  ASSERT_TRUE(probe.Connect((*server)->Port(), 5000ms));
  ASSERT_TRUE(probe.Send("GET /again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const std::string response = probe.ReadAll();
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK", 0), 0U) << response;
  EXPECT_NE(response.find("ok /again"), std::string::npos) << response;
  (*server)->Stop();
}

}  // namespace
}  // namespace enclavectl::net
