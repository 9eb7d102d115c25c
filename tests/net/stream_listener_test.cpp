// The stream listener shared by the HTTP server and enclave-app's line server: addresses,
// accepted connections with their peer and slot, the connection cap, and a stop that refuses
// new connections and releases Wait.
#include "enclavectl/net/stream_listener.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "socket_client.hpp"

namespace enclavectl::net {
namespace {

using namespace std::chrono_literals;

using Client = testing::SocketClient;

// Keeps every accepted connection open and records what the listener said about it.
class Recorder {
 public:
  void Accept(AcceptedConnection connection) {
    std::lock_guard lock(mutex_);
    peers_.push_back(DescribePeer(connection.socket));
    over_capacity_.push_back(connection.over_capacity);
    if (!connection.over_capacity) {
      kept_.push_back(std::move(connection));  // open (and counted) until the listener stops
    }
    cv_.notify_all();
  }
  // Waits until `n` connections have been accepted.
  bool WaitFor(std::size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 5s, [&] { return peers_.size() >= n; });
  }
  std::vector<std::string> Peers() {
    std::lock_guard lock(mutex_);
    return peers_;
  }
  std::vector<bool> OverCapacity() {
    std::lock_guard lock(mutex_);
    return over_capacity_;
  }
  // Closes the kept connections (call after the listener stopped: sockets go before their
  // io_context).
  void Release() {
    std::lock_guard lock(mutex_);
    kept_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> peers_;
  std::vector<bool> over_capacity_;
  std::vector<AcceptedConnection> kept_;
};

TEST(ListenAddress, TcpNeedsAnIpAddressAndVsockNamesItsPort) {
  auto tcp = ListenAddress::Tcp("127.0.0.1", 7074);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->text, "127.0.0.1:7074");
  EXPECT_EQ(tcp->endpoint.protocol().family(), AF_INET);
  auto v6 = ListenAddress::Tcp("::1", 0);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->endpoint.protocol().family(), AF_INET6);
  auto name = ListenAddress::Tcp("localhost", 7074);
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error().code, core::ErrorCode::kListenFailed);
  const ListenAddress vsock = ListenAddress::Vsock(5000);
  EXPECT_EQ(vsock.text, "vsock port 5000");
  EXPECT_EQ(vsock.endpoint.protocol().family(), AF_VSOCK);
}

TEST(ConnectionSlot, CountsUntilDestroyedAndMovesItsCount) {
  std::atomic<std::size_t> count{0};
  {
    ConnectionSlot a(count);
    EXPECT_EQ(count.load(), 1U);
    ConnectionSlot b(std::move(a));
    EXPECT_EQ(count.load(), 1U);
    ConnectionSlot c(count);
    EXPECT_EQ(count.load(), 2U);
    c = std::move(b);  // c's own slot is released, b's moves in
    EXPECT_EQ(count.load(), 1U);
  }
  EXPECT_EQ(count.load(), 0U);
}

TEST(StreamListener, HandsOnConnectionsCountsThemAndCapsThem) {
  Recorder recorder;
  StreamListenerOptions options;
  options.threads = 2;
  options.max_connections = 2;
  StreamListener listener(options,
                          [&recorder](AcceptedConnection c) { recorder.Accept(std::move(c)); });
  auto address = ListenAddress::Tcp("127.0.0.1", 0);
  ASSERT_TRUE(address);
  ASSERT_TRUE(listener.Listen(*address));
  ASSERT_NE(listener.Port(), 0U);
  Client a(static_cast<std::uint16_t>(listener.Port()));
  ASSERT_TRUE(recorder.WaitFor(1));
  Client b(static_cast<std::uint16_t>(listener.Port()));
  ASSERT_TRUE(recorder.WaitFor(2));
  EXPECT_EQ(listener.Connections(), 2U);
  Client c(static_cast<std::uint16_t>(listener.Port()));
  ASSERT_TRUE(recorder.WaitFor(3));
  // The third is one too many; dropping it releases its slot.
  EXPECT_EQ(recorder.OverCapacity(), (std::vector<bool>{false, false, true}));
  for (int i = 0; i < 100 && listener.Connections() != 2U; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(listener.Connections(), 2U);
  for (const std::string& peer : recorder.Peers()) {
    EXPECT_EQ(peer.rfind("127.0.0.1:", 0), 0U) << peer;
  }
  listener.Stop();
  recorder.Release();
  EXPECT_EQ(listener.Connections(), 0U);
}

TEST(StreamListener, StopRefusesNewConnectionsAndReleasesWait) {
  Recorder recorder;
  StreamListener listener(StreamListenerOptions{},
                          [&recorder](AcceptedConnection c) { recorder.Accept(std::move(c)); });
  auto address = ListenAddress::Tcp("127.0.0.1", 0);
  ASSERT_TRUE(address);
  ASSERT_TRUE(listener.Listen(*address));
  const auto port = static_cast<std::uint16_t>(listener.Port());
  std::thread waiter([&listener] { listener.Wait(); });
  std::this_thread::sleep_for(50ms);
  listener.Stop();
  waiter.join();
  listener.Stop();  // idempotent
  EXPECT_THROW(Client refused(port), boost::system::system_error);
}

TEST(StreamListener, ListenFailuresNameTheAddress) {
  StreamListener first(StreamListenerOptions{}, [](AcceptedConnection) {});
  auto address = ListenAddress::Tcp("127.0.0.1", 0);
  ASSERT_TRUE(address);
  ASSERT_TRUE(first.Listen(*address));
  auto same = ListenAddress::Tcp("127.0.0.1", static_cast<std::uint16_t>(first.Port()));
  ASSERT_TRUE(same);
  StreamListener second(StreamListenerOptions{}, [](AcceptedConnection) {});
  const core::Status taken = second.Listen(*same);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, core::ErrorCode::kListenFailed);
  EXPECT_NE(taken.error().detail.find(same->text), std::string::npos) << taken.error().detail;
}

}  // namespace
}  // namespace enclavectl::net
