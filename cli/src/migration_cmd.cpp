// `enclavectl migration`: the maintainer's side of a key migration (docs/migration.md).
//   migration sign --key FILE --target-pcr0 HEX --activation-time T
// prints the BIP-340 authorization the Introspector protocol expects (migration.md 5.3).
#include <algorithm>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "context.hpp"
#include "enclavectl/app/maintainer.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/verifier/maintainer.hpp"

namespace enclavectl::cli {
namespace {

constexpr const char* kSignMediaType = "application/vnd.enclavectl.migration-sign+json;version=1";

struct SignFlags {
  std::string key_path;
  std::string target_pcr0;
  std::int64_t activation_time = 0;
  bool json = false;
};

// The maintainer's secret key: a file holding 64 hex digits (surrounding whitespace allowed).
// Its content is never echoed.
core::Result<core::SecretBytes> ReadMaintainerKey(const std::string& path) {
  auto raw = core::io::ReadFile(path, 1024);
  if (!raw) {
    return core::Fail(raw.error());
  }
  core::SecretBytes text(*raw);
  std::fill(raw->begin(), raw->end(), 0);
  std::string_view chars = core::AsChars(text.View());
  while (!chars.empty() && (chars.back() == '\n' || chars.back() == '\r' || chars.back() == ' ' ||
                            chars.back() == '\t')) {
    chars.remove_suffix(1);
  }
  while (!chars.empty() && (chars.front() == ' ' || chars.front() == '\t')) {
    chars.remove_prefix(1);
  }
  auto bytes = core::HexDecode(chars);
  if (!bytes || bytes->size() != 32) {
    if (bytes) {
      std::fill(bytes->begin(), bytes->end(), 0);
    }
    return core::Fail(core::ErrorCode::kInvalidArgument,
                      path +
                          ": the maintainer key file must hold 64 hex digits (a secp256k1 "
                          "secret key)");
  }
  core::SecretBytes secret(*bytes);
  std::fill(bytes->begin(), bytes->end(), 0);
  return secret;
}

int RunSign(Context& ctx, const SignFlags& flags) {
  auto secret = ReadMaintainerKey(flags.key_path);
  if (!secret) {
    return ReportError(ctx, secret.error(), flags.json, kSignMediaType);
  }
  auto signature =
      app::SignMaintainerAuthorization(*secret, flags.target_pcr0, flags.activation_time);
  if (!signature) {
    return ReportError(ctx, signature.error(), flags.json, kSignMediaType);
  }
  const std::string signature_hex = core::HexEncode(*signature);
  const std::string message_hex =
      core::HexEncode(verifier::MaintainerMessage(flags.target_pcr0, flags.activation_time));
  if (flags.json) {
    const nlohmann::ordered_json out = {{"media_type", kSignMediaType},
                                        {"target_pcr0", flags.target_pcr0},
                                        {"activation_time", flags.activation_time},
                                        {"message_sha256", message_hex},
                                        {"signature", signature_hex}};
    ctx.out << out.dump(2) << "\n";
  } else {
    ctx.out << signature_hex << "\n";
  }
  return 0;
}

}  // namespace

void RegisterMigration(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand(
      "migration",
      "Key migration between image versions (docs/migration.md). The protocol itself is not "
      "implemented yet; `sign` makes the maintainer's authorization.");
  cmd->require_subcommand(1);
  auto flags = std::make_shared<SignFlags>();
  CLI::App* sign = cmd->add_subcommand(
      "sign",
      "Print the maintainer's BIP-340 authorization of a migration to TARGET PCR0 at ACTIVATION "
      "TIME: 128 hex digits over SHA-256(\"<target_pcr0 lower-case>:<activation_time>\"), as "
      "Introspector's MaintainerSig.");
  sign->add_option("--key", flags->key_path,
                   "File holding the maintainer's secp256k1 secret key (64 hex digits)")
      ->required();
  sign->add_option("--target-pcr0", flags->target_pcr0, "PCR0 of the new image (96 hex digits)")
      ->required();
  sign->add_option("--activation-time", flags->activation_time,
                   "Unix seconds from which the migration may complete")
      ->required();
  sign->add_flag("--json", flags->json,
                 "Print {media_type, target_pcr0, activation_time, message_sha256, signature}");
  sign->footer(
      "Exit codes: 0 signed, 64 usage (bad PCR0, time or key file), 74 unreadable key file.\n"
      "Example:\n  enclavectl migration sign --key maintainer.hex --target-pcr0 $PCR0 "
      "--activation-time 1700090000\n");
  sign->callback([&ctx, flags] { ctx.exit_code = RunSign(ctx, *flags); });
}

}  // namespace enclavectl::cli
