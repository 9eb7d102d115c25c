// CBOR framing of NSM requests and responses (nsm.md section 2): serde "externally tagged"
// enums, as aws-nitro-enclaves-nsm-api encodes them.
#include <array>
#include <string>

#include "enclavectl/app/nsm.hpp"
#include "enclavectl/core/cbor.hpp"

namespace enclavectl::app {
namespace {

namespace cbor = core::cbor;
using core::ErrorCode;
using core::Fail;

constexpr std::array<std::pair<NsmErrorCode, const char*>, 8> kErrorNames = {{
    {NsmErrorCode::kInvalidArgument, "InvalidArgument"},
    {NsmErrorCode::kInvalidIndex, "InvalidIndex"},
    {NsmErrorCode::kInvalidResponse, "InvalidResponse"},
    {NsmErrorCode::kReadOnlyIndex, "ReadOnlyIndex"},
    {NsmErrorCode::kInvalidOperation, "InvalidOperation"},
    {NsmErrorCode::kBufferTooSmall, "BufferTooSmall"},
    {NsmErrorCode::kInputTooLarge, "InputTooLarge"},
    {NsmErrorCode::kInternalError, "InternalError"},
}};

cbor::Item Text(std::string_view text) { return cbor::Item::TextString(text); }

// {"Variant": {fields...}}
cbor::Item Tagged(std::string_view variant, cbor::Item fields) {
  cbor::Item map = cbor::Item::Map();
  map.Add(Text(variant), std::move(fields));
  return map;
}

cbor::Item OptionalBytes(const std::optional<Bytes>& value) {
  return value ? cbor::Item::ByteString(*value) : cbor::Item::Null();
}

cbor::Item U16(std::uint16_t value) { return cbor::Item::Unsigned(value); }

// The variant name and its fields (a map, or null for a unit variant).
struct Variant {
  std::string name;
  const cbor::Item* fields = nullptr;
};

core::Result<Variant> SplitVariant(const cbor::Item& item, ErrorCode code) {
  if (item.type == cbor::Type::kText) {
    return Variant{std::string(item.Text()), nullptr};
  }
  if (item.type == cbor::Type::kMap && item.MapSize() == 1 &&
      item.MapKey(0).type == cbor::Type::kText) {
    return Variant{std::string(item.MapKey(0).Text()), &item.MapValue(0)};
  }
  return Fail(code, "not a text variant or a one-entry map");
}

core::Result<std::uint16_t> U16Field(const cbor::Item& fields, std::string_view name,
                                     ErrorCode code) {
  const cbor::Item* value = fields.type == cbor::Type::kMap ? fields.Find(name) : nullptr;
  if (value == nullptr || value->type != cbor::Type::kUnsigned || value->uint_value > 0xffff) {
    return Fail(code, std::string(name) + " must be an unsigned 16-bit integer");
  }
  return static_cast<std::uint16_t>(value->uint_value);
}

// Byte fields of requests: the device model accepts byte strings, text strings, null and
// absent keys (nsm.md 2).
core::Result<std::optional<Bytes>> LenientBytesField(const cbor::Item& fields,
                                                     std::string_view name) {
  const cbor::Item* value = fields.type == cbor::Type::kMap ? fields.Find(name) : nullptr;
  if (value == nullptr || value->type == cbor::Type::kNull) {
    return std::optional<Bytes>();
  }
  if (value->type == cbor::Type::kBytes || value->type == cbor::Type::kText) {
    return std::optional<Bytes>(value->bytes);
  }
  return Fail(ErrorCode::kNsmRequestInvalid, std::string(name) + " must be bytes or null");
}

core::Result<Bytes> BytesField(const cbor::Item& fields, std::string_view name) {
  const cbor::Item* value = fields.type == cbor::Type::kMap ? fields.Find(name) : nullptr;
  if (value == nullptr || value->type != cbor::Type::kBytes) {
    return Fail(ErrorCode::kNsmResponseInvalid, std::string(name) + " must be a byte string");
  }
  return value->bytes;
}

cbor::DecodeLimits NsmLimits(std::size_t max_bytes) {
  cbor::DecodeLimits limits;
  limits.max_input_bytes = max_bytes;
  return limits;
}

}  // namespace

const char* NsmErrorName(NsmErrorCode code) noexcept {
  for (const auto& [value, name] : kErrorNames) {
    if (value == code) {
      return name;
    }
  }
  return "InternalError";
}

Bytes EncodeRequest(const NsmRequest& request) {
  struct Encoder {
    cbor::Item operator()(const DescribePcrRequest& r) const {
      return Tagged("DescribePCR", cbor::Item::Map().Add(Text("index"), U16(r.index)));
    }
    cbor::Item operator()(const ExtendPcrRequest& r) const {
      cbor::Item fields = cbor::Item::Map();
      fields.Add(Text("index"), U16(r.index)).Add(Text("data"), cbor::Item::ByteString(r.data));
      return Tagged("ExtendPCR", std::move(fields));
    }
    cbor::Item operator()(const LockPcrRequest& r) const {
      return Tagged("LockPCR", cbor::Item::Map().Add(Text("index"), U16(r.index)));
    }
    cbor::Item operator()(const LockPcrsRequest& r) const {
      return Tagged("LockPCRs", cbor::Item::Map().Add(Text("range"), U16(r.range)));
    }
    cbor::Item operator()(const DescribeNsmRequest& /*r*/) const { return Text("DescribeNSM"); }
    cbor::Item operator()(const GetRandomRequest& /*r*/) const { return Text("GetRandom"); }
    cbor::Item operator()(const AttestationRequest& r) const {
      cbor::Item fields = cbor::Item::Map();
      fields.Add(Text("user_data"), OptionalBytes(r.user_data))
          .Add(Text("nonce"), OptionalBytes(r.nonce))
          .Add(Text("public_key"), OptionalBytes(r.public_key));
      return Tagged("Attestation", std::move(fields));
    }
  };
  return cbor::Encode(std::visit(Encoder{}, request));
}

core::Result<NsmRequest> DecodeRequest(ByteView bytes) {
  auto item = cbor::Decode(bytes, NsmLimits(kNsmRequestMaxSize));
  if (!item) {
    return Fail(item.error());
  }
  auto variant = SplitVariant(*item, ErrorCode::kNsmRequestInvalid);
  if (!variant) {
    return Fail(variant.error());
  }
  const std::string& name = variant->name;
  const cbor::Item empty = cbor::Item::Map();
  const cbor::Item& fields = variant->fields != nullptr ? *variant->fields : empty;
  if (name == "DescribeNSM") {
    return NsmRequest(DescribeNsmRequest{});
  }
  if (name == "GetRandom") {
    return NsmRequest(GetRandomRequest{});
  }
  if (name == "DescribePCR" || name == "LockPCR" || name == "ExtendPCR") {
    auto index = U16Field(fields, "index", ErrorCode::kNsmRequestInvalid);
    if (!index) {
      return Fail(index.error());
    }
    if (name == "DescribePCR") {
      return NsmRequest(DescribePcrRequest{*index});
    }
    if (name == "LockPCR") {
      return NsmRequest(LockPcrRequest{*index});
    }
    auto data = LenientBytesField(fields, "data");
    if (!data) {
      return Fail(data.error());
    }
    return NsmRequest(ExtendPcrRequest{*index, data->value_or(Bytes{})});
  }
  if (name == "LockPCRs") {
    auto range = U16Field(fields, "range", ErrorCode::kNsmRequestInvalid);
    if (!range) {
      return Fail(range.error());
    }
    return NsmRequest(LockPcrsRequest{*range});
  }
  if (name == "Attestation") {
    auto user_data = LenientBytesField(fields, "user_data");
    auto nonce = LenientBytesField(fields, "nonce");
    auto public_key = LenientBytesField(fields, "public_key");
    if (!user_data || !nonce || !public_key) {
      return Fail(ErrorCode::kNsmRequestInvalid, "Attestation fields must be bytes or null");
    }
    return NsmRequest(
        AttestationRequest{std::move(*user_data), std::move(*nonce), std::move(*public_key)});
  }
  return Fail(ErrorCode::kNsmRequestInvalid, "unknown NSM request");
}

Bytes EncodeResponse(const NsmResponse& response) {
  struct Encoder {
    cbor::Item operator()(const DescribePcrResponse& r) const {
      cbor::Item fields = cbor::Item::Map();
      fields.Add(Text("lock"), cbor::Item::Bool(r.lock))
          .Add(Text("data"), cbor::Item::ByteString(r.data));
      return Tagged("DescribePCR", std::move(fields));
    }
    cbor::Item operator()(const ExtendPcrResponse& r) const {
      return Tagged("ExtendPCR",
                    cbor::Item::Map().Add(Text("data"), cbor::Item::ByteString(r.data)));
    }
    cbor::Item operator()(const LockPcrResponse& /*r*/) const { return Text("LockPCR"); }
    cbor::Item operator()(const LockPcrsResponse& /*r*/) const { return Text("LockPCRs"); }
    cbor::Item operator()(const DescribeNsmResponse& r) const {
      std::vector<cbor::Item> locked;
      for (std::uint16_t index : r.locked_pcrs) {
        locked.push_back(U16(index));
      }
      cbor::Item fields = cbor::Item::Map();
      fields.Add(Text("version_major"), U16(r.version_major))
          .Add(Text("version_minor"), U16(r.version_minor))
          .Add(Text("version_patch"), U16(r.version_patch))
          .Add(Text("module_id"), Text(r.module_id))
          .Add(Text("max_pcrs"), U16(r.max_pcrs))
          .Add(Text("locked_pcrs"), cbor::Item::Array(std::move(locked)))
          .Add(Text("digest"), Text(r.digest));
      return Tagged("DescribeNSM", std::move(fields));
    }
    cbor::Item operator()(const AttestationResponse& r) const {
      return Tagged("Attestation",
                    cbor::Item::Map().Add(Text("document"), cbor::Item::ByteString(r.document)));
    }
    cbor::Item operator()(const GetRandomResponse& r) const {
      return Tagged("GetRandom",
                    cbor::Item::Map().Add(Text("random"), cbor::Item::ByteString(r.random)));
    }
    cbor::Item operator()(const ErrorResponse& r) const {
      cbor::Item map = cbor::Item::Map();
      map.Add(Text("Error"), Text(NsmErrorName(r.code)));
      return map;
    }
  };
  return cbor::Encode(std::visit(Encoder{}, response));
}

core::Result<NsmResponse> DecodeResponse(ByteView bytes) {
  auto item = cbor::Decode(bytes, NsmLimits(kNsmResponseMaxSize));
  if (!item) {
    return Fail(ErrorCode::kNsmResponseInvalid, "NSM response: " + item.error().detail);
  }
  auto variant = SplitVariant(*item, ErrorCode::kNsmResponseInvalid);
  if (!variant) {
    return Fail(variant.error());
  }
  const std::string& name = variant->name;
  const cbor::Item* fields = variant->fields;
  if (name == "LockPCR" && fields == nullptr) {
    return NsmResponse(LockPcrResponse{});
  }
  if (name == "LockPCRs" && fields == nullptr) {
    return NsmResponse(LockPcrsResponse{});
  }
  if (name == "Error" && fields != nullptr && fields->type == cbor::Type::kText) {
    for (const auto& [code, error_name] : kErrorNames) {
      if (fields->Text() == error_name) {
        return NsmResponse(ErrorResponse{code});
      }
    }
    return NsmResponse(ErrorResponse{NsmErrorCode::kInternalError});
  }
  if (fields == nullptr || fields->type != cbor::Type::kMap) {
    return Fail(ErrorCode::kNsmResponseInvalid, "unexpected NSM response");
  }
  if (name == "DescribePCR") {
    const cbor::Item* lock = fields->Find("lock");
    auto data = BytesField(*fields, "data");
    if (lock == nullptr || lock->type != cbor::Type::kBool || !data) {
      return Fail(ErrorCode::kNsmResponseInvalid, "DescribePCR response needs lock and data");
    }
    return NsmResponse(DescribePcrResponse{lock->bool_value, std::move(*data)});
  }
  if (name == "ExtendPCR" || name == "Attestation" || name == "GetRandom") {
    auto data = BytesField(*fields, name == "ExtendPCR"     ? "data"
                                    : name == "Attestation" ? "document"
                                                            : "random");
    if (!data) {
      return Fail(data.error());
    }
    if (name == "ExtendPCR") {
      return NsmResponse(ExtendPcrResponse{std::move(*data)});
    }
    if (name == "Attestation") {
      return NsmResponse(AttestationResponse{std::move(*data)});
    }
    return NsmResponse(GetRandomResponse{std::move(*data)});
  }
  if (name == "DescribeNSM") {
    DescribeNsmResponse out;
    auto major = U16Field(*fields, "version_major", ErrorCode::kNsmResponseInvalid);
    auto minor = U16Field(*fields, "version_minor", ErrorCode::kNsmResponseInvalid);
    auto patch = U16Field(*fields, "version_patch", ErrorCode::kNsmResponseInvalid);
    auto max_pcrs = U16Field(*fields, "max_pcrs", ErrorCode::kNsmResponseInvalid);
    const cbor::Item* module_id = fields->Find("module_id");
    const cbor::Item* digest = fields->Find("digest");
    const cbor::Item* locked = fields->Find("locked_pcrs");
    if (!major || !minor || !patch || !max_pcrs || module_id == nullptr ||
        module_id->type != cbor::Type::kText || digest == nullptr ||
        digest->type != cbor::Type::kText || locked == nullptr ||
        locked->type != cbor::Type::kArray) {
      return Fail(ErrorCode::kNsmResponseInvalid, "DescribeNSM response is incomplete");
    }
    for (const cbor::Item& index : locked->children) {
      if (index.type != cbor::Type::kUnsigned || index.uint_value > 0xffff) {
        return Fail(ErrorCode::kNsmResponseInvalid, "locked_pcrs holds a non-index");
      }
      out.locked_pcrs.push_back(static_cast<std::uint16_t>(index.uint_value));
    }
    out.version_major = *major;
    out.version_minor = *minor;
    out.version_patch = *patch;
    out.max_pcrs = *max_pcrs;
    out.module_id = std::string(module_id->Text());
    out.digest = std::string(digest->Text());
    return NsmResponse(std::move(out));
  }
  return Fail(ErrorCode::kNsmResponseInvalid, "unknown NSM response");
}

}  // namespace enclavectl::app
