#include "enclavectl/app/seed_wallet.hpp"

#include <cstdio>
#include <memory>
#include <mutex>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/ethereum/address.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

// Decodes one UTF-8 sequence at `i` (advancing it); 0xFFFD for a byte that starts none.
char32_t NextCodePoint(std::string_view text, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t len = 0;
  char32_t cp = 0;
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  if ((lead & 0xE0) == 0xC0) {
    len = 2;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4;
    cp = lead & 0x07;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + len > text.size()) {
    ++i;
    return 0xFFFD;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += len;
  return cp;
}

void AppendEscape(std::string& out, char32_t unit) {
  char buffer[16];  // \uXXXX; room for any unsigned, as _FORTIFY_SOURCE checks
  std::snprintf(buffer, sizeof(buffer), "\\u%04x", static_cast<unsigned>(unit));
  out += buffer;
}

// json.dumps' ensure_ascii string: ESCAPE_ASCII replaces everything outside ' '..'~'.
void AppendPythonString(std::string& out, std::string_view text) {
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const char32_t cp = NextCodePoint(text, i);
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (cp >= 0x20 && cp <= 0x7E) {
      out.push_back(static_cast<char>(cp));
    } else if (cp > 0xFFFF) {
      const char32_t v = cp - 0x10000;
      AppendEscape(out, 0xD800 | (v >> 10));
      AppendEscape(out, 0xDC00 | (v & 0x3FF));
    } else {
      AppendEscape(out, cp);
    }
  }
  out.push_back('"');
}

bool IsPythonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// A hex digit's value (either case), -1 for any other character (NUL included).
int HexValue(char c) {
  constexpr std::string_view kDigits = "0123456789abcdefABCDEF";
  const std::size_t at = kDigits.find(c);
  if (at == std::string_view::npos) {
    return -1;
  }
  return static_cast<int>(at < 16 ? at : at - 6);
}

core::Error FromHexError(std::size_t position) {
  return core::Error{
      ErrorCode::kSeedWalletRequestInvalid,
      "non-hexadecimal number found in fromhex() arg at position " + std::to_string(position),
      static_cast<int>(position)};
}

// Python's type name of a JSON value as json.loads builds it.
const char* PythonTypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "NoneType";
    case nlohmann::json::value_t::boolean:
      return "bool";
    case nlohmann::json::value_t::number_float:
      return "float";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "int";
    case nlohmann::json::value_t::array:
      return "list";
    case nlohmann::json::value_t::object:
      return "dict";
    default:
      return "str";
  }
}

// request["key"] read as Python's bytes.fromhex(request["key"]) would read it.
core::Result<core::Bytes> HexMember(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end()) {
    return Fail(ErrorCode::kSeedWalletRequestInvalid, std::string("'") + key + "'");  // KeyError
  }
  if (!found->is_string()) {
    return Fail(ErrorCode::kSeedWalletRequestInvalid,
                std::string("fromhex() argument must be str, not ") + PythonTypeName(*found));
  }
  return PythonFromHex(found->get_ref<const std::string&>());
}

std::string ErrorReply(std::string_view text) { return PythonJsonObject({{"error", text}}); }

}  // namespace

std::string PythonJsonObject(
    std::initializer_list<std::pair<std::string_view, std::string_view>> members) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : members) {
    if (!first) {
      out += ", ";
    }
    first = false;
    AppendPythonString(out, key);
    out += ": ";
    AppendPythonString(out, value);
  }
  out += "}";
  return out;
}

std::string PythonHexInt(core::ByteView big_endian) {
  std::string hex = core::HexEncode(big_endian);
  const std::size_t first = hex.find_first_not_of('0');
  return "0x" + (first == std::string::npos ? std::string("0") : hex.substr(first));
}

core::Result<core::Bytes> PythonFromHex(std::string_view text) {
  // CPython (Objects/bytesobject.c _PyBytes_FromHex): a non-ASCII string fails at its first
  // non-ASCII character, counted in characters.
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++chars) {
    if (static_cast<unsigned char>(text[i]) >= 0x80) {
      return Fail(FromHexError(chars));
    }
    NextCodePoint(text, i);
  }
  core::Bytes out;
  out.reserve(text.size() / 2);
  std::size_t i = 0;
  while (i < text.size()) {
    if (IsPythonSpace(text[i])) {  // whitespace is skipped only before a pair
      ++i;
      continue;
    }
    const int top = HexValue(text[i]);
    if (top < 0) {
      return Fail(FromHexError(i));
    }
    const int bottom = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    if (bottom < 0) {
      return Fail(FromHexError(i + 1));
    }
    out.push_back(static_cast<std::uint8_t>((top << 4) | bottom));
    i += 2;
  }
  return out;
}

core::Result<SeedWalletRequest> DecodeSeedWalletRequest(std::string_view text) {
  if (text.size() > kSeedWalletMaxRequestBytes) {
    return Fail(ErrorCode::kInputTooLarge, "request too large");
  }
  if (core::TrimWhitespace(text).empty()) {
    // What the seed's json.loads says about an empty body.
    return Fail(ErrorCode::kSeedWalletRequestInvalid, "Expecting value: line 1 column 1 (char 0)");
  }
  auto parsed = core::ParseStrictJson(text, kSeedWalletMaxRequestBytes,
                                      ErrorCode::kSeedWalletRequestInvalid, "request");
  if (!parsed) {
    return Fail(parsed.error());
  }
  if (!parsed->is_object()) {
    return Fail(ErrorCode::kSeedWalletRequestInvalid, "request must be a JSON object");
  }
  SeedWalletRequest out;
  const auto action = parsed->find("action");
  if (action == parsed->end() || !action->is_string()) {
    return out;  // kUnknown
  }
  const auto& name = action->get_ref<const std::string&>();
  const char* member = nullptr;
  if (name == "get_public_key") {
    out.action = SeedWalletRequest::Action::kGetPublicKey;
  } else if (name == "sign") {
    out.action = SeedWalletRequest::Action::kSign;
    member = "message";
  } else if (name == "get_attestation") {
    out.action = SeedWalletRequest::Action::kGetAttestation;
    member = "nonce";
  }
  if (member != nullptr) {
    auto data = HexMember(*parsed, member);
    if (!data) {
      return Fail(data.error());
    }
    out.data = std::move(*data);
  }
  if (out.action == SeedWalletRequest::Action::kGetAttestation &&
      (out.data.empty() || out.data.size() > core::limits::kMaxOptionalFieldBytes)) {
    return Fail(
        ErrorCode::kSeedWalletRequestInvalid,
        "nonce must be 1.." + std::to_string(core::limits::kMaxOptionalFieldBytes) + " bytes");
  }
  return out;
}

SeedAttester NsmSeedAttester(NsmClient& nsm) {
  auto mutex = std::make_shared<std::mutex>();
  return [&nsm, mutex](core::ByteView nonce, core::ByteView public_key) {
    AttestationRequest request;
    request.nonce = core::Bytes(nonce.begin(), nonce.end());
    request.public_key = core::Bytes(public_key.begin(), public_key.end());
    std::lock_guard lock(*mutex);
    return nsm.Attestation(request);
  };
}

std::string SeedWalletService::Handle(std::string_view request) const {
  try {
    auto decoded = DecodeSeedWalletRequest(request);
    if (!decoded) {
      return ErrorReply(decoded.error().detail);
    }
    switch (decoded->action) {
      case SeedWalletRequest::Action::kGetPublicKey: {
        const std::string public_key = core::HexEncode(key_.PublicKey());
        if (key_.Revision() == SeedRevision::kV1) {
          return PythonJsonObject({{"public_key", public_key}});
        }
        auto address = ethereum::AddressFromPublicKey(key_.PublicKey());
        if (!address) {
          return ErrorReply("internal error");
        }
        return PythonJsonObject(
            {{"public_key", public_key}, {"address", ethereum::LowercaseAddress(*address)}});
      }
      case SeedWalletRequest::Action::kSign: {
        auto signature = key_.Sign(decoded->data);
        if (!signature) {
          return ErrorReply(signature.error().code == ErrorCode::kInternal
                                ? "internal error"
                                : signature.error().detail);
        }
        return PythonJsonObject(
            {{"r", PythonHexInt(signature->r)}, {"s", PythonHexInt(signature->s)}});
      }
      case SeedWalletRequest::Action::kGetAttestation: {
        if (!attester_) {
          return ErrorReply("attestation unavailable");
        }
        auto document = attester_(decoded->data, key_.PublicKey());
        if (!document) {
          return ErrorReply("attestation unavailable");
        }
        return PythonJsonObject({{"attestation_document", core::Base64Encode(*document)}});
      }
      case SeedWalletRequest::Action::kUnknown:
        break;
    }
    return ErrorReply("unknown action");
  } catch (const std::bad_alloc&) {
    return ErrorReply("internal error");
  }
}

std::string SeedWalletService::Refuse(core::ErrorCode code) {
  switch (code) {
    case ErrorCode::kAppRequestTimeout:
      return ErrorReply("request timeout");
    case ErrorCode::kAppOverloaded:
      return ErrorReply("server busy");
    default:
      return ErrorReply("request too large");
  }
}

}  // namespace enclavectl::app
