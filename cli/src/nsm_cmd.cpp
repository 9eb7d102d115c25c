// `enclavectl nsm`: the local NSM simulator from the command line.
#include <memory>
#include <string>
#include <vector>

#include "context.hpp"
#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/app/simulator_config.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/pem.hpp"
#include "enclavectl/core/report_json.hpp"
#include "flags.hpp"
#include "local_stack.hpp"
#include "out_flag.hpp"

namespace enclavectl::cli {
namespace {

constexpr const char* kMediaType = "application/vnd.enclavectl.nsm-attest+json;version=1";

struct AttestOptions {
  std::string state_root = kDefaultStateRoot;
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
  auto bytes = HexFlagValue(flag, hex);
  return bytes ? core::Result<std::optional<core::Bytes>>(std::move(*bytes))
               : core::Fail(bytes.error());
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
  if (auto ok = CheckOutWithJson(options.output, options.json); !ok) {
    return ReportError(ctx, ok.error(), options.json, kMediaType);
  }
  if (!options.public_key_path.empty()) {
    // PEM or DER SubjectPublicKeyInfo; the document carries its DER, never the file's text.
    auto file = core::io::ReadFile(options.public_key_path, core::limits::kMaxPemFileBytes);
    auto key = file ? core::ReadPublicKey(*file, core::ErrorCode::kNsmPublicKey)
                    : core::Result<core::EvpPkeyPtr>(core::Fail(file.error()));
    if (!key) {
      return ReportError(ctx, key.error(), options.json, kMediaType);
    }
    request.public_key = core::PublicKeyDer(key->get());
  }
  if (options.pcrs.eif_path.empty() && options.pcrs.pcrs_path.empty() &&
      options.pcrs.pcr_assignments.empty()) {
    ctx.err << "enclavectl: warning: no --eif, --pcrs or --pcr: every PCR is zero, as in a "
               "debug-mode enclave's document, which no PCR expectation or key policy accepts\n";
  }
  sim_options->indefinite_payload = options.indefinite;
  const std::string nsm_dir = StackPartDir(ctx, options.state_root, "nsm", "NSM", {"devca.json"});
  auto attested = app::AttestWithSimulator(nsm_dir, *sim_options, request, ctx.clock);
  if (!attested) {
    return ReportError(ctx, attested.error(), options.json, kMediaType);
  }
  const core::Bytes& document = attested->document;
  if (auto written = WriteOut(ctx, options.output, document); !written) {
    return ReportError(ctx, written.error(), options.json, kMediaType);
  }
  const std::string root = nsm_dir + "/root.pem";
  if (options.json) {
    nlohmann::json out = core::ReportHeader(kMediaType, core::Verdict::kAccepted);
    out.update({{"document", options.output},
                {"size", document.size()},
                {"module_id", attested->module_id},
                {"root", root}});
    ctx.out << out.dump(2) << "\n";
  } else {
    // With --out - the document is standard output: the summary goes to standard error.
    const bool to_stdout = options.output == "-";
    (to_stdout ? ctx.err : ctx.out)
        << (to_stdout ? "wrote standard output" : "wrote " + options.output) << " ("
        << document.size() << " bytes) from simulated enclave " << attested->module_id
        << "\nverify it with: enclavectl verify --doc " << (to_stdout ? "FILE" : options.output)
        << " --root " << root << "\n";
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
      ->add_option("--state", options->state_root,
                   std::string(kStateHelp) +
                       "; the development CA is DIR/nsm: devca.json (keys, 0600) and root.pem")
      ->default_str(kDefaultStateRoot);
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
                     "A public key (PEM or DER SubjectPublicKeyInfo) whose DER becomes "
                     "public_key; anything else is refused (NSM_PUBLIC_KEY)");
  AddOutOption(attest, options->output, "Where to write the document")
      ->default_str("attestation.cbor");
  attest->add_option("-o", options->output, "Old spelling of --out")->group("");
  attest->add_flag("--indefinite", options->indefinite,
                   "Encode the payload map with indefinite length (as documents since mid-2025)");
  attest->add_flag("--json", options->json, "Print a JSON summary");
  attest->footer(
      "Examples:\n"
      "  enclavectl nsm attest --pcrs pcr.json --nonce 0a0b0c --out doc.cbor\n"
      "  enclavectl nsm attest --eif image.eif --public-key recipient.pem --out doc.cbor\n"
      "  enclavectl verify --doc doc.cbor --root .enclavectl/nsm/root.pem --expect-pcrs "
      "pcr.json\n");
  attest->callback([&ctx, options] { ctx.exit_code = RunAttest(ctx, *options); });
}

}  // namespace enclavectl::cli
