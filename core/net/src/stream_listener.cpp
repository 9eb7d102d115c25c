#include "enclavectl/net/stream_listener.hpp"

#include <linux/vm_sockets.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include "enclavectl/net/accept_loop.hpp"

namespace enclavectl::net {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Acceptor = asio::basic_socket_acceptor<StreamProtocol>;

// The TCP endpoint behind a generic one, or nullopt for another family.
std::optional<asio::ip::tcp::endpoint> AsTcp(const StreamProtocol::endpoint& endpoint) {
  const int family = endpoint.protocol().family();
  if (family != AF_INET && family != AF_INET6) {
    return std::nullopt;
  }
  asio::ip::tcp::endpoint tcp;
  if (endpoint.size() > tcp.capacity()) {
    return std::nullopt;
  }
  std::memcpy(tcp.data(), endpoint.data(), endpoint.size());
  tcp.resize(endpoint.size());
  return tcp;
}

std::optional<sockaddr_vm> AsVsock(const StreamProtocol::endpoint& endpoint) {
  if (endpoint.protocol().family() != AF_VSOCK || endpoint.size() < sizeof(sockaddr_vm)) {
    return std::nullopt;
  }
  sockaddr_vm vm{};
  std::memcpy(&vm, endpoint.data(), sizeof(vm));
  return vm;
}

}  // namespace

core::Result<ListenAddress> ListenAddress::Tcp(const std::string& host, std::uint16_t port) {
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return core::Fail(core::ErrorCode::kListenFailed, "not an IP address: " + host);
  }
  return ListenAddress{StreamProtocol::endpoint(asio::ip::tcp::endpoint(address, port)),
                       host + ":" + std::to_string(port)};
}

ListenAddress ListenAddress::Vsock(std::uint32_t port) {
  sockaddr_vm address{};
  address.svm_family = AF_VSOCK;
  address.svm_cid = VMADDR_CID_ANY;
  address.svm_port = port;
  return ListenAddress{StreamProtocol::endpoint(&address, sizeof(address)),
                       "vsock port " + std::to_string(port)};
}

std::string DescribePeer(const StreamSocket& socket) {
  error_code ec;
  const StreamProtocol::endpoint remote = socket.remote_endpoint(ec);
  if (ec) {
    return {};
  }
  if (const auto tcp = AsTcp(remote)) {
    return tcp->address().to_string() + ":" + std::to_string(tcp->port());
  }
  if (const auto vm = AsVsock(remote)) {
    return "vsock " + std::to_string(vm->svm_cid) + ":" + std::to_string(vm->svm_port);
  }
  return {};
}

struct StreamListener::Impl {
  Impl(StreamListenerOptions listener_options,
       std::function<void(AcceptedConnection)> on_connection_fn)
      : options(std::move(listener_options)),
        on_connection(std::move(on_connection_fn)),
        ioc(static_cast<int>(ThreadCount())),
        acceptor(asio::make_strand(ioc)),
        accept_loop(
            acceptor, ioc, [this](StreamSocket socket) { OnAccepted(std::move(socket)); },
            options.warn) {}

  std::size_t ThreadCount() const {
    if (options.threads > 0) {
      return options.threads;
    }
    const unsigned cores = std::thread::hardware_concurrency();
    return cores > 0 ? cores : 1;
  }

  void OnAccepted(StreamSocket socket) {
    ConnectionSlot slot(connections);
    const bool over_capacity = connections.load() > options.max_connections;
    on_connection(AcceptedConnection{std::move(socket), std::move(slot), over_capacity});
  }

  StreamListenerOptions options;
  std::function<void(AcceptedConnection)> on_connection;
  // Before the io_context: the connections it destroys release their slots into it.
  std::atomic<std::size_t> connections{0};
  std::uint32_t port = 0;
  std::mutex mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;
  asio::io_context ioc;
  Acceptor acceptor;
  AcceptLoop<Acceptor> accept_loop;
  std::vector<std::thread> threads;
};

StreamListener::StreamListener(StreamListenerOptions options,
                               std::function<void(AcceptedConnection)> on_connection)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(on_connection))) {}

StreamListener::~StreamListener() { Stop(); }

core::Status StreamListener::Listen(const ListenAddress& address) {
  Impl& impl = *impl_;
  const StreamProtocol::endpoint& endpoint = address.endpoint;
  error_code ec;
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec && endpoint.protocol().family() != AF_VSOCK) {
    impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    impl.acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return core::Fail(core::ErrorCode::kListenFailed,
                      "cannot listen on " + address.text + ": " + ec.message());
  }
  const StreamProtocol::endpoint local = impl.acceptor.local_endpoint(ec);
  if (const auto tcp = ec ? std::nullopt : AsTcp(local)) {
    impl.port = tcp->port();
  } else if (const auto vm = ec ? std::nullopt : AsVsock(local)) {
    impl.port = vm->svm_port;
  }
  impl.accept_loop.Start();
  for (std::size_t i = 0; i < impl.ThreadCount(); ++i) {
    impl.threads.emplace_back([&impl] { impl.ioc.run(); });
  }
  return core::Ok();
}

std::uint32_t StreamListener::Port() const noexcept { return impl_->port; }

std::size_t StreamListener::Connections() const noexcept { return impl_->connections.load(); }

void StreamListener::Stop() {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.mutex);
    if (impl.stopped) {
      return;
    }
    impl.stopped = true;
  }
  impl.ioc.stop();
  for (std::thread& thread : impl.threads) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  // No thread runs any more: close the listening socket now, so that new connections are
  // refused instead of waiting in the kernel's backlog.
  error_code ignored;
  impl.acceptor.close(ignored);
  impl.stopped_cv.notify_all();
}

void StreamListener::Wait() {
  Impl& impl = *impl_;
  std::unique_lock lock(impl.mutex);
  impl.stopped_cv.wait(lock, [&impl] { return impl.stopped; });
}

}  // namespace enclavectl::net
