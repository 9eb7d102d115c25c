#include "enclavectl/ethereum/rlp.hpp"

#include <algorithm>
#include <string>

#include "enclavectl/core/reader.hpp"

namespace enclavectl::ethereum {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::uint8_t kStringOffset = 0x80;
constexpr std::uint8_t kListOffset = 0xc0;
constexpr std::size_t kMaxShortLength = 55;

// A length as big-endian bytes without leading zeros.
Bytes LengthBytes(std::size_t len) {
  Bytes out;
  for (std::size_t v = len; v != 0; v >>= 8U) {
    out.insert(out.begin(), static_cast<std::uint8_t>(v & 0xffU));
  }
  return out;
}

void AppendHeader(Bytes& out, std::uint8_t offset, std::size_t len) {
  if (len <= kMaxShortLength) {
    out.push_back(static_cast<std::uint8_t>(offset + len));
    return;
  }
  const Bytes len_bytes = LengthBytes(len);
  out.push_back(static_cast<std::uint8_t>(offset + kMaxShortLength + len_bytes.size()));
  out.insert(out.end(), len_bytes.begin(), len_bytes.end());
}

void EncodeInto(const RlpItem& item, Bytes& out) {
  if (!item.is_list) {
    if (item.bytes.size() == 1 && item.bytes[0] < kStringOffset) {
      out.push_back(item.bytes[0]);
      return;
    }
    AppendHeader(out, kStringOffset, item.bytes.size());
    out.insert(out.end(), item.bytes.begin(), item.bytes.end());
    return;
  }
  Bytes payload;
  for (const RlpItem& element : item.items) {
    EncodeInto(element, payload);
  }
  AppendHeader(out, kListOffset, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
}

tl::unexpected<core::Error> Malformed(std::size_t offset, const std::string& what) {
  return Fail(ErrorCode::kEthRlpMalformed, "RLP at byte " + std::to_string(offset) + ": " + what,
              static_cast<int>(offset));
}

// The decoder: one item at the reader's position, lists recursively (depth-bounded).
class Decoder {
 public:
  Decoder(ByteView data, std::size_t max_depth) : reader_(data), max_depth_(max_depth) {}

  bool AtEnd() const noexcept { return reader_.AtEnd(); }
  std::size_t Offset() const noexcept { return reader_.Offset(); }

  core::Result<RlpItem> Item(std::size_t depth) {
    const std::size_t start = reader_.Offset();
    auto prefix = reader_.ReadU8();
    if (!prefix) {
      return Malformed(start, "truncated");
    }
    if (*prefix < kStringOffset) {
      return RlpItem::String(std::array<std::uint8_t, 1>{*prefix});
    }
    const bool is_list = *prefix >= kListOffset;
    const std::uint8_t base = is_list ? kListOffset : kStringOffset;
    auto len = Length(static_cast<std::size_t>(*prefix - base), start);
    if (!len) {
      return Fail(len.error());
    }
    auto payload = reader_.Take(*len);
    if (!payload) {
      return Malformed(start, "the item's length runs past the input");
    }
    if (!is_list) {
      if (payload->size() == 1 && (*payload)[0] < kStringOffset) {
        return Malformed(start, "a single byte below 0x80 must encode itself");
      }
      return RlpItem::String(*payload);
    }
    if (depth + 1 > max_depth_) {
      return Fail(ErrorCode::kEthRlpLimitExceeded,
                  "RLP lists nest deeper than " + std::to_string(max_depth_),
                  static_cast<int>(start));
    }
    return List(*payload, reader_.Offset() - payload->size(), depth + 1);
  }

 private:
  // The payload length after a prefix whose value above its base is `short_len`.
  core::Result<std::size_t> Length(std::size_t short_len, std::size_t start) {
    if (short_len <= kMaxShortLength) {
      return short_len;
    }
    const std::size_t len_of_len = short_len - kMaxShortLength;  // 1..8
    auto len_bytes = reader_.Take(len_of_len);
    if (!len_bytes) {
      return Malformed(start, "truncated length");
    }
    if ((*len_bytes)[0] == 0) {
      return Malformed(start, "a long length has a leading zero byte");
    }
    std::size_t len = 0;
    for (std::uint8_t b : *len_bytes) {
      if (len > (SIZE_MAX >> 8U)) {
        return Malformed(start, "length overflows");
      }
      len = (len << 8U) | b;
    }
    if (len <= kMaxShortLength) {
      return Malformed(start, "a length up to 55 must use the short form");
    }
    return len;
  }

  core::Result<RlpItem> List(ByteView payload, std::size_t base_offset, std::size_t depth) const {
    Decoder inner(payload, max_depth_);
    std::vector<RlpItem> elements;
    while (!inner.AtEnd()) {
      auto element = inner.Item(depth);
      if (!element) {
        core::Error error = std::move(element).error();
        if (error.index >= 0) {  // report offsets in the whole input
          error.index += static_cast<int>(base_offset);
        }
        return Fail(std::move(error));
      }
      elements.push_back(std::move(*element));
    }
    return RlpItem::List(std::move(elements));
  }

  core::Reader reader_;
  std::size_t max_depth_;
};

}  // namespace

RlpItem RlpItem::Uint(std::uint64_t value) {
  Bytes out;
  for (std::uint64_t v = value; v != 0; v >>= 8U) {
    out.insert(out.begin(), static_cast<std::uint8_t>(v & 0xffU));
  }
  return RlpItem{false, std::move(out), {}};
}

RlpItem RlpItem::BigEndian(ByteView value) {
  const auto first =
      std::find_if(value.begin(), value.end(), [](std::uint8_t b) { return b != 0; });
  return RlpItem{false, Bytes(first, value.end()), {}};
}

Bytes RlpEncode(const RlpItem& item) {
  Bytes out;
  EncodeInto(item, out);
  return out;
}

core::Result<RlpItem> RlpDecode(ByteView data, std::size_t max_bytes, std::size_t max_depth) {
  if (data.size() > max_bytes) {
    return Fail(ErrorCode::kEthRlpLimitExceeded, "RLP input of " + std::to_string(data.size()) +
                                                     " bytes exceeds " + std::to_string(max_bytes));
  }
  Decoder decoder(data, max_depth);
  auto item = decoder.Item(0);
  if (!item) {
    return Fail(std::move(item).error());
  }
  if (!decoder.AtEnd()) {
    return Malformed(decoder.Offset(), "bytes follow the item");
  }
  return item;
}

core::Result<Bytes> RlpToBigEndian(const RlpItem& item, std::size_t max_len, core::ErrorCode code) {
  if (item.is_list) {
    return Fail(code, "an integer is an RLP string, not a list");
  }
  if (item.bytes.size() > max_len) {
    return Fail(code, "an integer has more than " + std::to_string(max_len) + " bytes");
  }
  if (!item.bytes.empty() && item.bytes[0] == 0) {
    return Fail(code, "an integer has a leading zero byte");
  }
  return item.bytes;
}

core::Result<std::uint64_t> RlpToUint64(const RlpItem& item, core::ErrorCode code) {
  auto bytes = RlpToBigEndian(item, 8, code);
  if (!bytes) {
    return Fail(bytes.error());
  }
  std::uint64_t value = 0;
  for (std::uint8_t b : *bytes) {
    value = (value << 8U) | b;
  }
  return value;
}

}  // namespace enclavectl::ethereum
