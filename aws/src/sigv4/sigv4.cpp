#include "enclavectl/aws/sigv4.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <new>
#include <utility>

#include "enclavectl/core/ascii.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/kdf.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

using Mac = std::array<std::uint8_t, 32>;

using core::HmacSha256;  // core/kdf.hpp: throws std::bad_alloc when OpenSSL cannot allocate

using core::ascii::Lower;

bool IsSpace(char c) noexcept { return c == ' ' || c == '\t'; }

// Trims and collapses runs of spaces/tabs into one space (sigv4.md section 2).
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (const char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.push_back(c);
  }
  return out;
}

int HexValue(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

core::Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return Fail(ErrorCode::kInvalidArgument, "the query has a truncated %-escape");
    }
    const int hi = HexValue(text[i + 1]);
    const int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) {
      return Fail(ErrorCode::kInvalidArgument, "the query has an invalid %-escape");
    }
    out.push_back(static_cast<char>((hi << 4) | lo));
    i += 2;
  }
  return out;
}

struct CanonicalHeaders {
  std::string text;            // "name:value\n" lines
  std::string signed_headers;  // "a;b;c"
};

core::Result<CanonicalHeaders> Canonicalize(const std::vector<HttpHeader>& headers) {
  // Lower-cased name -> values in the order received (sigv4.md section 2: repeated headers
  // are joined with ',').
  std::vector<std::pair<std::string, std::string>> merged;
  for (const HttpHeader& header : headers) {
    if (header.name.empty() || header.name.find_first_of(" \t\r\n:") != std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument, "a header name is empty or not a token");
    }
    if (header.value.find_first_of("\r\n") != std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument,
                  "header " + header.name + " has a line break in its value");
    }
    const std::string name = Lower(header.name);
    const std::string value = CanonicalHeaderValue(header.value);
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&name](const auto& entry) { return entry.first == name; });
    if (it == merged.end()) {
      merged.emplace_back(name, value);
    } else {
      it->second += "," + value;
    }
  }
  std::sort(merged.begin(), merged.end());
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.text += name + ":" + value + "\n";
    out.signed_headers += (out.signed_headers.empty() ? "" : ";") + name;
  }
  return out;
}

const HttpHeader* FindHeader(const std::vector<HttpHeader>& headers, std::string_view name) {
  for (const HttpHeader& header : headers) {
    if (Lower(header.name) == Lower(name)) {
      return &header;
    }
  }
  return nullptr;
}

std::string HexSha256(core::ByteView data) { return core::HexEncode(core::Sha256(data)); }

std::string SecretText(const core::SecretBytes& secret) {
  return std::string(core::AsChars(secret.View()));
}

struct Prepared {
  std::string amz_date;
  std::string scope;
  std::string payload_hash;
};

// The signing time, credential scope and payload hash of `request` into `out`, which is
// written only on success.
core::Status Prepare(const SigningRequest& request, const SigningParams& params, Prepared& out) {
  if (!FindHeader(request.headers, "host")) {
    return Fail(ErrorCode::kInvalidArgument, "the request has no Host header");
  }
  if (FindHeader(request.headers, "authorization")) {
    return Fail(ErrorCode::kInvalidArgument, "the request is already signed (Authorization)");
  }
  if (params.region.empty() || params.service.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "signing needs a region and a service");
  }
  Prepared prepared;
  prepared.amz_date = AmzDate(params.time);
  prepared.scope =
      prepared.amz_date.substr(0, 8) + "/" + params.region + "/" + params.service + "/aws4_request";
  prepared.payload_hash = HexSha256(request.payload);
  out = std::move(prepared);
  return core::Ok();
}

// The signature parts known before signing: the signing time and the credential scope.
SignatureParts StartParts(const Prepared& prepared) {
  SignatureParts out;
  out.amz_date = prepared.amz_date;
  out.credential_scope = prepared.scope;
  return out;
}

std::string Sign(const AwsCredentials& credentials, const SigningParams& params,
                 const Prepared& prepared, std::string_view string_to_sign) {
  const core::SecretBytes key = DeriveSigningKey(
      credentials.secret_access_key, prepared.amz_date.substr(0, 8), params.region, params.service);
  return core::HexEncode(HmacSha256(key.View(), core::AsBytes(string_to_sign)));
}

std::string StringToSign(const Prepared& prepared, std::string_view canonical_request) {
  return std::string(kAlgorithm) + "\n" + prepared.amz_date + "\n" + prepared.scope + "\n" +
         HexSha256(core::AsBytes(canonical_request));
}

// Fills the canonical request, the string to sign and the signature of `out` (sigv4.md 2-4).
void SignCanonical(const SigningRequest& request, const std::string& canonical_query,
                   const CanonicalHeaders& canonical_headers, const AwsCredentials& credentials,
                   const SigningParams& params, const Prepared& prepared, SignatureParts& out) {
  out.signed_headers = canonical_headers.signed_headers;
  out.canonical_request = request.method + "\n" +
                          CanonicalUri(request.path, params.normalize_path) + "\n" +
                          canonical_query + "\n" + canonical_headers.text + "\n" +
                          out.signed_headers + "\n" + prepared.payload_hash;
  out.string_to_sign = StringToSign(prepared, out.canonical_request);
  out.signature = Sign(credentials, params, prepared, out.string_to_sign);
}

}  // namespace

std::string AmzDate(core::UnixMillis time) {
  const std::time_t seconds = static_cast<std::time_t>(time.Seconds());
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 17> buf{};
  std::strftime(buf.data(), buf.size(), "%Y%m%dT%H%M%SZ", &utc);
  return std::string(buf.data());
}

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0f]);
    }
  }
  return out;
}

std::string CanonicalUri(std::string_view path, bool normalize) {
  if (path.empty()) {
    return "/";
  }
  if (!normalize) {
    return UriEncode(path, /*keep_slash=*/true);
  }
  // Remove "." and ".." segments and empty segments (repeated '/'), keep a trailing '/'.
  std::vector<std::string_view> segments;
  std::string_view rest = path;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment == "..") {
      if (!segments.empty()) {
        segments.pop_back();
      }
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  std::string out;
  for (std::string_view segment : segments) {
    out += "/" + UriEncode(segment, /*keep_slash=*/false);
  }
  if (out.empty() || path.back() == '/') {
    out += "/";
  }
  return out;
}

core::Result<std::string> CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) {
      continue;
    }
    const std::size_t eq = item.find('=');
    auto name = PercentDecode(item.substr(0, eq));
    auto value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
    if (!name || !value) {
      return Fail(!name ? name.error() : value.error());
    }
    params.emplace_back(UriEncode(*name, false), UriEncode(*value, false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    out += (out.empty() ? "" : "&") + name + "=" + value;
  }
  return out;
}

core::SecretBytes DeriveSigningKey(const core::SecretBytes& secret_access_key,
                                   std::string_view date_stamp, std::string_view region,
                                   std::string_view service) {
  core::SecretBytes seed(4 + secret_access_key.size());
  std::copy_n("AWS4", 4, seed.MutableData());
  std::copy(secret_access_key.View().begin(), secret_access_key.View().end(),
            seed.MutableData() + 4);
  Mac k = HmacSha256(seed.View(), core::AsBytes(date_stamp));
  for (std::string_view part : {region, service, std::string_view("aws4_request")}) {
    Mac next = HmacSha256(k, core::AsBytes(part));
    OPENSSL_cleanse(k.data(), k.size());
    k = next;
    OPENSSL_cleanse(next.data(), next.size());
  }
  core::SecretBytes out(k);
  OPENSSL_cleanse(k.data(), k.size());
  return out;
}

core::Result<SignatureParts> SignHeaders(const SigningRequest& request,
                                         const AwsCredentials& credentials,
                                         const SigningParams& params) {
  Prepared prepared;
  ENCLAVECTL_RETURN_IF_ERROR(Prepare(request, params, prepared));
  SignatureParts out = StartParts(prepared);
  std::vector<HttpHeader> headers = request.headers;
  std::vector<HttpHeader> added;
  if (const HttpHeader* date = FindHeader(headers, "x-amz-date")) {
    if (CanonicalHeaderValue(date->value) != out.amz_date) {
      return Fail(ErrorCode::kInvalidArgument, "the request's X-Amz-Date is not the signing time");
    }
  } else {
    added.push_back(HttpHeader{"X-Amz-Date", out.amz_date});
  }
  if (const HttpHeader* hash = FindHeader(headers, "x-amz-content-sha256")) {
    if (CanonicalHeaderValue(hash->value) != prepared.payload_hash) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the request's X-Amz-Content-SHA256 is not the payload's hash");
    }
  } else if (params.add_content_sha256) {
    added.push_back(HttpHeader{"X-Amz-Content-SHA256", prepared.payload_hash});
  }
  const bool has_token = !credentials.session_token.empty();
  HttpHeader token_header;
  if (has_token && !FindHeader(headers, "x-amz-security-token")) {
    token_header = HttpHeader{"X-Amz-Security-Token", SecretText(credentials.session_token)};
    if (!params.omit_session_token) {
      added.push_back(token_header);
    }
  }
  headers.insert(headers.end(), added.begin(), added.end());
  auto canonical_headers = Canonicalize(headers);
  auto canonical_query = CanonicalQuery(request.query);
  if (!canonical_headers || !canonical_query) {
    return Fail(!canonical_headers ? canonical_headers.error() : canonical_query.error());
  }
  SignCanonical(request, *canonical_query, *canonical_headers, credentials, params, prepared, out);
  out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                      out.credential_scope + ", SignedHeaders=" + out.signed_headers +
                      ", Signature=" + out.signature;
  if (has_token && params.omit_session_token && !token_header.name.empty()) {
    added.push_back(token_header);
  }
  added.push_back(HttpHeader{"Authorization", out.authorization});
  out.added_headers = std::move(added);
  return out;
}

core::Result<SignatureParts> SignQuery(const SigningRequest& request,
                                       const AwsCredentials& credentials,
                                       const SigningParams& params) {
  Prepared prepared;
  ENCLAVECTL_RETURN_IF_ERROR(Prepare(request, params, prepared));
  SignatureParts out = StartParts(prepared);
  auto canonical_headers = Canonicalize(request.headers);
  if (!canonical_headers) {
    return Fail(canonical_headers.error());
  }
  out.signed_headers = canonical_headers->signed_headers;
  // The X-Amz-* parameters in the order SDKs write them; the canonical form sorts anyway.
  std::vector<std::pair<std::string, std::string>> auth = {
      {"X-Amz-Algorithm", std::string(kAlgorithm)},
      {"X-Amz-Credential", credentials.access_key_id + "/" + out.credential_scope},
      {"X-Amz-Date", out.amz_date},
      {"X-Amz-SignedHeaders", out.signed_headers},
      {"X-Amz-Expires", std::to_string(params.expires_seconds)},
  };
  std::string token_param;
  if (!credentials.session_token.empty()) {
    token_param = "X-Amz-Security-Token=" + UriEncode(SecretText(credentials.session_token), false);
  }
  std::string query = request.query;
  for (const auto& [name, value] : auth) {
    query += (query.empty() ? "" : "&") + name + "=" + UriEncode(value, false);
  }
  if (!token_param.empty() && !params.omit_session_token) {
    query += "&" + token_param;
  }
  auto canonical_query = CanonicalQuery(query);
  if (!canonical_query) {
    return Fail(canonical_query.error());
  }
  SignCanonical(request, *canonical_query, *canonical_headers, credentials, params, prepared, out);
  if (!token_param.empty() && params.omit_session_token) {
    query += "&" + token_param;
  }
  out.signed_query = query + "&X-Amz-Signature=" + out.signature;
  return out;
}

namespace {

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && IsSpace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

bool AllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

namespace {

// The three components of an Authorization header's value after the algorithm.
struct AuthorizationComponents {
  std::optional<std::string_view> credential;
  std::optional<std::string_view> signed_headers;
  std::optional<std::string_view> signature;
};

// Splits "Credential=..., SignedHeaders=..., Signature=..." (any order); each exactly once.
core::Result<AuthorizationComponents> SplitAuthorization(std::string_view rest) {
  AuthorizationComponents parts;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = TrimSpaces(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Fail(ErrorCode::kKmsAuth, "Authorization header is malformed: a component has no '='");
    }
    const std::string_view name = item.substr(0, eq);
    const std::string_view text = item.substr(eq + 1);
    std::optional<std::string_view>* slot = name == "Credential"      ? &parts.credential
                                            : name == "SignedHeaders" ? &parts.signed_headers
                                            : name == "Signature"     ? &parts.signature
                                                                      : nullptr;
    if (slot == nullptr || slot->has_value()) {
      return Fail(ErrorCode::kKmsAuth, "Authorization header has an unknown or repeated component");
    }
    *slot = text;
  }
  std::string missing;
  for (const auto& [name, part] :
       {std::pair{"Credential", &parts.credential}, std::pair{"Signature", &parts.signature},
        std::pair{"SignedHeaders", &parts.signed_headers}}) {
    if (!part->has_value()) {
      missing += std::string("Authorization header requires '") + name + "' parameter. ";
    }
  }
  if (!missing.empty()) {
    missing.pop_back();
    return Fail(ErrorCode::kKmsAuth, missing);
  }
  return parts;
}

// Credential=AKID/YYYYMMDD/region/service/aws4_request into the scope fields of `out`.
core::Status ParseCredentialScope(std::string_view cred, AuthorizationHeader& out) {
  std::vector<std::string_view> scope;
  while (true) {
    const std::size_t slash = cred.find('/');
    scope.push_back(cred.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    cred.remove_prefix(slash + 1);
  }
  if (scope.size() != 5 || scope[0].empty() || scope[1].size() != 8 || !AllDigits(scope[1])) {
    return Fail(ErrorCode::kKmsAuth,
                "Credential should be scoped to a valid region, not ''. Credential must have "
                "the form <access key>/<date>/<region>/<service>/aws4_request");
  }
  out.access_key_id = std::string(scope[0]);
  out.date = std::string(scope[1]);
  out.region = std::string(scope[2]);
  out.service = std::string(scope[3]);
  out.terminator = std::string(scope[4]);
  return core::Ok();
}

// SignedHeaders=a;b;c into `out.signed_headers`, lower case; none empty, at least one.
core::Status ParseSignedHeaders(std::string_view names, AuthorizationHeader& out) {
  while (!names.empty()) {
    const std::size_t semi = names.find(';');
    const std::string_view name = names.substr(0, semi);
    if (name.empty()) {
      return Fail(ErrorCode::kKmsAuth, "SignedHeaders has an empty header name");
    }
    out.signed_headers.push_back(Lower(name));
    names = semi == std::string_view::npos ? std::string_view() : names.substr(semi + 1);
  }
  if (out.signed_headers.empty()) {
    return Fail(ErrorCode::kKmsAuth, "SignedHeaders is empty");
  }
  return core::Ok();
}

}  // namespace

core::Result<AuthorizationHeader> ParseAuthorization(std::string_view value) {
  value = TrimSpaces(value);
  const std::size_t space = value.find(' ');
  if (value.substr(0, space) != kAlgorithm || space == std::string_view::npos) {
    return Fail(ErrorCode::kKmsAuth,
                "Unsupported Authorization Type: only AWS4-HMAC-SHA256 is accepted");
  }
  auto parts = SplitAuthorization(value.substr(space + 1));
  if (!parts) {
    return Fail(parts.error());
  }
  AuthorizationHeader out;
  ENCLAVECTL_RETURN_IF_ERROR(ParseCredentialScope(*parts->credential, out));
  ENCLAVECTL_RETURN_IF_ERROR(ParseSignedHeaders(*parts->signed_headers, out));
  out.signature = std::string(*parts->signature);
  if (out.signature.size() != 64 ||
      !std::all_of(out.signature.begin(), out.signature.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return Fail(ErrorCode::kKmsAuth, "Signature is not 64 lower-case hex digits");
  }
  return out;
}

core::Result<core::UnixMillis> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z' || !AllDigits(text.substr(0, 8)) ||
      !AllDigits(text.substr(9, 6))) {
    return Fail(ErrorCode::kInvalidArgument, "X-Amz-Date is not YYYYMMDD'T'HHMMSS'Z'");
  }
  const auto number = [&text](std::size_t pos, std::size_t len) {
    unsigned value = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return value;
  };
  const unsigned month = number(4, 2);
  const unsigned day = number(6, 2);
  const unsigned hour = number(9, 2);
  const unsigned minute = number(11, 2);
  const unsigned second = number(13, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return Fail(ErrorCode::kInvalidArgument, "X-Amz-Date is not a valid time");
  }
  const std::int64_t seconds =
      core::UnixSecondsFromUtc(number(0, 4), month, day, hour, minute, second);
  return core::UnixMillis{seconds * 1000};
}

core::Result<SignatureParts> RecomputeSignature(const SigningRequest& received,
                                                const AuthorizationHeader& auth,
                                                const core::SecretBytes& secret_access_key,
                                                core::UnixMillis amz_time) {
  SigningRequest request;
  request.method = received.method;
  request.path = received.path;
  request.query = received.query;
  request.payload = received.payload;
  for (const std::string& name : auth.signed_headers) {
    if (name == "authorization") {
      return Fail(ErrorCode::kKmsAuth, "SignedHeaders must not list authorization");
    }
    bool found = false;
    for (const HttpHeader& header : received.headers) {
      if (Lower(header.name) == name) {
        request.headers.push_back(header);
        found = true;
      }
    }
    if (!found) {
      return Fail(ErrorCode::kKmsAuth,
                  "SignedHeaders lists " + name + ", which the request does not carry");
    }
  }
  AwsCredentials credentials;
  credentials.access_key_id = auth.access_key_id;
  credentials.secret_access_key = core::SecretBytes(secret_access_key.View());
  SigningParams params;
  params.region = auth.region;
  params.service = auth.service;
  params.time = amz_time;
  auto parts = SignHeaders(request, credentials, params);
  if (!parts) {
    return Fail(ErrorCode::kKmsAuth, parts.error().detail);
  }
  return parts;
}

}  // namespace enclavectl::aws
