// Running behind nitriding (adapter layer): the enclave-app registers its per-boot attestation
// key with nitriding's internal API and signals readiness (../shared/spec/enclave-http.md 1.2,
// ../shared/spec/migration.md 3.4 and 8.1). nitriding then serves /enclave/attestation on its
// TLS port with user_data = 12 20 || tlsKeyHash || 12 20 || appKeyHash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::app {

// The body of POST /enclave/hash: standard padded base64 of the 32-byte appKeyHash, 44
// characters, no newline (introspector-init's exact bytes, migration.md 3.4).
std::string NitridingHashBody(const core::Sha256Digest& app_key_hash);

// Checks --nitriding-url (a caller's flag): http:// on a loopback host (127.0.0.1, localhost,
// [::1]) with a port, no path beyond "/". Returns the base URL without a trailing slash.
// Fails with kInvalidArgument.
[[nodiscard]] core::Result<std::string> ParseNitridingUrl(std::string_view url);

// POST <base>/enclave/hash, Content-Type text/plain, body NitridingHashBody. Anything but
// 200 (or no answer) fails with kNitridingRegistrationFailed, naming the status and a short
// excerpt of nitriding's plain-text error.
[[nodiscard]] core::Status RegisterAppKeyHash(const std::string& base_url,
                                              const core::Sha256Digest& app_key_hash);

// GET <base>/enclave/ready (nitriding -wait-for-app: the public listener opens on the first
// 200; later calls answer 410). 404 means nitriding runs without -wait-for-app (its public
// listener is already open). Other statuses or no answer fail with
// kNitridingRegistrationFailed.
enum class NitridingReady : std::uint8_t { kReady, kAlreadyReady, kNotWaiting };
[[nodiscard]] core::Result<NitridingReady> SignalNitridingReady(const std::string& base_url);

}  // namespace enclavectl::app
