// A blocking loopback TCP client for server tests: send raw bytes (malformed, partial, slow),
// read one HTTP response, one line, or everything until the peer closes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace enclavectl::testing {

class SocketClient {
 public:
  explicit SocketClient(std::uint16_t port) : socket_(ioc_) {
    socket_.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }
  void Send(std::string_view bytes) {
    boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()));
  }
  // Shuts down the sending side (the peer reads end of file).
  void ShutdownSend() {
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  }
  // Reads until the peer closes (or an error).
  std::string ReadAll() {
    std::string out;
    boost::system::error_code ec;
    char buf[4096];  // NOLINT(modernize-avoid-c-arrays)
    while (true) {
      const std::size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) {
        return out;
      }
    }
  }
  // Reads one response with a Content-Length body (headers and body).
  std::string ReadResponse() {
    std::string out;
    char c = 0;
    while (out.find("\r\n\r\n") == std::string::npos) {
      boost::asio::read(socket_, boost::asio::buffer(&c, 1));
      out.push_back(c);
    }
    const std::size_t at = out.find("Content-Length: ");
    const std::size_t length = at == std::string::npos ? 0 : std::stoul(out.substr(at + 16));
    std::string body(length, '\0');
    boost::asio::read(socket_, boost::asio::buffer(body.data(), length));
    return out + body;
  }
  // Reads one line (without its newline); empty when the peer closed first.
  std::string ReadLine() {
    std::string out;
    char c = 0;
    boost::system::error_code ec;
    while (boost::asio::read(socket_, boost::asio::buffer(&c, 1), ec) == 1 && !ec) {
      if (c == '\n') {
        return out;
      }
      out.push_back(c);
    }
    return out;
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
};

}  // namespace enclavectl::testing
