// Seed (b)'s account protocol, aws-nitro-enclaves-rs (../shared/spec/wallet.md 2.2, 2.3,
// 2.8, 2.9), on the enclave side: the dispatcher over AccountOperations, the interface the
// KMS-backed account logic implements (kms_accounts.hpp). The wire codecs (frames, requests,
// responses, the error envelope) live in the wallet room, wallet/protocol.hpp, so that the
// parent's `enclavectl wallet` speaks the same bytes; they are re-exported here under their
// old names. The listener is in seed_servers.hpp.
#pragma once

#include <string>
#include <string_view>

#include "enclavectl/core/result.hpp"
#include "enclavectl/wallet/protocol.hpp"

namespace enclavectl::app::accounts {

using wallet::protocol::CheckFrame;
using wallet::protocol::Credential;
using wallet::protocol::DecodeFrame;
using wallet::protocol::DecodeRequest;
using wallet::protocol::DecodeResponse;
using wallet::protocol::EncodeErrorResponse;
using wallet::protocol::EncodeFrame;
using wallet::protocol::EncodeGenerateResponse;
using wallet::protocol::EncodeRequest;
using wallet::protocol::EncodeSignResponse;
using wallet::protocol::EnvelopeError;
using wallet::protocol::EnvelopeErrorFor;
using wallet::protocol::EnvelopeErrorName;
using wallet::protocol::FrameCheck;
using wallet::protocol::FrameState;
using wallet::protocol::GenerateRequest;
using wallet::protocol::GenerateResponse;
using wallet::protocol::kFrameHeaderBytes;
using wallet::protocol::kMaxFramePayloadBytes;
using wallet::protocol::OwnerAuthorization;
using wallet::protocol::Request;
using wallet::protocol::Response;
using wallet::protocol::SignRequest;
using wallet::protocol::SignResponse;

// The account logic (KMS GenerateDataKey/Decrypt with a Recipient, the key envelope, owner
// authorization, signing). Implementations fail with the codes EnvelopeErrorFor maps; they
// must be thread-safe (connections are served concurrently).
class AccountOperations {
 public:
  virtual ~AccountOperations() = default;
  [[nodiscard]] virtual core::Result<GenerateResponse> Generate(const GenerateRequest& request) = 0;
  [[nodiscard]] virtual core::Result<SignResponse> Sign(const SignRequest& request) = 0;
};

class AccountService {
 public:
  // `operations` is borrowed and must outlive the service.
  explicit AccountService(AccountOperations& operations) : operations_(operations) {}

  // The response payload for one request payload (untrusted): decode, dispatch, encode;
  // every failure is an error envelope (upstream closes without a word on an unknown
  // apiRequest and crashes on malformed input; we answer). Never throws.
  std::string Handle(std::string_view payload) const;
  // The response to a frame the listener refuses (too large, cut short, too slow).
  static std::string Refuse(core::ErrorCode code);

 private:
  AccountOperations& operations_;
};

}  // namespace enclavectl::app::accounts
