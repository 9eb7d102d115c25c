// The libcurl client over HTTPS, against Python's ssl server on loopback with a self-signed
// certificate made by the openssl CLI: certificate verification is on by default (a
// self-signed peer is a NETWORK error), --insecure-tls turns it off by name, and the peer's
// leaf certificate is captured exactly (the DER of the served certificate) when asked for.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "enclavectl/core/handles.hpp"
#include "enclavectl/net/http_client.hpp"
#include "subprocess.hpp"
#include "test_paths.hpp"

namespace enclavectl::net {
namespace {

constexpr const char* kServer = R"(
import http.server, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"over tls"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
server.serve_forever()
)";

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

core::Bytes DerOfPem(const std::string& pem) {
  core::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  core::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return {};
  }
  const int len = i2d_X509(cert.get(), nullptr);
  core::Bytes der(static_cast<std::size_t>(len));
  unsigned char* out = der.data();
  i2d_X509(cert.get(), &out);
  return der;
}

TEST(HttpsClient, VerifiesByDefaultAndCapturesThePeerCertificate) {
  const testing::ScopedTempDir dir;
  const std::string key = (dir.Path() / "key.pem").string();
  const std::string cert = (dir.Path() / "cert.pem").string();
  const std::string port_file = (dir.Path() / "port").string();
  const testing::CommandResult made = testing::RunCommand(
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"},
      testing::Environment({}));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  testing::ChildProcess server({"python3", "-c", kServer, cert, key, port_file},
                               testing::Environment({}), (dir.Path() / "server.log").string());
  for (int i = 0; i < 300 && !std::filesystem::exists(port_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(std::filesystem::exists(port_file)) << Slurp(dir.Path() / "server.log");
  HttpClientRequest request;
  request.url = "https://127.0.0.1:" + Slurp(port_file) + "/";

  HttpClientOptions options;
  auto refused = Fetch(request, options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::ErrorCode::kNetwork) << refused.error().detail;

  options.insecure_tls = true;
  auto plain = Fetch(request, options);
  ASSERT_TRUE(plain) << plain.error().detail;
  EXPECT_EQ(plain->status, 200);
  EXPECT_EQ(core::AsChars(plain->body.View()), "over tls");
  EXPECT_TRUE(plain->peer_certificate.empty());

  options.capture_peer_certificate = true;
  const core::Bytes expected = DerOfPem(Slurp(cert));
  ASSERT_FALSE(expected.empty());
  auto captured = Fetch(request, options);
  ASSERT_TRUE(captured) << captured.error().detail;
  EXPECT_EQ(captured->peer_certificate, expected);
  // Concurrently (one multi handle): every exchange has its connection's certificate.
  std::vector<HttpClientRequest> three(3);
  for (HttpClientRequest& each : three) {
    each.url = request.url;
  }
  const std::vector<core::Result<HttpClientResponse>> all = FetchAll(three, options);
  for (const auto& response : all) {
    ASSERT_TRUE(response) << response.error().detail;
    EXPECT_EQ(response->peer_certificate, expected);
  }
}

}  // namespace
}  // namespace enclavectl::net
