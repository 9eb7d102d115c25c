// Authentication of a local KMS request: SigV4 as AWS checks it, in AWS's order and words
// (sigv4.md section 8; docs/design/0005-local-kms.md "SigV4 checking").
#include <algorithm>

#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "service_internal.hpp"

namespace enclavectl::localkms::internal {

std::string Header(const IncomingRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

namespace {

// The credential scope: the date of X-Amz-Date, service kms, this server's region.
std::optional<Fault> CheckScope(const aws::AuthorizationHeader& auth, const std::string& amz_date,
                                const std::string& region) {
  if (auth.date != amz_date.substr(0, 8)) {
    return MakeFault("InvalidSignatureException",
                     "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                     "date from HTTP: '" +
                         auth.date + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date +
                         "'.");
  }
  if (auth.service != "kms" || auth.terminator != "aws4_request") {
    return MakeFault("InvalidSignatureException",
                     "Credential should be scoped to correct service: 'kms'. ");
  }
  if (auth.region != region) {
    return MakeFault(
        "InvalidSignatureException",
        "Credential should be scoped to a valid region. This local KMS serves " + region + ".");
  }
  return std::nullopt;
}

// Headers that must be signed (sigv4.md 2, server rule); the session token may come
// unsigned (the suite's post-sts-header-after variant).
std::optional<Fault> CheckSignedHeaders(const IncomingRequest& request,
                                        const aws::AuthorizationHeader& auth) {
  const auto is_signed = [&auth](std::string_view name) {
    return std::find(auth.signed_headers.begin(), auth.signed_headers.end(), name) !=
           auth.signed_headers.end();
  };
  for (const char* name : {"host", "x-amz-date", "x-amz-target", "content-type"}) {
    if (!is_signed(name)) {
      return MakeFault(
          "InvalidSignatureException",
          std::string("'") + name + "' must be a 'SignedHeader' in the AWS Authorization.");
    }
  }
  if (!Header(request, "x-amz-content-sha256").empty() && !is_signed("x-amz-content-sha256")) {
    return MakeFault("InvalidSignatureException",
                     "'x-amz-content-sha256' must be a 'SignedHeader' in the AWS Authorization.");
  }
  return std::nullopt;
}

// Clock skew (sigv4.md 8.3).
std::optional<Fault> CheckSkew(core::UnixMillis time, const std::string& amz_date, std::int64_t now,
                               std::int64_t max_skew_ms) {
  if (time.value < now - max_skew_ms) {
    return MakeFault("InvalidSignatureException",
                     "Signature expired: " + amz_date + " is now earlier than " +
                         aws::AmzDate(core::UnixMillis{now - max_skew_ms}) + " (" +
                         aws::AmzDate(core::UnixMillis{now}) + " - 5 min.)");
  }
  if (time.value > now + max_skew_ms) {
    return MakeFault("InvalidSignatureException",
                     "Signature not yet current: " + amz_date + " is still later than " +
                         aws::AmzDate(core::UnixMillis{now + max_skew_ms}) + " (" +
                         aws::AmzDate(core::UnixMillis{now}) + " + 5 min.)");
  }
  return std::nullopt;
}

// The body hash, the signature recomputed from the request as received, and the session
// token (required and equal when configured, refused otherwise).
std::optional<Fault> CheckSignature(const IncomingRequest& request,
                                    const aws::AuthorizationHeader& auth, const AccessKey& key,
                                    core::UnixMillis time) {
  const std::string content_sha = Header(request, "x-amz-content-sha256");
  if (!content_sha.empty() &&
      content_sha != core::HexEncode(core::Sha256(core::AsBytes(request.body)))) {
    return MakeFault("InvalidSignatureException",
                     "The provided 'x-amz-content-sha256' header does not match what was "
                     "computed.");
  }
  aws::SigningRequest received;
  received.method = request.method;
  received.path = request.path;
  received.query = request.query;
  received.payload = core::AsBytes(request.body);
  for (const auto& [name, value] : request.headers) {
    received.headers.push_back(aws::HttpHeader{name, value});
  }
  auto parts = aws::RecomputeSignature(received, auth, key.secret_access_key, time);
  if (!parts) {
    return MakeFault("IncompleteSignatureException", parts.error().detail);
  }
  if (!core::ConstantTimeEqual(core::AsBytes(parts->signature), core::AsBytes(auth.signature))) {
    return MakeFault("InvalidSignatureException",
                     "The request signature we calculated does not match the signature you "
                     "provided. Check your AWS Secret Access Key and signing method. Consult "
                     "the service documentation for details.");
  }
  const std::string token = Header(request, "x-amz-security-token");
  if (key.session_token.empty() != token.empty() ||
      (!token.empty() &&
       !core::ConstantTimeEqual(key.session_token.View(), core::AsBytes(token)))) {
    return MakeFault("UnrecognizedClientException",
                     "The security token included in the request is invalid.");
  }
  return std::nullopt;
}

}  // namespace

std::variant<std::string, Fault> State::Authenticate(const IncomingRequest& request) {
  const std::string authorization = Header(request, "authorization");
  if (authorization.empty()) {
    return MakeFault("MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  auto auth = aws::ParseAuthorization(authorization);
  if (!auth) {
    return MakeFault("IncompleteSignatureException", auth.error().detail);
  }
  const std::string amz_date = Header(request, "x-amz-date");
  auto time = aws::ParseAmzDate(amz_date);
  if (!time) {
    return MakeFault("IncompleteSignatureException",
                     "Authorization header requires existence of either a 'X-Amz-Date' or a "
                     "'Date' header.");
  }
  if (auto fault = CheckScope(*auth, amz_date, Config().region)) {
    return std::move(*fault);
  }
  if (auto fault = CheckSignedHeaders(request, *auth)) {
    return std::move(*fault);
  }
  const AccessKey* key = FindAccessKey(auth->access_key_id);
  if (key == nullptr) {
    return MakeFault("UnrecognizedClientException",
                     "The security token included in the request is invalid.");
  }
  if (auto fault = CheckSkew(*time, amz_date, NowMs(), options_.max_clock_skew_ms)) {
    return std::move(*fault);
  }
  if (auto fault = CheckSignature(request, *auth, *key, *time)) {
    return std::move(*fault);
  }
  return key->principal;
}

const AccessKey* State::FindAccessKey(std::string_view id) {
  const auto find = [this, id]() -> const AccessKey* {
    for (const AccessKey& key : options_.config.access_keys) {
      if (key.access_key_id == id) {
        return &key;
      }
    }
    return nullptr;
  };
  const AccessKey* key = find();
  if (key == nullptr && options_.reload_config) {
    if (auto reloaded = options_.reload_config(); reloaded &&
                                                  reloaded->account_id == Config().account_id &&
                                                  reloaded->region == Config().region) {
      options_.config.access_keys = std::move(reloaded->access_keys);
      key = find();
    }
  }
  return key;
}

}  // namespace enclavectl::localkms::internal
