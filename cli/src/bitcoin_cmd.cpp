// `enclavectl bitcoin`: Bitcoin script tools. `script-tests FILE` runs a conformance file in
// the format of Bitcoin Core's script_taproot_tests.json through the bitcoin library;
// `address` derives a Confidential Script real output's address offline.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "context.hpp"
#include "enclavectl/bitcoin/confidential_script.hpp"
#include "enclavectl/bitcoin/script_tests.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"

namespace enclavectl::cli {
namespace {

struct ScriptTestsFlags {
  std::string path;
  bool json = false;
};

int RunScriptTests(Context& ctx, const ScriptTestsFlags& flags) {
  auto text = core::io::ReadFile(flags.path, bitcoin::kMaxScriptTestFileBytes);
  if (!text) {
    return ReportError(ctx, text.error(), flags.json, bitcoin::kScriptTestsMediaType);
  }
  auto report = bitcoin::RunScriptTests(core::AsChars(*text));
  if (!report) {
    return ReportError(ctx, report.error(), flags.json, bitcoin::kScriptTestsMediaType);
  }
  if (flags.json) {
    ctx.out << bitcoin::ScriptTestReportToJson(*report).dump(
                   2, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
  } else {
    bitcoin::RenderScriptTestReport(ctx.out, *report);
  }
  return report->num_failed == 0 ? 0 : 1;
}

constexpr const char* kAddressMediaType =
    "application/vnd.enclavectl.bitcoin-address+json;version=1";

struct AddressFlags {
  std::string parent_key_hex;
  std::string emulated_root_hex;
  std::string backup_root_hex;
  std::string network = "bitcoin";
  bool json = false;
};

core::Result<bitcoin::Hash256> ParseRoot(const std::string& hex, const char* what) {
  auto bytes = core::HexDecodeLenient(hex);
  if (!bytes || bytes->size() != 32) {
    return core::Fail(core::ErrorCode::kInvalidArgument,
                      std::string(what) + " must be 64 hex digits (a 32-byte TapNodeHash)");
  }
  bitcoin::Hash256 root{};
  std::copy(bytes->begin(), bytes->end(), root.begin());
  return root;
}

int RunAddress(Context& ctx, const AddressFlags& flags) {
  auto parent = core::HexDecodeLenient(flags.parent_key_hex);
  if (!parent || (parent->size() != 33 && parent->size() != 65)) {
    return ReportError(ctx,
                       core::Error{core::ErrorCode::kInvalidArgument,
                                   "--parent-key must be a SEC1 public key in hex (66 or 130 "
                                   "digits)",
                                   -1},
                       flags.json, kAddressMediaType);
  }
  auto emulated_root = ParseRoot(flags.emulated_root_hex, "--emulated-root");
  if (!emulated_root) {
    return ReportError(ctx, emulated_root.error(), flags.json, kAddressMediaType);
  }
  std::optional<bitcoin::Hash256> backup_root;
  if (!flags.backup_root_hex.empty()) {
    auto parsed = ParseRoot(flags.backup_root_hex, "--backup-root");
    if (!parsed) {
      return ReportError(ctx, parsed.error(), flags.json, kAddressMediaType);
    }
    backup_root = *parsed;
  }
  auto real = bitcoin::GenerateAddress(*parent, *emulated_root, backup_root, flags.network);
  if (!real) {
    return ReportError(ctx, real.error(), flags.json, kAddressMediaType);
  }
  if (flags.json) {
    const nlohmann::json out = {{"media_type", kAddressMediaType},
                                {"verdict", "accepted"},
                                {"network", flags.network},
                                {"address", real->address},
                                {"script_pub_key", core::HexEncode(real->script_pubkey)},
                                {"internal_key", core::HexEncode(real->internal_key)},
                                {"output_key", core::HexEncode(real->output_key)}};
    ctx.out << out.dump(2) << "\n";
  } else {
    ctx.out << real->address << "\n";
  }
  return 0;
}

}  // namespace

void RegisterBitcoin(CLI::App& app, Context& ctx) {
  CLI::App* bitcoin = app.add_subcommand("bitcoin", "Bitcoin script and Taproot tools.");
  bitcoin->require_subcommand(1);

  auto flags = std::make_shared<ScriptTestsFlags>();
  CLI::App* tests = bitcoin->add_subcommand(
      "script-tests",
      "Run a file in the format of Bitcoin Core's script_taproot_tests.json: every entry's "
      "success witness must verify and its failure witness must not (flags P2SH, CLTV, CSV, "
      "WITNESS, NULLFAIL, TAPROOT). One line per entry, then 'N passed, M failed'.");
  tests->add_option("file", flags->path, "The JSON test file ('-' for standard input)")->required();
  tests->add_flag("--json", flags->json, "Print one JSON object");
  tests->footer(
      "Exit codes: 0 every entry passed, 1 an entry failed, 2 the file is malformed, 74 I/O "
      "error.\nExample:\n  enclavectl bitcoin script-tests script_taproot_tests.json");
  tests->callback([&ctx, flags] { ctx.exit_code = RunScriptTests(ctx, *flags); });

  auto address_flags = std::make_shared<AddressFlags>();
  CLI::App* address = bitcoin->add_subcommand(
      "address",
      "Derive offline the address of a Confidential Script real output: the P2TR output whose "
      "internal key is the child of the parent key for the emulated script tree (HMAC-SHA512 "
      "of the parent's compressed key and the emulated merkle root), tweaked with the backup "
      "merkle root if given (bech32m).");
  address
      ->add_option("--parent-key", address_flags->parent_key_hex,
                   "The parent (master) public key, SEC1 hex (compressed: 66 digits)")
      ->required();
  address
      ->add_option("--emulated-root", address_flags->emulated_root_hex,
                   "The emulated script tree's merkle root (64 hex digits)")
      ->required();
  address->add_option("--backup-root", address_flags->backup_root_hex,
                      "The real output's own script tree merkle root (64 hex digits)");
  address
      ->add_option("--network", address_flags->network,
                   "bitcoin (mainnet), testnet, testnet4, signet or regtest")
      ->capture_default_str();
  address->add_flag("--json", address_flags->json,
                    "Print one JSON object (address, script_pub_key, internal_key, output_key)");
  address->footer(
      "Exit codes: 0 derived, 2 invalid key, 64 usage error.\nExample:\n  enclavectl bitcoin "
      "address --parent-key 031b84...078f --emulated-root a85b21...d675 --network bitcoin");
  address->callback([&ctx, address_flags] { ctx.exit_code = RunAddress(ctx, *address_flags); });
}

}  // namespace enclavectl::cli
