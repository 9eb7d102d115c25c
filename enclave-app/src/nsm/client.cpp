#include <string>

#include "enclavectl/app/nsm.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

template <typename T>
core::Result<T> Expect(core::Result<NsmResponse> response, const char* what) {
  if (!response) {
    return Fail(response.error());
  }
  if (const auto* error = std::get_if<ErrorResponse>(&*response)) {
    return Fail(ErrorCode::kNsmError,
                std::string(what) + ": the NSM answered " + NsmErrorName(error->code),
                static_cast<int>(error->code));
  }
  if (auto* value = std::get_if<T>(&*response)) {
    return std::move(*value);
  }
  return Fail(ErrorCode::kNsmResponseInvalid, std::string(what) + ": response of another kind");
}

}  // namespace

core::Result<NsmResponse> NsmClient::Call(const NsmRequest& request) {
  auto bytes = transport_.Exchange(EncodeRequest(request));
  if (!bytes) {
    return Fail(bytes.error());
  }
  return DecodeResponse(*bytes);
}

core::Result<DescribeNsmResponse> NsmClient::DescribeNsm() {
  return Expect<DescribeNsmResponse>(Call(DescribeNsmRequest{}), "DescribeNSM");
}

core::Result<DescribePcrResponse> NsmClient::DescribePcr(std::uint16_t index) {
  return Expect<DescribePcrResponse>(Call(DescribePcrRequest{index}), "DescribePCR");
}

core::Result<Bytes> NsmClient::ExtendPcr(std::uint16_t index, ByteView data) {
  auto response =
      Expect<ExtendPcrResponse>(Call(ExtendPcrRequest{index, core::ToBytes(data)}), "ExtendPCR");
  if (!response) {
    return Fail(response.error());
  }
  return std::move(response->data);
}

core::Status NsmClient::LockPcr(std::uint16_t index) {
  auto response = Expect<LockPcrResponse>(Call(LockPcrRequest{index}), "LockPCR");
  return response ? core::Ok() : core::Status(Fail(response.error()));
}

core::Status NsmClient::LockPcrs(std::uint16_t range) {
  auto response = Expect<LockPcrsResponse>(Call(LockPcrsRequest{range}), "LockPCRs");
  return response ? core::Ok() : core::Status(Fail(response.error()));
}

core::Result<Bytes> NsmClient::GetRandom() {
  auto response = Expect<GetRandomResponse>(Call(GetRandomRequest{}), "GetRandom");
  if (!response) {
    return Fail(response.error());
  }
  return std::move(response->random);
}

core::Result<Bytes> NsmClient::Attestation(const AttestationRequest& request) {
  auto response = Expect<AttestationResponse>(Call(request), "Attestation");
  if (!response) {
    return Fail(response.error());
  }
  return std::move(response->document);
}

}  // namespace enclavectl::app
