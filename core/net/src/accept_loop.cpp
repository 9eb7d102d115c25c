#include "enclavectl/net/accept_loop.hpp"

#include <cerrno>

#include <boost/asio/error.hpp>

namespace enclavectl::net {

AcceptAction ClassifyAcceptError(const boost::system::error_code& ec) noexcept {
  if (ec == boost::asio::error::operation_aborted) {
    return AcceptAction::kStop;
  }
  if (ec.category() != boost::system::system_category()) {
    return AcceptAction::kPause;
  }
  switch (ec.value()) {
    // accept(2): the connection went away before it was accepted, or a firewall refused it,
    // or a signal interrupted the call; the next connection may be fine.
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case EINTR:
    case EAGAIN:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      return AcceptAction::kRetry;
    // Closed by Stop().
    case EBADF:
      return AcceptAction::kStop;
    // EMFILE, ENFILE, ENOBUFS, ENOMEM, and anything unexpected: retrying at once would spin.
    default:
      return AcceptAction::kPause;
  }
}

std::chrono::milliseconds AcceptBackoff::Next() noexcept {
  const std::chrono::milliseconds now = next_;
  next_ = next_ * 2 > cap_ ? cap_ : next_ * 2;
  return now;
}

}  // namespace enclavectl::net
