// CBOR (RFC 8949) decoding with hard limits, and encoding, on top of libcbor.
//
// Decoding never hands untrusted bytes to cbor_load (it trusts declared lengths and can be
// made to allocate gigabytes from 30 bytes, see STYLE.md section 6). It drives libcbor's
// streaming decoder and builds a bounded tree: every declared count is checked against the
// bytes that remain and against the limits before anything is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::core::cbor {

enum class Type : std::uint8_t {
  kUnsigned,  // major type 0
  kNegative,  // major type 1: value is -1 - uint_value
  kBytes,     // major type 2
  kText,      // major type 3 (UTF-8 is not validated here)
  kArray,     // major type 4
  kMap,       // major type 5
  kTag,       // major type 6: one child
  kBool,      // simple values 20, 21
  kNull,      // simple value 22
};

// A decoded CBOR item. Arrays keep their elements in `children`; maps keep keys and values
// alternating (key0, value0, key1, value1, ...); a tag keeps its content as the only child.
struct Item {
  Type type = Type::kNull;
  std::uint64_t uint_value = 0;  // kUnsigned, kNegative (argument), kTag (tag number)
  bool bool_value = false;
  Bytes bytes;  // kBytes, kText
  std::vector<Item> children;
  // Encoding facts kept for reports and round trips: an indefinite-length array, map or
  // (chunked) string. Encode() honours it for arrays and maps.
  bool indefinite = false;
  // Offset of the item's first byte in the decoded input (0 for constructed items).
  std::size_t offset = 0;

  // Constructors for building items to encode.
  static Item Unsigned(std::uint64_t value);
  // -1 - argument; Negative(0) is -1.
  static Item NegativeArg(std::uint64_t argument);
  // Any int64: Unsigned for >= 0, NegativeArg otherwise.
  static Item Int(std::int64_t value);
  static Item ByteString(ByteView value);
  static Item TextString(std::string_view value);
  static Item Array(std::vector<Item> elements);
  // An empty map; add entries with Add().
  static Item Map();
  static Item Tag(std::uint64_t tag, Item content);
  static Item Bool(bool value);
  static Item Null();

  // Appends a map entry. Precondition: type == kMap.
  Item& Add(Item key, Item value);

  std::size_t MapSize() const noexcept { return children.size() / 2; }
  const Item& MapKey(std::size_t i) const { return children[2 * i]; }
  const Item& MapValue(std::size_t i) const { return children[(2 * i) + 1]; }

  // The text of a kText item as a string_view into `bytes`.
  std::string_view Text() const noexcept { return AsChars(bytes); }

  // Signed value of an integer item if it fits in int64.
  std::optional<std::int64_t> AsInt64() const noexcept;

  // The value stored under text key `key` of a map, or null. Precondition: kMap.
  const Item* Find(std::string_view key) const noexcept;
  // The value stored under integer key `key` of a map, or null. Precondition: kMap.
  const Item* Find(std::int64_t key) const noexcept;

  // Structural equality, ignoring `offset` and `indefinite`.
  friend bool operator==(const Item& a, const Item& b) noexcept;
};

struct DecodeLimits {
  std::size_t max_input_bytes = limits::kMaxDocumentBytes;
  std::size_t max_depth = limits::kMaxCborDepth;
  std::size_t max_items = limits::kMaxCborItems;
  std::size_t max_container_entries = limits::kMaxCborContainerEntries;
};

// Decodes exactly one CBOR item that spans all of `input` (untrusted).
// Fails with: kInputTooLarge (input above max_input_bytes), kTruncated (input ends inside
// an item, or a declared length or count cannot fit in the remaining bytes),
// kCborMalformed (reserved or invalid encodings, misplaced break, chunk type mismatch),
// kCborLimitExceeded (depth, item count, entries per container), kCborUnsupported (floats,
// undefined, other simple values), kCborDuplicateKey (a map repeats a key; Error::index = entry
// number), kTrailingBytes (bytes after the item).
[[nodiscard]] Result<Item> Decode(ByteView input, const DecodeLimits& limits = {});

// Encodes `item` with definite lengths (unless item.indefinite) and the shortest integer
// and length forms. Precondition: a tree built by the Item constructors or by Decode.
Bytes Encode(const Item& item);

}  // namespace enclavectl::core::cbor
