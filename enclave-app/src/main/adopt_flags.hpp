// enclave-app --adopt-ciphertext / --adopt-kms-key (issue 14 item 5, adopt.hpp): the flags,
// their checks and the ciphertext's source (file or SSM). Internal to enclavectl_app_main.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "enclavectl/app/adopt.hpp"
#include "enclavectl/app/aws_kms.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/aws/environment.hpp"
#include "listeners.hpp"

namespace enclavectl::app::run_detail {

void AddAdoptFlags(CLI::App& app, Flags& flags);

// The source of the ciphertext and what sealed setup adopts; `adoption.source` points into
// `source`.
struct Adoption {
  std::unique_ptr<SealedKeyStore> source;
  KeyAdoption adoption;
};

// nullopt without --adopt-ciphertext. Fails with kInvalidArgument (usage: no --key-id in
// sealed mode, --adopt-kms-key alone, a bad location) or the endpoint resolver's codes.
[[nodiscard]] core::Result<std::optional<Adoption>> MakeAdoption(const Flags& flags,
                                                                 const AwsAccess& access,
                                                                 const std::string& region,
                                                                 const aws::Environment& env,
                                                                 LogSink& log);

// The refusals of a configured adoption that no retry can change (exit 74 at start).
bool IsAdoptionRefusal(core::ErrorCode code) noexcept;

}  // namespace enclavectl::app::run_detail
