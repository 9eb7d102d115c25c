// The evidence directory, the wait between rounds (SIGINT/SIGTERM end it) and RunLiveMonitor.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <system_error>

#include "enclavectl/monitor/live.hpp"

namespace enclavectl::monitor {

namespace fs = std::filesystem;

core::Result<std::unique_ptr<DirectoryEvidenceStore>> DirectoryEvidenceStore::Open(
    const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec)) {
    return core::Fail(
        core::ErrorCode::kIoWrite,
        "--evidence-dir " + dir + ": " + (ec ? ec.message() : std::string("not a directory")));
  }
  ::chmod(dir.c_str(), 0700);  // best effort: evidence may name internal hosts
  return std::unique_ptr<DirectoryEvidenceStore>(new DirectoryEvidenceStore(dir));  // NOLINT
}

core::Result<std::string> DirectoryEvidenceStore::Put(const std::string& name,
                                                      core::ByteView bytes) {
  const std::string path = (fs::path(dir_) / name).string();
  if (auto written = core::io::WriteFileAtomic(path, bytes); !written) {
    return core::Fail(written.error());
  }
  return path;
}

core::Result<std::vector<std::string>> DirectoryEvidenceStore::List() {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      names.push_back(it->path().filename().string());
    }
  }
  if (ec) {
    return core::Fail(core::ErrorCode::kIoRead, dir_ + ": " + ec.message());
  }
  return names;
}

core::Status DirectoryEvidenceStore::Remove(const std::string& name) {
  std::error_code ec;
  fs::remove(fs::path(dir_) / name, ec);
  if (ec) {
    return core::Fail(core::ErrorCode::kIoWrite, dir_ + "/" + name + ": " + ec.message());
  }
  return {};
}

namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

SignalWaiter::SignalWaiter(const core::io::Clock& clock) : clock_(clock) {
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
}

SignalWaiter::~SignalWaiter() { pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr); }

bool SignalWaiter::WaitUntil(core::UnixMillis deadline) {
  const sigset_t set = StopSignals();
  while (true) {
    const std::int64_t left = deadline.value - clock_.Now().value;
    if (left <= 0) {
      return true;
    }
    timespec timeout{static_cast<std::time_t>(left / 1000),
                     static_cast<long>((left % 1000) * 1000000)};  // NOLINT(google-runtime-int)
    const int got = sigtimedwait(&set, nullptr, &timeout);
    if (got == SIGINT || got == SIGTERM) {
      return false;
    }
    // EAGAIN (the timeout) or EINTR: look at the clock again.
  }
}

core::Result<MonitorSummary> RunLiveMonitor(const LiveMonitorOptions& options,
                                            const core::io::Clock& clock, std::ostream& out,
                                            std::ostream& err) {
  // Before any thread starts, so that the signals reach only sigtimedwait.
  SignalWaiter waiter(clock);
  std::unique_ptr<DirectoryEvidenceStore> store;
  if (!options.evidence_dir.empty()) {
    auto opened = DirectoryEvidenceStore::Open(options.evidence_dir);
    if (!opened) {
      return core::Fail(opened.error());
    }
    store = std::move(*opened);
  }
  PrometheusMetrics metrics;
  std::unique_ptr<MetricsServer> server;
  if (!options.listen.empty()) {
    auto started = MetricsServer::Start(options.listen, metrics);
    if (!started) {
      return core::Fail(started.error());
    }
    server = std::move(*started);
    err << "monitor: metrics on " << server->Url() << "\n" << std::flush;
  }
  err << "monitor: " << options.monitor.targets.size() << " target(s), every "
      << static_cast<double>(options.monitor.interval_ms) / 1000 << " s"
      << (options.monitor.once ? " (once)" : "") << "\n"
      << std::flush;
  LiveProber prober(options.prober, clock);
  std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const MonitorPorts ports{
      prober, metrics, store.get(), waiter, clock, [&] { return uniform(random); }, out, err};
  return RunMonitor(options.monitor, ports);
}

}  // namespace enclavectl::monitor
