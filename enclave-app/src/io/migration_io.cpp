// Migration adapters (app/migration_io.hpp).
#include "enclavectl/app/migration_io.hpp"

#include <filesystem>
#include <system_error>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "enclavectl/aws/ssm_api.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/net/http_client.hpp"
#include "enclavectl/wallet/io/enclave_channel.hpp"

namespace enclavectl::app {

using core::ErrorCode;
using core::Fail;

core::Result<std::optional<std::string>> FileMigrationStore::Load(std::string_view name) {
  const std::string path = dir_ + "/" + std::string(name);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) {
    return std::optional<std::string>();
  }
  auto bytes = core::io::ReadFile(path, kMigrationMaxBody);
  if (!bytes) {
    return Fail(bytes.error());
  }
  std::string text(core::TrimWhitespace(core::AsChars(*bytes)));
  if (text.empty() || text == "UNSET") {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::move(text));
}

core::Status FileMigrationStore::Save(std::string_view name, std::string_view value) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  return core::io::WriteFileAtomic(dir_ + "/" + std::string(name), core::AsBytes(value));
}

core::Status ValidateMigrationSsmPrefix(std::string_view prefix) {
  constexpr std::size_t kMaxName = 1011;  // SSM's limit on a parameter name
  if (prefix.size() < 2 || prefix.front() != '/' || prefix.back() == '/' ||
      prefix.find("//") != std::string_view::npos ||
      prefix.size() + 1 + kActivationTimeName.size() > kMaxName) {
    return Fail(ErrorCode::kInvalidArgument,
                "--migration-store ssm:PREFIX takes /NAME[/NAME...] (no trailing /, at most " +
                    std::to_string(kMaxName - 1 - kActivationTimeName.size()) + " characters)");
  }
  return aws::ValidateSsmParameterName(prefix);
}

core::Result<std::optional<std::string>> SsmMigrationStore::Load(std::string_view name) {
  const std::string full = prefix_ + "/" + std::string(name);
  std::optional<std::string> value;
  auto status = with_client_([&](aws::SsmClient& client) -> core::Status {
    auto parameter = client.GetParameter(full);
    if (!parameter) {
      if (parameter.error().code == ErrorCode::kSsmParameterNotFound) {
        return core::Ok();
      }
      return Fail(parameter.error());
    }
    if (parameter->type != "String") {
      return Fail(ErrorCode::kInvalidArgument,
                  "SSM parameter " + full + " is a " + parameter->type + ", not a String");
    }
    std::string text(core::TrimWhitespace(parameter->value));
    if (!text.empty() && text != "UNSET") {
      value = std::move(text);
    }
    return core::Ok();
  });
  if (!status) {
    return Fail(status.error());
  }
  return value;
}

core::Status SsmMigrationStore::Save(std::string_view name, std::string_view value) {
  return with_client_([&](aws::SsmClient& client) -> core::Status {
    aws::PutParameterRequest request;
    request.name = prefix_ + "/" + std::string(name);
    request.value = std::string(value);
    request.type = "String";
    request.overwrite = true;
    auto version = client.PutParameter(request);
    if (!version) {
      return Fail(version.error());
    }
    return core::Ok();
  });
}

core::Result<std::unique_ptr<net::HttpServer>> StartMigrationListener(
    const std::string& host, std::uint16_t port, MigrationSourceHandler& handler,
    std::uint32_t vsock_port) {
  net::HttpServerOptions options;
  options.host = host;
  options.port = port;
  options.vsock_port = vsock_port;
  options.threads = 1;
  options.max_body_bytes = kMigrationMaxBody;
  options.max_connections = 16;
  return net::HttpServer::Start(
      options, [&handler](const net::HttpRequest& request) { return handler.Handle(request); });
}

MigrationTransport TcpMigrationTransport(std::string host_port) {
  return
      [host_port = std::move(host_port)](std::string_view method, std::string_view path,
                                         std::string_view body) -> core::Result<MigrationAnswer> {
        net::HttpClientRequest request;
        request.method = std::string(method);
        request.url = "http://" + host_port + std::string(path);
        if (method == "POST") {
          request.headers.push_back({"Content-Type", "application/json"});
          request.body = core::SecretBytes(core::AsBytes(body));
        }
        net::HttpClientOptions options;
        options.max_response_bytes = kMigrationMaxBody;
        auto response = net::Fetch(request, options);
        if (!response) {
          return Fail(ErrorCode::kMigrationPeerFailed,
                      "V1 at " + host_port + " cannot be reached: " + response.error().detail);
        }
        return MigrationAnswer{static_cast<unsigned>(response->status),
                               std::string(core::AsChars(response->body.View()))};
      };
}

MigrationTransport VsockMigrationTransport(std::uint32_t cid, std::uint32_t port) {
  wallet::EnclaveAddress address;
  address.kind = wallet::EnclaveAddress::Kind::kVsock;
  address.cid = cid;
  address.port = port;
  return StreamMigrationTransport(std::move(address));
}

MigrationTransport StreamMigrationTransport(wallet::EnclaveAddress address) {
  return [address = std::move(address)](std::string_view method, std::string_view path,
                                        std::string_view body) -> core::Result<MigrationAnswer> {
    const std::string where = wallet::DescribeEnclaveAddress(address);
    std::string request = std::string(method) + " " + std::string(path) +
                          " HTTP/1.1\r\nHost: migration\r\nConnection: close\r\n";
    if (method == "POST") {
      request +=
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n\r\n" + std::string(body);
    } else {
      request += "\r\n";
    }
    constexpr std::size_t kMaxHeaders = 16 * 1024;
    auto raw = wallet::ExchangeUntilClose(address, request, kMigrationMaxBody + kMaxHeaders, 30000);
    if (!raw) {
      return Fail(ErrorCode::kMigrationPeerFailed,
                  "V1 at " + where + " cannot be reached: " + raw.error().detail);
    }
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaders);
    parser.body_limit(kMigrationMaxBody);
    parser.eager(true);
    boost::beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(raw->data(), raw->size()), ec);
    if (!ec && !parser.is_done()) {
      parser.put_eof(ec);  // a body delimited by the close
    }
    const bool whole = !ec && parser.is_done() && used <= raw->size() &&
                       parser.get().body().size() <= kMigrationMaxBody;
    MigrationAnswer answer;
    if (whole) {
      answer = MigrationAnswer{parser.get().result_int(), std::move(parser.get().body())};
    }
    if (!whole) {
      return Fail(ErrorCode::kMigrationPeerFailed, "V1 at " + where +
                                                       " did not answer with HTTP/1.1" +
                                                       (ec ? ": " + ec.message() : std::string()));
    }
    return answer;
  };
}

}  // namespace enclavectl::app
