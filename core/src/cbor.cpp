#include "enclavectl/core/cbor.hpp"

#include <cbor.h>

#include <new>
#include <string>
#include <utility>

#include "enclavectl/core/handles.hpp"

namespace enclavectl::core::cbor {

// ---------------------------------------------------------------------------------------
// Item

Item Item::Unsigned(std::uint64_t value) {
  Item item;
  item.type = Type::kUnsigned;
  item.uint_value = value;
  return item;
}

Item Item::NegativeArg(std::uint64_t argument) {
  Item item;
  item.type = Type::kNegative;
  item.uint_value = argument;
  return item;
}

Item Item::Int(std::int64_t value) {
  if (value >= 0) {
    return Unsigned(static_cast<std::uint64_t>(value));
  }
  // -1 - arg = value  =>  arg = -(value + 1), computed without overflow.
  return NegativeArg(static_cast<std::uint64_t>(-(value + 1)));
}

Item Item::ByteString(ByteView value) {
  Item item;
  item.type = Type::kBytes;
  item.bytes.assign(value.begin(), value.end());
  return item;
}

Item Item::TextString(std::string_view value) {
  Item item;
  item.type = Type::kText;
  ByteView view = AsBytes(value);
  item.bytes.assign(view.begin(), view.end());
  return item;
}

Item Item::Array(std::vector<Item> elements) {
  Item item;
  item.type = Type::kArray;
  item.children = std::move(elements);
  return item;
}

Item Item::Map() {
  Item item;
  item.type = Type::kMap;
  return item;
}

Item Item::Tag(std::uint64_t tag, Item content) {
  Item item;
  item.type = Type::kTag;
  item.uint_value = tag;
  item.children.push_back(std::move(content));
  return item;
}

Item Item::Bool(bool value) {
  Item item;
  item.type = Type::kBool;
  item.bool_value = value;
  return item;
}

Item Item::Null() { return Item{}; }

Item& Item::Add(Item key, Item value) {
  children.push_back(std::move(key));
  children.push_back(std::move(value));
  return *this;
}

std::optional<std::int64_t> Item::AsInt64() const noexcept {
  constexpr auto kMax = static_cast<std::uint64_t>(INT64_MAX);
  if (type == Type::kUnsigned && uint_value <= kMax) {
    return static_cast<std::int64_t>(uint_value);
  }
  if (type == Type::kNegative && uint_value <= kMax) {
    return -1 - static_cast<std::int64_t>(uint_value);
  }
  return std::nullopt;
}

const Item* Item::Find(std::string_view key) const noexcept {
  for (std::size_t i = 0; i < MapSize(); ++i) {
    if (MapKey(i).type == Type::kText && MapKey(i).Text() == key) {
      return &MapValue(i);
    }
  }
  return nullptr;
}

const Item* Item::Find(std::int64_t key) const noexcept {
  for (std::size_t i = 0; i < MapSize(); ++i) {
    if (MapKey(i).AsInt64() == key) {
      return &MapValue(i);
    }
  }
  return nullptr;
}

bool operator==(const Item& a, const Item& b) noexcept {
  return a.type == b.type && a.uint_value == b.uint_value && a.bool_value == b.bool_value &&
         a.bytes == b.bytes && a.children == b.children;
}

// ---------------------------------------------------------------------------------------
// Decoding: libcbor's streaming decoder reports one item head per call; TreeBuilder turns
// the events into a bounded tree.

namespace {

class TreeBuilder {
 public:
  TreeBuilder(ByteView input, const DecodeLimits& limits) : input_(input), limits_(limits) {}

  void SetPosition(std::size_t pos) noexcept { pos_ = pos; }
  bool Failed() const noexcept { return error_.has_value(); }
  bool Done() const noexcept { return root_.has_value(); }
  Error TakeError() { return std::move(*error_); }
  Item TakeRoot() { return std::move(*root_); }

  // Event handlers, called from the libcbor callbacks.
  void OnScalar(Item item) {
    item.offset = pos_;
    Emit(std::move(item));
  }

  void OnString(Type type, cbor_data data, std::size_t len) {
    if (Failed()) {
      return;
    }
    if (!stack_.empty() && stack_.back().chunks) {
      Frame& top = stack_.back();
      if (top.item.type != type) {
        SetError(ErrorCode::kCborMalformed, "chunk of another type inside a chunked string");
        return;
      }
      if (!CountItem()) {
        return;
      }
      top.item.bytes.insert(top.item.bytes.end(), data, data + len);  // NOLINT
      return;
    }
    Item item;
    item.type = type;
    item.offset = pos_;
    item.bytes.assign(data, data + len);  // NOLINT: libcbor checked len against the input
    Emit(std::move(item));
  }

  void OnStringStart(Type type) {
    if (Failed()) {
      return;
    }
    if (!stack_.empty() && stack_.back().chunks) {
      SetError(ErrorCode::kCborMalformed, "nested chunked string");
      return;
    }
    Item item;
    item.type = type;
    item.indefinite = true;
    item.offset = pos_;
    Open(std::move(item), 0, /*indefinite=*/true, /*chunks=*/true);
  }

  void OnContainerStart(Type type, std::size_t count, bool indefinite) {
    if (Failed()) {
      return;
    }
    Item item;
    item.type = type;
    item.indefinite = indefinite;
    item.offset = pos_;
    std::size_t entries = count;
    if (!indefinite) {
      if (count > limits_.max_container_entries) {
        SetError(ErrorCode::kCborLimitExceeded, "container declares " + std::to_string(count) +
                                                    " entries at offset " + std::to_string(pos_));
        return;
      }
      entries = type == Type::kMap ? 2 * count : count;
      // Every entry needs at least one byte after this head (which itself is >= 1 byte):
      // a count that cannot fit means the input is cut short (or lies), so fail before
      // reserving anything.
      const std::size_t remaining = input_.size() - pos_ - 1;
      if (entries > remaining) {
        SetError(ErrorCode::kTruncated, "container declares " + std::to_string(count) +
                                            " entries but only " + std::to_string(remaining) +
                                            " bytes remain at offset " + std::to_string(pos_));
        return;
      }
      item.children.reserve(entries);
    }
    Open(std::move(item), entries, indefinite, /*chunks=*/false);
  }

  void OnTag(std::uint64_t tag) {
    if (Failed()) {
      return;
    }
    Item item;
    item.type = Type::kTag;
    item.uint_value = tag;
    item.offset = pos_;
    Open(std::move(item), 1, /*indefinite=*/false, /*chunks=*/false);
  }

  void OnBreak() {
    if (Failed()) {
      return;
    }
    if (stack_.empty() || !stack_.back().indefinite) {
      SetError(ErrorCode::kCborMalformed, "unexpected break at offset " + std::to_string(pos_));
      return;
    }
    if (stack_.back().item.type == Type::kMap && stack_.back().item.children.size() % 2 != 0) {
      SetError(ErrorCode::kCborMalformed,
               "map key without value at offset " + std::to_string(pos_));
      return;
    }
    Close();
  }

  void OnUnsupported(const char* what) {
    if (!Failed()) {
      SetError(ErrorCode::kCborUnsupported,
               std::string(what) + " at offset " + std::to_string(pos_) + " is not allowed");
    }
  }

 private:
  struct Frame {
    Item item;
    std::size_t remaining = 0;  // entries still expected (definite containers)
    bool indefinite = false;
    bool chunks = false;  // an indefinite-length string collecting chunks
  };

  void SetError(ErrorCode code, std::string detail, int index = -1) {
    if (!error_) {
      error_ = Error{code, std::move(detail), index};
    }
  }

  bool CountItem() {
    if (++num_items_ > limits_.max_items) {
      SetError(ErrorCode::kCborLimitExceeded,
               "more than " + std::to_string(limits_.max_items) + " CBOR items");
      return false;
    }
    return true;
  }

  void Open(Item item, std::size_t entries, bool indefinite, bool chunks) {
    if (!CountItem()) {
      return;
    }
    if (stack_.size() + 1 > limits_.max_depth) {
      SetError(ErrorCode::kCborLimitExceeded, "nesting deeper than " +
                                                  std::to_string(limits_.max_depth) +
                                                  " at offset " + std::to_string(pos_));
      return;
    }
    if (!indefinite && entries == 0) {
      Complete(std::move(item));
      return;
    }
    stack_.push_back(Frame{std::move(item), entries, indefinite, chunks});
  }

  void Emit(Item item) {
    if (Failed() || !CountItem()) {
      return;
    }
    Complete(std::move(item));
  }

  // Attaches a finished item to its parent (closing parents that become full), or makes it
  // the root.
  void Complete(Item item) {
    while (true) {
      if (stack_.empty()) {
        root_ = std::move(item);
        return;
      }
      Frame& top = stack_.back();
      if (top.chunks) {
        SetError(ErrorCode::kCborMalformed, "non-string item inside a chunked string");
        return;
      }
      top.item.children.push_back(std::move(item));
      if (top.item.type == Type::kMap && top.item.children.size() % 2 == 0 &&
          !CheckLastKeyUnique(top.item)) {
        return;
      }
      if (top.indefinite || --top.remaining > 0) {
        return;
      }
      item = std::move(top.item);
      stack_.pop_back();
    }
  }

  void Close() {
    Item item = std::move(stack_.back().item);
    stack_.pop_back();
    Complete(std::move(item));
  }

  bool CheckLastKeyUnique(const Item& map) {
    const std::size_t last = map.MapSize() - 1;
    for (std::size_t i = 0; i < last; ++i) {
      if (map.MapKey(i) == map.MapKey(last)) {
        SetError(ErrorCode::kCborDuplicateKey,
                 "map at offset " + std::to_string(map.offset) + " repeats the key of entry " +
                     std::to_string(i) + " in entry " + std::to_string(last),
                 static_cast<int>(last));
        return false;
      }
    }
    return true;
  }

  ByteView input_;
  const DecodeLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t num_items_ = 0;
  std::vector<Frame> stack_;
  std::optional<Item> root_;
  std::optional<Error> error_;
};

TreeBuilder& B(void* ctx) { return *static_cast<TreeBuilder*>(ctx); }

void OnUint8(void* ctx, std::uint8_t v) { B(ctx).OnScalar(Item::Unsigned(v)); }
void OnUint16(void* ctx, std::uint16_t v) { B(ctx).OnScalar(Item::Unsigned(v)); }
void OnUint32(void* ctx, std::uint32_t v) { B(ctx).OnScalar(Item::Unsigned(v)); }
void OnUint64(void* ctx, std::uint64_t v) { B(ctx).OnScalar(Item::Unsigned(v)); }
void OnNeg8(void* ctx, std::uint8_t v) { B(ctx).OnScalar(Item::NegativeArg(v)); }
void OnNeg16(void* ctx, std::uint16_t v) { B(ctx).OnScalar(Item::NegativeArg(v)); }
void OnNeg32(void* ctx, std::uint32_t v) { B(ctx).OnScalar(Item::NegativeArg(v)); }
void OnNeg64(void* ctx, std::uint64_t v) { B(ctx).OnScalar(Item::NegativeArg(v)); }
void OnBytes(void* ctx, cbor_data d, std::size_t n) { B(ctx).OnString(Type::kBytes, d, n); }
void OnBytesStart(void* ctx) { B(ctx).OnStringStart(Type::kBytes); }
void OnText(void* ctx, cbor_data d, std::size_t n) { B(ctx).OnString(Type::kText, d, n); }
void OnTextStart(void* ctx) { B(ctx).OnStringStart(Type::kText); }
void OnArray(void* ctx, std::size_t n) { B(ctx).OnContainerStart(Type::kArray, n, false); }
void OnIndefArray(void* ctx) { B(ctx).OnContainerStart(Type::kArray, 0, true); }
void OnMap(void* ctx, std::size_t n) { B(ctx).OnContainerStart(Type::kMap, n, false); }
void OnIndefMap(void* ctx) { B(ctx).OnContainerStart(Type::kMap, 0, true); }
void OnTagCb(void* ctx, std::uint64_t tag) { B(ctx).OnTag(tag); }
void OnFloat(void* ctx, float /*v*/) { B(ctx).OnUnsupported("a floating-point number"); }
void OnDouble(void* ctx, double /*v*/) { B(ctx).OnUnsupported("a floating-point number"); }
void OnUndefined(void* ctx) { B(ctx).OnUnsupported("undefined"); }
void OnNull(void* ctx) { B(ctx).OnScalar(Item::Null()); }
void OnBool(void* ctx, bool v) { B(ctx).OnScalar(Item::Bool(v)); }
void OnBreakCb(void* ctx) { B(ctx).OnBreak(); }

constexpr cbor_callbacks kCallbacks = {
    .uint8 = OnUint8,
    .uint16 = OnUint16,
    .uint32 = OnUint32,
    .uint64 = OnUint64,
    .negint64 = OnNeg64,
    .negint32 = OnNeg32,
    .negint16 = OnNeg16,
    .negint8 = OnNeg8,
    .byte_string_start = OnBytesStart,
    .byte_string = OnBytes,
    .string = OnText,
    .string_start = OnTextStart,
    .indef_array_start = OnIndefArray,
    .array_start = OnArray,
    .indef_map_start = OnIndefMap,
    .map_start = OnMap,
    .tag = OnTagCb,
    .float2 = OnFloat,
    .float4 = OnFloat,
    .float8 = OnDouble,
    .undefined = OnUndefined,
    .null = OnNull,
    .boolean = OnBool,
    .indef_break = OnBreakCb,
};

}  // namespace

Result<Item> Decode(ByteView input, const DecodeLimits& limits) {
  if (input.size() > limits.max_input_bytes) {
    return Fail(ErrorCode::kInputTooLarge, "CBOR input of " + std::to_string(input.size()) +
                                               " bytes exceeds the limit of " +
                                               std::to_string(limits.max_input_bytes));
  }
  TreeBuilder builder(input, limits);
  std::size_t pos = 0;
  while (pos < input.size() && !builder.Done()) {
    builder.SetPosition(pos);
    // libcbor 0.8 (Debian 12) reports the one-byte tag heads 0xc6..0xd4 (tags 6..20) as
    // errors although RFC 8949 allows them; COSE_Sign1 is tag 18 (0xd2). Decode those
    // heads here; every other head goes to libcbor.
    if (input[pos] >= 0xc6 && input[pos] <= 0xd4) {
      builder.OnTag(static_cast<std::uint64_t>(input[pos] - 0xc0));
      if (builder.Failed()) {
        return Fail(builder.TakeError());
      }
      ++pos;
      continue;
    }
    const cbor_decoder_result res = cbor_stream_decode(input.data() + pos, input.size() - pos,
                                                       &kCallbacks, &builder);  // NOLINT
    if (res.status == CBOR_DECODER_NEDATA) {
      return Fail(ErrorCode::kTruncated,
                  "CBOR input ends inside the item at offset " + std::to_string(pos));
    }
    if (res.status != CBOR_DECODER_FINISHED) {
      return Fail(ErrorCode::kCborMalformed,
                  "invalid CBOR initial byte at offset " + std::to_string(pos));
    }
    if (builder.Failed()) {
      return Fail(builder.TakeError());
    }
    pos += res.read;
  }
  if (!builder.Done()) {
    return Fail(ErrorCode::kTruncated,
                input.empty() ? "empty CBOR input" : "CBOR input ends inside a container");
  }
  if (pos != input.size()) {
    return Fail(ErrorCode::kTrailingBytes, std::to_string(input.size() - pos) +
                                               " bytes follow the CBOR item at offset " +
                                               std::to_string(pos));
  }
  return builder.TakeRoot();
}

// ---------------------------------------------------------------------------------------
// Encoding through libcbor's item API.

namespace {

CborItemPtr Checked(cbor_item_t* item) {
  if (item == nullptr) {
    throw std::bad_alloc();
  }
  return CborItemPtr(item);
}

// The shortest of libcbor's four integer widths for `v` (an unsigned value or the argument
// of a negative integer).
template <auto Build8, auto Build16, auto Build32, auto Build64>
CborItemPtr BuildInteger(std::uint64_t v) {
  if (v <= 0xffU) {
    return Checked(Build8(static_cast<std::uint8_t>(v)));
  }
  if (v <= 0xffffU) {
    return Checked(Build16(static_cast<std::uint16_t>(v)));
  }
  if (v <= 0xffffffffU) {
    return Checked(Build32(static_cast<std::uint32_t>(v)));
  }
  return Checked(Build64(v));
}

CborItemPtr Build(const Item& item) {
  static constexpr unsigned char kEmpty = 0;
  switch (item.type) {
    case Type::kUnsigned:
      return BuildInteger<cbor_build_uint8, cbor_build_uint16, cbor_build_uint32,
                          cbor_build_uint64>(item.uint_value);
    case Type::kNegative:
      return BuildInteger<cbor_build_negint8, cbor_build_negint16, cbor_build_negint32,
                          cbor_build_negint64>(item.uint_value);
    case Type::kBytes:
      return Checked(cbor_build_bytestring(item.bytes.empty() ? &kEmpty : item.bytes.data(),
                                           item.bytes.size()));
    case Type::kText:
      return Checked(cbor_build_stringn(
          reinterpret_cast<const char*>(item.bytes.empty() ? &kEmpty
                                                           : item.bytes.data()),  // NOLINT
          item.bytes.size()));
    case Type::kArray: {
      CborItemPtr array = Checked(item.indefinite ? cbor_new_indefinite_array()
                                                  : cbor_new_definite_array(item.children.size()));
      for (const Item& child : item.children) {
        CborItemPtr built = Build(child);
        if (!cbor_array_push(array.get(), built.get())) {
          throw std::bad_alloc();
        }
      }
      return array;
    }
    case Type::kMap: {
      CborItemPtr map = Checked(item.indefinite ? cbor_new_indefinite_map()
                                                : cbor_new_definite_map(item.MapSize()));
      for (std::size_t i = 0; i < item.MapSize(); ++i) {
        CborItemPtr key = Build(item.MapKey(i));
        CborItemPtr value = Build(item.MapValue(i));
        if (!cbor_map_add(map.get(), cbor_pair{.key = key.get(), .value = value.get()})) {
          throw std::bad_alloc();
        }
      }
      return map;
    }
    case Type::kTag: {
      CborItemPtr content = Build(item.children.at(0));
      return Checked(cbor_build_tag(item.uint_value, content.get()));
    }
    case Type::kBool:
      return Checked(cbor_build_bool(item.bool_value));
    case Type::kNull:
      return Checked(cbor_new_null());
  }
  throw std::bad_alloc();  // unreachable: every Type is handled above
}

}  // namespace

Bytes Encode(const Item& item) {
  CborItemPtr built = Build(item);
  unsigned char* buffer = nullptr;
  std::size_t buffer_size = 0;
  const std::size_t len = cbor_serialize_alloc(built.get(), &buffer, &buffer_size);
  CborBufferPtr owned(buffer);
  if (len == 0) {
    throw std::bad_alloc();
  }
  return Bytes(buffer, buffer + len);  // NOLINT
}

}  // namespace enclavectl::core::cbor
