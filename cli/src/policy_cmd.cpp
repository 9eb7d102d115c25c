// `enclavectl policy generate | lint | simulate`: write a PCR-restricted key policy, judge
// one, and evaluate a request against one.
#include <memory>
#include <string>
#include <vector>

#include "context.hpp"
#include "enclavectl/aws/arn.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/report_json.hpp"
#include "enclavectl/kmspolicy/evaluate.hpp"
#include "enclavectl/kmspolicy/generate.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "out_flag.hpp"
#include "policy_common.hpp"

namespace enclavectl::cli {
namespace {

using core::ErrorCode;
namespace kp = kmspolicy;

std::string ExitCodeFooter(const char* one) {
  return std::string("Exit codes: 0 success, 1 ") + one +
         ",\n2 malformed input (policy, PCR file, document), 64 usage error, 74 I/O error,\n"
         "70 internal error. Error codes and their meaning: enclavectl errors.";
}

// --- generate ---

struct GenerateFlags {
  std::string account;
  std::string enclave_role;
  std::vector<std::string> admins;
  std::vector<std::string> auditors;
  std::string actions;
  bool locked = false;
  std::string out_path;
  bool json = false;
  kp::io::PcrSourceSpec source;
};

int RunGenerate(Context& ctx, const GenerateFlags& flags) {
  auto fail = [&ctx, &flags](const core::Error& error) {
    return ReportError(ctx, error, flags.json, kPolicyGenerateMediaType);
  };
  kp::GenerateOptions options;
  options.account_id = flags.account;
  options.enclave_role_arn = flags.enclave_role;
  options.admin_arns = flags.admins;
  options.auditor_arns = flags.auditors;
  options.locked = flags.locked;
  auto generated = kp::io::GenerateFromSource(options, flags.actions, flags.source, ctx.clock);
  if (!generated) {
    return fail(generated.error());
  }
  const kp::Policy& policy = generated->policy;
  // The generator's own output must pass its own lint; anything else is a bug.
  const kp::LintReport report = kp::LintPolicy(policy);
  if (auto ok = kp::CheckRequirements(report, {true, flags.locked}); !ok) {
    return fail(core::Error{ErrorCode::kInternal,
                            "the generated policy fails its own lint: " + ok.error().detail, -1});
  }
  const std::string text = kp::EncodePolicy(policy) + "\n";
  if (auto ok = CheckOutWithJson(flags.out_path, flags.json); !ok) {
    return fail(ok.error());
  }
  if (!flags.out_path.empty()) {
    if (auto written = WriteOut(ctx, flags.out_path, core::AsBytes(text)); !written) {
      return fail(written.error());
    }
  }
  const std::string summary = std::string(flags.locked ? "locked" : "standard") + " policy for " +
                              flags.enclave_role + ": pins " + PinnedPcrs(policy) + " from " +
                              generated->origin + "; enclave-only " +
                              (report.enclave_only.holds ? "yes" : "no") + ", locked " +
                              (report.locked.holds ? "yes" : "no");
  if (flags.json) {
    nlohmann::json out = core::ReportHeader(kPolicyGenerateMediaType, core::Verdict::kAccepted);
    out["variant"] = flags.locked ? "locked" : "standard";
    out["source"] = generated->origin;
    out["pinned_pcrs"] = PinnedPcrs(policy);
    out["policy"] = nlohmann::json::parse(kp::EncodePolicy(policy, -1));
    out["lint"] = LintToJson(policy, report);
    if (!flags.out_path.empty()) {
      out["written"] = flags.out_path;
    }
    ctx.out << core::DumpJson(out, 2) << "\n";
  } else {
    if (flags.out_path.empty()) {
      ctx.out << text;
    }
    // With --out - the policy went to standard output: the summary never names "-".
    const bool to_file = !flags.out_path.empty() && flags.out_path != "-";
    ctx.err << "enclavectl: " << summary << (to_file ? "; written to " + flags.out_path : "")
            << "\n";
  }
  return 0;
}

void RegisterGenerate(CLI::App* policy, Context& ctx) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* cmd = policy->add_subcommand(
      "generate",
      "Write a key policy that only the measured enclave image can use: the enclave role may "
      "Decrypt/DeriveSharedSecret/GenerateDataKey only with StringEqualsIgnoreCase conditions "
      "on kms:RecipientAttestation:ImageSha384 (PCR0) and PCR1/PCR2; an admin may manage the "
      "key but never use its secrets; --locked leaves out the admin entirely.");
  cmd->add_option("--account", flags->account, "The key's AWS account id (12 digits)")->required();
  cmd->add_option("--enclave-role", flags->enclave_role,
                  "The IAM role of the parent instance the enclave calls KMS as "
                  "(arn:aws:iam::ACCOUNT:role/NAME)")
      ->required();
  cmd->add_option("--admin", flags->admins,
                  "Who manages the key (repeatable; default: the account root, i.e. IAM "
                  "policies of the account). Never allowed with --locked");
  cmd->add_option("--auditor", flags->auditors,
                  "Read-only principals (DescribeKey, GetKeyPolicy, GetPublicKey), repeatable");
  cmd->add_option("--actions", flags->actions,
                  "What the enclave may do: decrypt, derive, generate-data-key, "
                  "generate-data-key-pair, generate-random (default: "
                  "decrypt,derive,generate-data-key). No encrypt: kms:Encrypt takes no "
                  "attestation, so whoever may call it can inject a secret of its choice");
  cmd->add_flag("--locked", flags->locked,
                "The lock variant: no admin statement; nobody can change the policy, create "
                "grants or schedule deletion (apply it with lock-policy)");
  AddOutOption(cmd, flags->out_path, "Write the policy to this file (atomically)");
  cmd->add_flag("--json", flags->json,
                "Print one JSON object (application/vnd.enclavectl.policy-generate+json;"
                "version=1) with the policy and its lint report");
  AddPcrSourceFlags(cmd, flags->source);
  cmd->footer(
      "Examples:\n"
      "  # from nitro-cli build-enclave / describe-eif output\n"
      "  enclavectl policy generate --account 111122223333 \\\n"
      "      --enclave-role arn:aws:iam::111122223333:role/enclave --pcrs measurements.json \\\n"
      "      --out policy.json\n"
      "  # from the running enclave's attestation document, pinning PCR0 and PCR8 only\n"
      "  enclavectl policy generate --account 111122223333 --enclave-role ROLE_ARN \\\n"
      "      --attestation doc.cbor --use-pcrs 0,8\n"
      "  # the final lock, for review before lock-policy --apply\n"
      "  enclavectl policy generate --account 111122223333 --enclave-role ROLE_ARN \\\n"
      "      --pcr 0=7a3b05... --pcr 1=... --pcr 2=... --locked --auditor ARN\n\n" +
      ExitCodeFooter("the document is rejected or a PCR cannot protect a key (POLICY_PCR_VALUE)"));
  cmd->callback([&ctx, flags] { ctx.exit_code = RunGenerate(ctx, *flags); });
}

// --- lint ---

struct LintFlags {
  std::string path;
  std::string require = "enclave-only";
  std::string key_arn;
  bool json = false;
};

int RunLint(Context& ctx, const LintFlags& flags) {
  auto required = kp::ParseLintRequirements(flags.require);
  if (!required) {
    return ReportError(ctx, required.error(), flags.json, kPolicyLintMediaType);
  }
  kp::LintTarget target;
  if (!flags.key_arn.empty()) {
    if (!aws::ParseKmsKeyArn(flags.key_arn)) {
      return ReportError(ctx,
                         {ErrorCode::kInvalidArgument,
                          "--key-arn must be a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", -1},
                         flags.json, kPolicyLintMediaType);
    }
    target.key_arn = flags.key_arn;
  }
  auto policy = kp::io::ReadPolicyFile(flags.path);
  if (!policy) {
    return ReportError(ctx, policy.error(), flags.json, kPolicyLintMediaType);
  }
  const kp::LintReport report = kp::LintPolicy(*policy, target);
  const core::Status verdict = kp::CheckRequirements(report, *required);
  std::vector<std::string> required_names;
  if (required->enclave_only) {
    required_names.emplace_back("enclave-only");
  }
  if (required->locked) {
    required_names.emplace_back("locked");
  }
  if (flags.json) {
    nlohmann::json out = core::ReportHeader(kPolicyLintMediaType, core::Verdict::kAccepted);
    out["policy"] = flags.path;
    out["key_arn"] =
        flags.key_arn.empty() ? nlohmann::json(nullptr) : nlohmann::json(flags.key_arn);
    out["required"] = required_names;
    out["checks"] = kp::LintChecksToJson(report, *required);
    out.update(LintToJson(*policy, report));
    core::SetOutcome(out, verdict);
    ctx.out << core::DumpJson(out, 2) << "\n";
  } else {
    RenderLintText(ctx.out, flags.path, *policy, report);
    ctx.out << "key: "
            << (flags.key_arn.empty()
                    ? "ARN unknown (a Deny counts only with Resource \"*\"; --key-arn ARN)"
                    : flags.key_arn)
            << "\n";
    std::string names;
    for (const std::string& name : required_names) {
      names += (names.empty() ? "" : ",") + name;
    }
    ctx.out << "required: " << (names.empty() ? "none" : names) << " -> "
            << (verdict ? "PASS"
                        : "FAIL (" + std::string(core::ErrorCodeName(verdict.error().code)) + ")")
            << "\n";
  }
  return verdict ? 0 : core::ExitCodeFor(core::InfoFor(verdict.error().code).exit_class);
}

void RegisterLint(CLI::App* policy, Context& ctx) {
  auto flags = std::make_shared<LintFlags>();
  CLI::App* cmd = policy->add_subcommand(
      "lint",
      "Judge a key policy: enclave-only? (no principal reaches Decrypt, DeriveSharedSecret, "
      "GenerateDataKey*, ReEncryptFrom or CreateGrant without a condition on the measured "
      "image; nobody can Encrypt/ReEncryptTo without one (key injection) or replicate the key) "
      "and locked? (nobody can change the policy, create grants, schedule deletion or "
      "replicate the key), with one finding per rule and statement.");
  cmd->add_option("policy", flags->path, "The key policy JSON file (- for stdin)")->required();
  cmd->add_option("--require", flags->require,
                  "Verdicts that must hold for exit 0: enclave-only, locked, "
                  "enclave-only,locked or none")
      ->check(CLI::Validator([](std::string&) { return std::string(); },
                             "{enclave-only,locked,none}", "choices"))
      ->default_str("enclave-only");
  cmd->add_option("--key-arn", flags->key_arn,
                  "The ARN of the key the policy is for (arn:aws:kms:REGION:ACCOUNT:key/ID). A "
                  "Deny counts only when its Resource certainly covers the key: \"*\", or a "
                  "pattern matching this ARN; without --key-arn only \"*\". An Allow counts "
                  "whenever it might cover the key");
  cmd->add_flag("--json", flags->json,
                "Print one JSON object (application/vnd.enclavectl.policy-lint+json;version=1)");
  cmd->footer(
      "Rules: wildcard-principal, wildcard-action, account-root-principal, not-principal,\n"
      "missing-attestation-condition, weak-condition-operator, attestation-value-format,\n"
      "attestation-key, debug-pcr, admin-can-rewrite-policy, create-grant, schedule-deletion,\n"
      "lockout-risk, condition-never-satisfied, unknown-action, resource-not-key,\n"
      "statement-ineffective, unevaluable-condition, key-injection, replica-escape,\n"
      "unexpected-image (docs/kms-policy.md explains each).\n\n"
      "Examples:\n"
      "  enclavectl policy lint policy.json\n"
      "  enclavectl policy lint policy.json \\\n"
      "      --key-arn "
      "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\n"
      "  aws kms get-key-policy --key-id KEY --query Policy --output text | \\\n"
      "      enclavectl policy lint - --require enclave-only,locked --json\n\n" +
      ExitCodeFooter("a required verdict does not hold"));
  cmd->callback([&ctx, flags] { ctx.exit_code = RunLint(ctx, *flags); });
}

// --- simulate ---

struct SimulateFlags {
  kp::io::SimulationRequest input;
  bool json = false;
};

int RunSimulate(Context& ctx, const SimulateFlags& flags) {
  auto simulation = kp::io::Simulate(flags.input, ctx.clock);
  if (!simulation) {
    return ReportError(ctx, simulation.error(), flags.json, kPolicySimulateMediaType);
  }
  const kp::Policy& policy = simulation->policy;
  const kp::Request& request = simulation->request;
  const kp::Evaluation& evaluation = simulation->evaluation;
  const std::string& attestation_note = simulation->attestation_note;
  const bool allowed = evaluation.decision == kp::Decision::kAllow;
  for (const std::string& warning : simulation->warnings) {
    ctx.err << "enclavectl: warning: " << warning << "\n";
  }
  if (flags.json) {
    nlohmann::json out = core::ReportHeader(
        kPolicySimulateMediaType, allowed ? core::Verdict::kAccepted : core::Verdict::kRejected);
    out["policy"] = flags.input.policy_path;
    out.update(kp::EvaluationToJson(policy, request, evaluation));
    out["warnings"] = simulation->warnings;
    if (!attestation_note.empty()) {
      out["attestation"] = attestation_note;
    }
    ctx.out << core::DumpJson(out, 2) << "\n";
  } else {
    kp::RenderEvaluationText(ctx.out, policy, request, evaluation, attestation_note);
  }
  return allowed ? 0 : 1;
}

void RegisterSimulate(CLI::App* policy, Context& ctx) {
  auto flags = std::make_shared<SimulateFlags>();
  CLI::App* cmd = policy->add_subcommand(
      "simulate",
      "Evaluate one request against a key policy as KMS does (an explicit Deny wins, then an "
      "Allow, else an implicit Deny) and show the deciding statement. Attestation condition "
      "keys come from a verified document (--attestation).");
  cmd->add_option("policy", flags->input.policy_path, "The key policy JSON file (- for stdin)")
      ->required();
  cmd->add_option("--principal", flags->input.principal,
                  "The caller: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, a user or role "
                  "ARN, an account id, or a service principal")
      ->required();
  cmd->add_option("--action", flags->input.action, "The action, e.g. kms:Decrypt")->required();
  cmd->add_option("--resource,--key-arn", flags->input.resource,
                  "The key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID). Default: unknown; then an "
                  "Allow applies when its Resource might name the key, a Deny only when it "
                  "certainly does (Resource \"*\"): the most permissive answer, as lint reads "
                  "it");
  cmd->add_option("--context", flags->input.context,
                  "A request condition key KEY=VALUE (repeatable; repeat a key for several "
                  "values), e.g. kms:ViaService=ec2.us-east-1.amazonaws.com");
  cmd->add_option("--attestation", flags->input.attestation,
                  "The enclave's attestation document (as sent in Recipient): verified, then "
                  "its PCRs become kms:RecipientAttestation:ImageSha384 and :PCRn");
  AddDocumentTrustFlags(cmd, flags->input.trust);
  cmd->add_flag("--json", flags->json,
                "Print one JSON object (application/vnd.enclavectl.policy-simulate+json;"
                "version=1)");
  cmd->footer(
      "Examples:\n"
      "  # the enclave, presenting its attestation document\n"
      "  enclavectl policy simulate policy.json --action kms:Decrypt \\\n"
      "      --principal arn:aws:sts::111122223333:assumed-role/enclave/i-0abc \\\n"
      "      --attestation doc.cbor --at doc\n"
      "  # can an admin decrypt? (it must not)\n"
      "  enclavectl policy simulate policy.json --action kms:Decrypt \\\n"
      "      --principal arn:aws:sts::111122223333:assumed-role/admin/alice\n\n" +
      ExitCodeFooter("the request is denied (explicitly or implicitly)"));
  cmd->callback([&ctx, flags] { ctx.exit_code = RunSimulate(ctx, *flags); });
}

}  // namespace

void RegisterPolicy(CLI::App& app, Context& ctx) {
  CLI::App* policy = app.add_subcommand(
      "policy",
      "Write (generate), judge (lint) and evaluate (simulate) KMS key policies that "
      "only an attested enclave image can use.");
  policy->require_subcommand(1);
  policy->footer(
      "The operator's path: policy generate -> policy lint -> lock-policy --apply.\n"
      "  enclavectl policy generate --account 111122223333 --enclave-role ROLE_ARN \\\n"
      "      --pcrs measurements.json --out policy.json\n"
      "  enclavectl policy lint policy.json\n"
      "  enclavectl policy simulate policy.json --principal SESSION_ARN --action kms:Decrypt \\\n"
      "      --attestation doc.cbor");
  RegisterGenerate(policy, ctx);
  RegisterLint(policy, ctx);
  RegisterSimulate(policy, ctx);
}

}  // namespace enclavectl::cli
