// The local KMS service (logic layer): one KMS JSON 1.1 request in, one response out. SigV4
// is checked on every request, every key operation is authorized by the key's policy with
// the kmspolicy evaluator (attestation condition keys from a document verified against the
// configured roots), and every change is persisted before it is acknowledged. No sockets and
// no files here: the HTTP server and the state directory are adapters (localkms/server.hpp).
//
// Spec: ../shared/spec/kms.md, ../shared/spec/sigv4.md section 8. Design note:
// docs/design/0005-local-kms.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/localkms/state.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::localkms {

// Where acknowledged changes go. Save must not return before `store` is durable (the file
// adapter writes, fsyncs and renames); a failure makes the service undo the change and
// answer KMSInternalException.
class StatePersister {
 public:
  virtual ~StatePersister() = default;
  [[nodiscard]] virtual core::Status Save(const KeyStore& store) = 0;
};

// Keeps the store in memory only (tests, fuzzing).
class MemoryPersister final : public StatePersister {
 public:
  core::Status Save(const KeyStore& /*store*/) override {
    ++saves;
    return fail ? core::Status(core::Fail(core::ErrorCode::kIoWrite, "refused")) : core::Ok();
  }
  int saves = 0;
  bool fail = false;
};

// How Recipient attestation documents are checked (kms.md 5.1).
struct AttestationOptions {
  // A document must verify against one of these roots (the AWS Nitro root by default in the
  // CLI; the simulator's development root with --attestation-root).
  std::vector<verifier::TrustAnchor> roots;
  // Maximum age of a document at the time of the request.
  std::int64_t max_age_ms = std::int64_t{5} * 60 * 1000;
};

struct ServiceOptions {
  ServiceConfig config;
  AttestationOptions attestation;
  // Tolerated difference between X-Amz-Date and the server's clock (sigv4.md 8.3).
  std::int64_t max_clock_skew_ms = std::int64_t{5} * 60 * 1000;
  // Called (under the service lock) when a request names an access key the configuration
  // does not have, so that keys added while the server runs are found. May be empty.
  std::function<core::Result<ServiceConfig>()> reload_config;
};

// One HTTP request as received (header names in lower case, repeated ones repeated).
struct IncomingRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The HTTP answer and what the server log may show about it (never a secret).
struct OutgoingResponse {
  unsigned status = 200;
  std::string content_type = "application/x-amz-json-1.1";
  std::vector<std::pair<std::string, std::string>> headers;  // x-amzn-RequestId, ...
  std::string body;
  // For the log line.
  std::string operation;   // "Decrypt", or empty before the target is known
  std::string principal;   // the authenticated caller, or empty
  std::string error_type;  // the __type of an error answer
  std::string note;        // e.g. why an attestation document was not trusted
};

class LocalKms {
 public:
  // Takes the keys loaded from the state directory; borrows `persister` and `clock`.
  LocalKms(ServiceOptions options, KeyStore store, StatePersister& persister,
           const core::io::Clock& clock);
  ~LocalKms();
  LocalKms(const LocalKms&) = delete;
  LocalKms& operator=(const LocalKms&) = delete;

  // Answers one request (untrusted in every byte). Never throws except std::bad_alloc.
  // Thread-safe: state changes are serialized and persisted before the answer.
  OutgoingResponse Handle(const IncomingRequest& request);

  // Answers a request the HTTP layer refused by itself (400 malformed, 408, 413, 431, 503)
  // with a KMS-style JSON error.
  static OutgoingResponse Refusal(unsigned status, std::string_view reason);

  // Runs one operation for an already authenticated `principal` (the fuzz target and tests
  // use it to skip SigV4). `target` is the X-Amz-Target value.
  OutgoingResponse Dispatch(std::string_view target, std::string_view body,
                            const std::string& principal);

  // The number of keys (including those pending deletion).
  std::size_t KeyCount() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The key policy KMS attaches when CreateKey has none (kms.md 8.1), in KMS's formatting.
std::string DefaultKeyPolicy(std::string_view account_id);

// Creates a key from given material outside any request (`enclavectl kms import-key`): the
// KeyRecord is completed (id, dates, default policy) and added to `store`. `key_id` may be
// empty (a random one). Fails with kKeyImport (the usage does not fit the curve) or
// kInvalidArgument (a malformed or taken key id or alias name).
[[nodiscard]] core::Result<std::string> AddImportedKey(KeyStore& store, const ServiceConfig& config,
                                                       KeyRecord key, std::string_view alias,
                                                       core::UnixMillis now);

// The key ARN of `key_id` under `config`.
std::string KeyArn(const ServiceConfig& config, std::string_view key_id);

}  // namespace enclavectl::localkms
