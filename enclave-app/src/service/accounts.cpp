#include "enclavectl/app/accounts.hpp"

namespace enclavectl::app::accounts {

std::string AccountService::Handle(std::string_view payload) const {
  try {
    auto request = DecodeRequest(payload);
    if (!request) {
      return EncodeErrorResponse(EnvelopeErrorFor(request.error()));
    }
    if (auto* generate = std::get_if<GenerateRequest>(&*request)) {
      auto response = operations_.Generate(*generate);
      return response ? EncodeGenerateResponse(*response)
                      : EncodeErrorResponse(EnvelopeErrorFor(response.error()));
    }
    auto response = operations_.Sign(std::get<SignRequest>(*request));
    return response ? EncodeSignResponse(*response)
                    : EncodeErrorResponse(EnvelopeErrorFor(response.error()));
  } catch (const std::bad_alloc&) {
    return EncodeErrorResponse(EnvelopeError::kKmsFailed);
  }
}

std::string AccountService::Refuse(core::ErrorCode /*code*/) {
  // A frame too large, cut short or too slow is a bad request whatever the reason.
  return EncodeErrorResponse(EnvelopeError::kBadRequest);
}

}  // namespace enclavectl::app::accounts
