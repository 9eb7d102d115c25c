// AWS Signature Version 4 (pure: the time and the credentials are inputs; no clock, no
// environment). Both header signing (what the KMS client sends) and query signing
// (pre-signed URLs, for the test suites) are implemented.
//
// Spec: ../shared/spec/sigv4.md sections 1-7; AWS "Create a signed AWS API request".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/core/time.hpp"

namespace enclavectl::aws {

// AWS credentials. The secret key and the session token never appear in any output; only
// the access key id may be shown.
struct AwsCredentials {
  std::string access_key_id;
  core::SecretBytes secret_access_key;
  core::SecretBytes session_token;  // empty: long-term credentials
};

struct HttpHeader {
  std::string name;
  std::string value;
  friend bool operator==(const HttpHeader&, const HttpHeader&) = default;
};

// The parts of an HTTP request that SigV4 covers.
struct SigningRequest {
  std::string method;               // "POST"
  std::string path;                 // as sent, not yet encoded: "/", "/example space/"
  std::string query;                // as sent, without '?': "Param2=value2&Param1=value1"
  std::vector<HttpHeader> headers;  // as sent, including Host; values must not contain CR/LF
  core::ByteView payload;
};

struct SigningParams {
  std::string region;   // "us-east-1"
  std::string service;  // "kms"
  core::UnixMillis time{};
  // Remove "." / ".." segments and repeated '/' from the path (every service but S3).
  bool normalize_path = true;
  // Add and sign X-Amz-Content-SHA256 (aws-nitro-enclaves-sdk-c does; botocore does not for
  // KMS).
  bool add_content_sha256 = false;
  // Add the session token after signing, unsigned (some services' "header after" variant).
  // The KMS client never sets this (sigv4.md section 6).
  bool omit_session_token = false;
  // Query signing: X-Amz-Expires in seconds.
  std::int64_t expires_seconds = 3600;
};

// Everything a signature is made of, for tests, --dry-run and server-side verification.
struct SignatureParts {
  std::string amz_date;          // "20150830T123600Z"
  std::string credential_scope;  // "20150830/us-east-1/kms/aws4_request"
  std::string signed_headers;    // "content-type;host;x-amz-date;x-amz-target"
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // 64 lower-case hex digits
  std::string authorization;  // header signing: the Authorization header value
  // Header signing: the headers to add to the request, in this order (X-Amz-Date,
  // X-Amz-Content-SHA256, X-Amz-Security-Token, Authorization). Query signing: none.
  std::vector<HttpHeader> added_headers;
  // Query signing: the full query string to send (the request's parameters, then the
  // X-Amz-* ones, X-Amz-Signature last).
  std::string signed_query;
};

// "20150830T123600Z" for `time` (UTC).
std::string AmzDate(core::UnixMillis time);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved A-Z a-z 0-9 - . _ ~ kept, every
// other byte as %XX (upper-case hex); '/' kept when `keep_slash`.
std::string UriEncode(std::string_view text, bool keep_slash);

// The canonical URI of `path`: normalised when asked, each segment encoded once; "" -> "/".
std::string CanonicalUri(std::string_view path, bool normalize);

// The canonical query string: parameters percent-decoded, re-encoded, sorted by name then
// value. Fails with kInvalidArgument on a malformed %-escape.
[[nodiscard]] core::Result<std::string> CanonicalQuery(std::string_view query);

// HMAC-SHA256 signing key for (secret, YYYYMMDD, region, service).
core::SecretBytes DeriveSigningKey(const core::SecretBytes& secret_access_key,
                                   std::string_view date_stamp, std::string_view region,
                                   std::string_view service);

// Signs `request` with an Authorization header. Every header of the request is signed (the
// caller leaves out the ones it does not want signed, e.g. User-Agent), plus X-Amz-Date, the
// session token when present and X-Amz-Content-SHA256 when asked. Fails with
// kInvalidArgument when the request has no Host header, a header value with CR or LF, an
// empty header name, a malformed query, or already carries Authorization / X-Amz-Date.
[[nodiscard]] core::Result<SignatureParts> SignHeaders(const SigningRequest& request,
                                                       const AwsCredentials& credentials,
                                                       const SigningParams& params);

// Signs `request` in its query string (a pre-signed URL): X-Amz-Algorithm, -Credential,
// -Date, -Expires, -SignedHeaders (and -Security-Token unless omitted) are added to the
// canonical query; the payload hash is that of the payload. Fails like SignHeaders.
[[nodiscard]] core::Result<SignatureParts> SignQuery(const SigningRequest& request,
                                                     const AwsCredentials& credentials,
                                                     const SigningParams& params);

// ---- Server side: checking a received signature (the local KMS; sigv4.md section 8) ----

// An Authorization header value: "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/
// aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>".
struct AuthorizationHeader {
  std::string access_key_id;
  std::string date;  // the scope's YYYYMMDD
  std::string region;
  std::string service;
  std::string terminator;                   // "aws4_request"
  std::vector<std::string> signed_headers;  // lower case, in the order listed
  std::string signature;                    // 64 lower-case hex digits
};

// Parses an Authorization value (untrusted): the algorithm, then Credential, SignedHeaders
// and Signature separated by ',' (spaces around them ignored). Fails with kKmsAuth and a
// message in AWS's words ("Authorization header requires 'Signature' parameter.", ...).
[[nodiscard]] core::Result<AuthorizationHeader> ParseAuthorization(std::string_view value);

// Parses an X-Amz-Date value "YYYYMMDD'T'HHMMSS'Z'". Fails with kInvalidArgument.
[[nodiscard]] core::Result<core::UnixMillis> ParseAmzDate(std::string_view text);

// Recomputes the signature of a received request: the request's headers named in
// `auth.signed_headers` (repeated headers joined as received), the path, query and payload,
// signed with `secret_access_key` at `amz_time` (the parsed X-Amz-Date) in the scope of
// `auth`. The caller compares `signature` with auth.signature in constant time. Fails with
// kKmsAuth when a signed header is absent from the request or the request cannot be
// canonicalized (a header value with a line break).
[[nodiscard]] core::Result<SignatureParts> RecomputeSignature(
    const SigningRequest& received, const AuthorizationHeader& auth,
    const core::SecretBytes& secret_access_key, core::UnixMillis amz_time);

}  // namespace enclavectl::aws
