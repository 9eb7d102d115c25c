// The local KMS's front: the answer helpers, authentication then dispatch through one table
// from operation to handler, and the answer as HTTP. The handlers live in ops_*.cpp.
#include "enclavectl/localkms/service.hpp"

#include <array>
#include <cstddef>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/localkms/crypto.hpp"
#include "service_internal.hpp"

namespace enclavectl::localkms {
namespace internal {

Fault MakeFault(std::string type, std::string message) {
  return Fault{std::move(type), std::move(message), 400, false};
}

Fault InternalFault(std::string message) {
  return Fault{"KMSInternalException", std::move(message), 500, false};
}

Fault FromDecodeError(const core::Error& error) {
  if (error.code == core::ErrorCode::kKmsValidation) {
    return MakeFault("ValidationException", error.detail);
  }
  return MakeFault("SerializationException", error.detail);
}

Fault DryRun() {
  return MakeFault("DryRunOperationException",
                   "The request would have succeeded, but the DryRun option is set.");
}

Fault PendingDeletion(std::string_view arn) {
  return MakeFault("KMSInvalidStateException", std::string(arn) + " is pending deletion.");
}

double EpochSeconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

Answer Ok(std::string body) { return Answer{std::nullopt, std::move(body)}; }
Answer Ok(const core::SecretBytes& body) {
  return Answer{std::nullopt, std::string(core::AsChars(body.View()))};
}
Answer Error(Fault fault) { return Answer{std::move(fault), {}}; }

Service::Service(ServiceOptions options, KeyStore store, StatePersister& persister,
                 const core::io::Clock& clock)
    : attestation_(std::move(options.attestation)),
      clock_(clock),
      state_(std::move(options), std::move(store), persister, clock) {}

namespace {

struct Route {
  aws::KmsOperation operation;
  Handler handler;
};

// One handler per operation, in the order of aws::KmsOperation.
constexpr std::array<Route, 18> kRoutes = {{
    {aws::KmsOperation::kCreateKey, &CreateKey},
    {aws::KmsOperation::kDescribeKey, &DescribeKey},
    {aws::KmsOperation::kGetKeyPolicy, &GetKeyPolicy},
    {aws::KmsOperation::kPutKeyPolicy, &PutKeyPolicy},
    {aws::KmsOperation::kEncrypt, &Encrypt},
    {aws::KmsOperation::kDecrypt, &Decrypt},
    {aws::KmsOperation::kGenerateDataKey, &GenerateDataKey},
    {aws::KmsOperation::kGenerateRandom, &GenerateRandom},
    {aws::KmsOperation::kDeriveSharedSecret, &DeriveSharedSecret},
    {aws::KmsOperation::kGetPublicKey, &GetPublicKey},
    {aws::KmsOperation::kScheduleKeyDeletion, &ScheduleKeyDeletion},
    {aws::KmsOperation::kCancelKeyDeletion, &ChangeKeyState},
    {aws::KmsOperation::kEnableKey, &ChangeKeyState},
    {aws::KmsOperation::kDisableKey, &ChangeKeyState},
    {aws::KmsOperation::kCreateAlias, &CreateAlias},
    {aws::KmsOperation::kDeleteAlias, &DeleteAlias},
    {aws::KmsOperation::kListAliases, &ListAliases},
    {aws::KmsOperation::kListKeys, &ListKeys},
}};

constexpr bool RoutesCoverEveryOperationInOrder() {
  if (kRoutes.size() != static_cast<std::size_t>(aws::KmsOperation::kListKeys) + 1) {
    return false;
  }
  for (std::size_t i = 0; i < kRoutes.size(); ++i) {
    if (static_cast<std::size_t>(kRoutes.at(i).operation) != i) {
      return false;
    }
  }
  return true;
}
static_assert(RoutesCoverEveryOperationInOrder(), "one handler per aws::KmsOperation, in order");

}  // namespace
}  // namespace internal

namespace {

using internal::Answer;
using internal::Fault;
using internal::MakeFault;

OutgoingResponse Respond(Answer answer, std::string operation, std::string principal,
                         std::string note) {
  OutgoingResponse out;
  out.headers.emplace_back("x-amzn-RequestId", RandomUuid());
  out.operation = std::move(operation);
  out.principal = std::move(principal);
  out.note = std::move(note);
  if (answer.fault) {
    out.status = answer.fault->status;
    out.error_type = answer.fault->type;
    out.headers.emplace_back("x-amzn-ErrorType", answer.fault->type);
    out.body = aws::EncodeKmsErrorBody(answer.fault->type, answer.fault->message,
                                       answer.fault->capital_message);
  } else {
    out.body = std::move(answer.body);
  }
  return out;
}

}  // namespace

struct LocalKms::Impl {
  Impl(ServiceOptions options, KeyStore store, StatePersister& persister,
       const core::io::Clock& clock)
      : service(std::move(options), std::move(store), persister, clock) {}
  internal::Service service;
};

LocalKms::LocalKms(ServiceOptions options, KeyStore store, StatePersister& persister,
                   const core::io::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(store), persister, clock)) {}

LocalKms::~LocalKms() = default;

OutgoingResponse LocalKms::Handle(const IncomingRequest& request) {
  const std::string target = internal::Header(request, "x-amz-target");
  if (request.method != "POST" || request.path != "/") {
    return Respond(
        internal::Error(MakeFault("UnknownOperationException",
                                  "The local KMS answers POST / with the KMS JSON 1.1 protocol")),
        "", "", "");
  }
  std::string principal;
  {
    // Under the lock: an unknown access key may reload the configuration.
    internal::Session kms = impl_->service.Lock();
    auto authenticated = kms->Authenticate(request);
    if (auto* fault = std::get_if<Fault>(&authenticated)) {
      return Respond(internal::Error(std::move(*fault)), "", "", "");
    }
    principal = std::get<std::string>(std::move(authenticated));
  }
  return Dispatch(target, request.body, principal);
}

OutgoingResponse LocalKms::Dispatch(std::string_view target, std::string_view body,
                                    const std::string& principal) {
  const std::optional<aws::KmsOperation> operation = aws::KmsOperationFromTarget(target);
  if (!operation) {
    return Respond(
        internal::Error(MakeFault("UnknownOperationException", "The local KMS does not implement " +
                                                                   core::SafeExcerpt(target, 96))),
        "", principal, "");
  }
  std::string note;
  const internal::Call call{*operation, body, principal, note};
  // The handler takes the service lock itself, for its state part only.
  Answer answer =
      internal::kRoutes.at(static_cast<std::size_t>(*operation)).handler(impl_->service, call);
  return Respond(std::move(answer), aws::KmsOperationName(*operation), principal, std::move(note));
}

OutgoingResponse LocalKms::Refusal(unsigned status, std::string_view reason) {
  std::string type = "SerializationException";
  if (status == 503) {
    type = "ThrottlingException";
  } else if (status == 413 || status == 431) {
    type = "ValidationException";
  } else if (status == 408) {
    type = "RequestTimeoutException";
  } else if (status >= 500) {
    type = "KMSInternalException";
  }
  return Respond(internal::Error(Fault{type, std::string(reason), status, false}), "", "", "");
}

std::size_t LocalKms::KeyCount() const {
  internal::Session kms = impl_->service.Lock();
  return kms->Store().keys.size();
}

std::string DefaultKeyPolicy(std::string_view account_id) {
  // KMS returns its default policy in this layout (Jackson's pretty printer).
  return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ "
         "{\n"
         "    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n"
         "    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::" +
         std::string(account_id) +
         ":root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}";
}

std::string KeyArn(const ServiceConfig& config, std::string_view key_id) {
  return "arn:aws:kms:" + config.region + ":" + config.account_id + ":key/" + std::string(key_id);
}

}  // namespace enclavectl::localkms
