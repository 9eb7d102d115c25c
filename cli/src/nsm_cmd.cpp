// `enclavectl nsm`: the local NSM simulator from the command line.
#include <memory>
#include <string>
#include <vector>

#include "context.hpp"
#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/app/simulator_config.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::cli {
namespace {

constexpr const char* kMediaType = "application/vnd.enclavectl.nsm-attest+json;version=1";

struct AttestOptions {
  std::string state_dir = ".enclavectl/nsm";
  app::SimulatorPcrInputs pcrs;
  std::string nonce_hex;
  std::string user_data_hex;
  std::string public_key_path;
  std::string output = "attestation.cbor";
  bool indefinite = false;
  bool json = false;
};

core::Result<std::optional<core::Bytes>> HexOption(const std::string& flag,
                                                   const std::string& hex) {
  if (hex.empty()) {
    return std::optional<core::Bytes>();
  }
  auto bytes = core::HexDecode(hex);
  if (!bytes) {
    return core::Fail(core::ErrorCode::kInvalidArgument, flag + " is not hex");
  }
  return std::optional<core::Bytes>(std::move(*bytes));
}

int RunAttest(Context& ctx, const AttestOptions& options) {
  auto sim_options = app::MakeSimulatorOptions(options.pcrs);
  auto nonce = HexOption("--nonce", options.nonce_hex);
  auto user_data = HexOption("--user-data", options.user_data_hex);
  for (const core::Error* error :
       {sim_options ? nullptr : &sim_options.error(), nonce ? nullptr : &nonce.error(),
        user_data ? nullptr : &user_data.error()}) {
    if (error != nullptr) {
      return ReportError(ctx, *error, options.json, kMediaType);
    }
  }
  app::AttestationRequest request{std::move(*user_data), std::move(*nonce), std::nullopt};
  if (!options.public_key_path.empty()) {
    auto key = core::io::ReadFile(options.public_key_path, core::limits::kMaxPemFileBytes);
    if (!key) {
      return ReportError(ctx, key.error(), options.json, kMediaType);
    }
    request.public_key = std::move(*key);
  }
  sim_options->indefinite_payload = options.indefinite;
  auto attested = app::AttestWithSimulator(options.state_dir, *sim_options, request, ctx.clock);
  if (!attested) {
    return ReportError(ctx, attested.error(), options.json, kMediaType);
  }
  const core::Bytes& document = attested->document;
  if (auto written = core::io::WriteFileAtomic(options.output, document); !written) {
    return ReportError(ctx, written.error(), options.json, kMediaType);
  }
  const std::string root = options.state_dir + "/root.pem";
  if (options.json) {
    ctx.out << nlohmann::json{{"mediaType", kMediaType},
                              {"document", options.output},
                              {"size", document.size()},
                              {"module_id", attested->module_id},
                              {"root", root}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << "wrote " << options.output << " (" << document.size()
            << " bytes) from simulated enclave " << attested->module_id
            << "\nverify it with: enclavectl verify --doc " << options.output << " --root " << root
            << "\n";
  }
  return 0;
}

}  // namespace

void RegisterNsm(CLI::App& app, Context& ctx) {
  CLI::App* nsm = app.add_subcommand(
      "nsm",
      "The local Nitro Security Module simulator: attestation documents signed by a "
      "development CA kept in a state directory (never trusted by default).");
  nsm->require_subcommand(1);
  auto options = std::make_shared<AttestOptions>();
  CLI::App* attest = nsm->add_subcommand(
      "attest",
      "Boot a simulated enclave and write one attestation document (untagged "
      "COSE_Sign1, ES384, the nine payload fields, root->regional->zonal->instance->leaf).");
  attest
      ->add_option("--state", options->state_dir,
                   "State directory: devca.json (development CA keys, 0600) and root.pem")
      ->default_str(".enclavectl/nsm");
  attest->add_option("--eif", options->pcrs.eif_path,
                     "PCR0, PCR1, PCR2 (and PCR8 when signed) measured from this EIF image, as "
                     "nitro-cli describe-eif reports them; a damaged image is refused");
  attest->add_option(
      "--pcrs", options->pcrs.pcrs_path,
      "PCR0..15 of the simulated enclave: nitro-cli pcr.json or describe-eif output");
  attest->add_option("--pcr", options->pcrs.pcr_assignments,
                     "One PCR (0..15) as N=HEX (repeatable; overrides --eif/--pcrs)");
  attest->add_option("--nonce", options->nonce_hex, "nonce (hex)");
  attest->add_option("--user-data", options->user_data_hex, "user_data (hex)");
  attest->add_option("--public-key", options->public_key_path,
                     "File whose bytes become public_key");
  attest->add_option("--output,-o", options->output, "Where to write the document")
      ->default_str("attestation.cbor");
  attest->add_flag("--indefinite", options->indefinite,
                   "Encode the payload map with indefinite length (as documents since mid-2025)");
  attest->add_flag("--json", options->json, "Print a JSON summary");
  attest->footer(
      "Examples:\n"
      "  enclavectl nsm attest --pcrs pcr.json --nonce 0a0b0c -o doc.cbor\n"
      "  enclavectl nsm attest --eif image.eif --public-key recipient.spki.der -o doc.cbor\n"
      "  enclavectl verify --doc doc.cbor --root .enclavectl/nsm/root.pem --expect-pcrs "
      "pcr.json\n");
  attest->callback([&ctx, options] { ctx.exit_code = RunAttest(ctx, *options); });
}

}  // namespace enclavectl::cli
