// `enclavectl lock-policy`: the irreversible lock. Generates (or reads) a locked policy, lints
// it, and only with --apply and an explicit confirmation sends PutKeyPolicy with
// BypassPolicyLockoutSafetyCheck, then reads back and lints what KMS holds. The flow is
// kmspolicy/io/lock.hpp; this file holds the flags, the prompt and the rendering.
#include <memory>
#include <string>
#include <vector>

#include "context.hpp"
#include "enclavectl/aws/arn.hpp"
#include "enclavectl/aws/credentials.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/report_json.hpp"
#include "enclavectl/kmspolicy/io/lock.hpp"
#include "policy_common.hpp"

#ifndef ENCLAVECTL_VERSION
#define ENCLAVECTL_VERSION "0.0.0"
#endif

namespace enclavectl::cli {
namespace {

using core::ErrorCode;
namespace kp = kmspolicy;

struct LockFlags {
  std::string key_id;
  std::string enclave_role;
  std::string policy_path;
  std::vector<std::string> auditors;
  std::string actions;
  kp::io::PcrSourceSpec source;
  bool apply = false;
  bool yes = false;
  bool dry_run = false;
  bool json = false;
  std::string region;
  std::string endpoint_url;
  std::string profile;
};

class LockPolicy {
 public:
  LockPolicy(Context& ctx, const LockFlags& flags) : ctx_(ctx), flags_(flags) {}

  int Run() {
    const std::optional<aws::Arn> key = aws::ParseKmsKeyArn(flags_.key_id);
    if (!key) {
      return Fail({ErrorCode::kInvalidArgument,
                   "--key-id must be a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): a lock is "
                   "for one key in one region",
                   -1});
    }
    if (flags_.apply && flags_.dry_run) {
      return Fail({ErrorCode::kInvalidArgument, "--apply and --dry-run exclude each other", -1});
    }
    if (!flags_.region.empty() && flags_.region != key->region) {
      return Fail({ErrorCode::kInvalidArgument,
                   "--region " + flags_.region + " differs from the key's region " + key->region,
                   -1});
    }
    key_uuid_ = key->resource.substr(4);
    auto policy = BuildPolicy(*key);
    if (!policy) {
      return Fail(policy.error());
    }
    const kp::io::LockPlan plan = kp::io::PlanLock(flags_.key_id, std::move(*policy));
    json_ = core::ReportHeader(kLockPolicyMediaType, core::Verdict::kAccepted);
    json_["key_arn"] = flags_.key_id;
    json_["policy"] = nlohmann::json::parse(kp::EncodePolicy(plan.policy, -1));
    json_["lint"] = LintToJson(plan.policy, plan.report);
    if (!flags_.json) {
      ctx_.out << "lock-policy  " << flags_.key_id << "\n  policy       " << origin_ << "\n";
      ctx_.out << plan.policy_text << "\n";
      RenderLintText(ctx_.out, "lint", plan.policy, plan.report);
    }
    if (auto lockable = kp::io::CheckLockable(plan); !lockable) {
      json_["mode"] = "refused";
      return Fail(lockable.error());
    }
    if (!flags_.apply && !flags_.dry_run) {
      json_["mode"] = "preview";
      return Done(
          "preview only: nothing was sent. --dry-run shows the signed PutKeyPolicy request; "
          "--apply locks the key (irreversibly)");
    }
    auto client = MakeClient(*key);
    if (!client) {
      return Fail(client.error());
    }
    client_ = std::move(*client);
    if (flags_.dry_run) {
      return DryRun(kp::io::LockRequestBody(plan));
    }
    return Apply(plan);
  }

 private:
  core::Result<kp::Policy> BuildPolicy(const aws::Arn& key) {
    if (!flags_.policy_path.empty()) {
      if (flags_.source.AnyGiven() || !flags_.enclave_role.empty() || !flags_.auditors.empty() ||
          !flags_.actions.empty() || !flags_.source.use_pcrs.empty()) {
        return core::Fail(ErrorCode::kInvalidArgument,
                          "--policy FILE replaces --enclave-role, --auditor, --actions and the "
                          "PCR source");
      }
      origin_ = "from " + flags_.policy_path;
      return kp::io::ReadPolicyFile(flags_.policy_path);
    }
    if (flags_.enclave_role.empty()) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "give --enclave-role ARN and a PCR source, or --policy FILE");
    }
    kp::GenerateOptions options;
    options.account_id = key.account;
    options.enclave_role_arn = flags_.enclave_role;
    options.auditor_arns = flags_.auditors;
    options.locked = true;
    auto generated = kp::io::GenerateFromSource(options, flags_.actions, flags_.source, ctx_.clock);
    if (!generated) {
      return core::Fail(generated.error());
    }
    origin_ = "locked, generated for " + flags_.enclave_role + ", pins " +
              PinnedPcrs(generated->policy) + " from " + generated->origin;
    return std::move(generated->policy);
  }

  core::Result<std::unique_ptr<aws::KmsClient>> MakeClient(const aws::Arn& key) {
    aws::CredentialOptions options;
    options.profile = flags_.profile;
    auto credentials = aws::ResolveCredentials(env_, transport_, options);
    if (!credentials) {
      return core::Fail(credentials.error());
    }
    credentials_ = std::move(*credentials);
    auto endpoint = aws::ResolveKmsEndpoint(flags_.endpoint_url, key.region, env_);
    if (!endpoint) {
      return core::Fail(endpoint.error());
    }
    aws::KmsClientOptions client_options;
    client_options.endpoint = std::move(*endpoint);
    return std::make_unique<aws::KmsClient>(client_options, transport_, credentials_.credentials,
                                            ctx_.clock, sleeper_);
  }

  int DryRun(const core::SecretBytes& body) {
    auto prepared = client_->Prepare(aws::KmsOperation::kPutKeyPolicy, body);
    if (!prepared) {
      return Fail(prepared.error());
    }
    const kp::io::ShownRequest shown = kp::io::ShowSignedRequest(
        *prepared, body, core::AsChars(credentials_.credentials.session_token.View()));
    json_["mode"] = "dry-run";
    nlohmann::json shown_headers = nlohmann::json::array();
    for (const aws::HttpHeader& h : shown.headers) {
      shown_headers.push_back({{"name", h.name}, {"value", h.value}});
    }
    json_["request"] = {{"method", shown.method},
                        {"url", shown.url},
                        {"headers", shown_headers},
                        {"body", shown.body},
                        {"canonical_request", shown.canonical_request},
                        {"string_to_sign", shown.string_to_sign},
                        {"credentials_from", credentials_.source}};
    if (!flags_.json) {
      ctx_.out << "signed request (dry run: not sent; credentials from " << credentials_.source
               << "; the signature and any session token are redacted)\n";
      ctx_.out << shown.method << " " << shown.url << "\n";
      for (const aws::HttpHeader& h : shown.headers) {
        ctx_.out << h.name << ": " << h.value << "\n";
      }
      ctx_.out << "\n"
               << shown.body << "\n\ncanonical request\n"
               << shown.canonical_request << "\n\nstring to sign\n"
               << shown.string_to_sign << "\n";
    }
    return Done("dry run: nothing was sent");
  }

  // Warns, then asks for the key id (unless --yes).
  bool Confirm() {
    ctx_.out << std::flush;
    ctx_.err << "\nThis is IRREVERSIBLE. After PutKeyPolicy with BypassPolicyLockoutSafetyCheck:\n"
                "  - nobody, not even the account root, can change this key policy again;\n"
                "  - nobody can create grants on the key or schedule its deletion;\n"
                "  - only the enclave image with the pinned measurements can use the key's\n"
                "    secrets; a new image needs a new key.\n";
    if (flags_.auditors.empty() && flags_.policy_path.empty()) {
      ctx_.err << "No --auditor: after the lock only the enclave role can read this policy, so "
                  "the read-back\nbelow works only when you run as that role.\n";
    }
    if (flags_.yes) {
      return true;
    }
    ctx_.err << "Type the key id (" << key_uuid_ << ") to lock it: " << std::flush;
    std::string typed;
    std::getline(ctx_.in, typed);
    const std::string_view answer = core::TrimWhitespace(typed);
    return answer == key_uuid_ || answer == flags_.key_id;
  }

  int Apply(const kp::io::LockPlan& plan) {
    json_["mode"] = "apply";
    kp::io::LockHooks hooks;
    hooks.confirm = [this] { return Confirm(); };
    hooks.applied = [this] {
      json_["applied"] = true;
      if (!flags_.json) {
        ctx_.out << "applied: PutKeyPolicy with BypassPolicyLockoutSafetyCheck to " << flags_.key_id
                 << "\n";
      }
    };
    auto read_back = kp::io::ApplyLock(*client_, plan, hooks);
    if (!read_back) {
      return Fail(read_back.error());
    }
    json_["read_back"] = LintToJson(read_back->held, read_back->report);
    json_["read_back"]["identical"] = read_back->identical;
    if (!flags_.json) {
      RenderLintText(ctx_.out, "KMS now holds", read_back->held, read_back->report);
      ctx_.out << "read back: "
               << (read_back->identical ? "identical to the policy sent"
                                        : "DIFFERS from the policy sent")
               << "\n";
    }
    if (auto held_ok = kp::io::CheckReadBack(*read_back); !held_ok) {
      return Fail(held_ok.error());
    }
    return Done("locked: " + flags_.key_id + " is enclave-only and locked");
  }

  int Done(const std::string& message) {
    json_["message"] = message;
    if (flags_.json) {
      ctx_.out << core::DumpJson(json_, 2) << "\n";
    } else {
      ctx_.out << message << "\n";
    }
    return 0;
  }

  int Fail(const core::Error& error) {
    if (flags_.json && json_.contains("media_type")) {
      const int code = core::SetOutcome(json_, core::Fail(error));
      ctx_.out << core::DumpJson(json_, 2) << "\n";
      return code;
    }
    return ReportError(ctx_, error, flags_.json, kLockPolicyMediaType);
  }

  Context& ctx_;
  const LockFlags& flags_;
  std::string key_uuid_;
  std::string origin_;
  nlohmann::json json_ = nlohmann::json::object();
  aws::ProcessEnvironment env_;
  aws::CurlTransport transport_{"enclavectl/" ENCLAVECTL_VERSION};
  aws::RealSleeper sleeper_;
  aws::ResolvedCredentials credentials_;
  std::unique_ptr<aws::KmsClient> client_;
};

}  // namespace

void RegisterLockPolicy(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<LockFlags>();
  CLI::App* cmd = app.add_subcommand(
      "lock-policy",
      "Lock a KMS key to one enclave image, irreversibly: print the locked policy and its lint "
      "report; --dry-run prints the signed PutKeyPolicy request; --apply (after you type the key "
      "id, or --yes) sends it with BypassPolicyLockoutSafetyCheck, then reads back and lints "
      "what KMS holds. Refuses any policy lint does not find enclave-only and locked.");
  cmd->add_option("--key-id", flags->key_id, "The key ARN: arn:aws:kms:REGION:ACCOUNT:key/ID")
      ->required();
  cmd->add_option("--enclave-role", flags->enclave_role,
                  "The IAM role the enclave's parent instance calls KMS as");
  cmd->add_option("--policy", flags->policy_path,
                  "Lock with this reviewed policy file (e.g. from policy generate --locked) "
                  "instead of generating one");
  cmd->add_option("--auditor", flags->auditors,
                  "Read-only principals (repeatable); include yourself to read the lock back");
  cmd->add_option("--actions", flags->actions, "What the enclave may do (as for policy generate)");
  AddPcrSourceFlags(cmd, flags->source);
  cmd->add_flag("--apply", flags->apply, "Send PutKeyPolicy (irreversible; asks for the key id)");
  cmd->add_flag("--yes", flags->yes, "Confirm --apply without the prompt (automation)");
  cmd->add_flag("--dry-run", flags->dry_run,
                "Sign the request and print it (signature and session token redacted); send "
                "nothing");
  cmd->add_option("--region", flags->region, "Must equal the key ARN's region (which is used)");
  cmd->add_option("--endpoint-url", flags->endpoint_url,
                  "Send to this endpoint (http(s)://host[:port]), e.g. a local KMS; else "
                  "AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL or https://kms.REGION.amazonaws.com");
  cmd->add_option("--profile", flags->profile,
                  "The AWS profile (~/.aws/credentials, ~/.aws/config); else the environment, "
                  "AWS_PROFILE, then the instance role (IMDSv2)");
  cmd->add_flag("--json", flags->json,
                "Print one JSON object (application/vnd.enclavectl.lock-policy+json;version=1)");
  cmd->footer(
      "Examples:\n"
      "  # look first: the policy, its lint, what would be sent\n"
      "  enclavectl lock-policy --key-id arn:aws:kms:us-east-1:111122223333:key/1234abcd-... \\\n"
      "      --enclave-role arn:aws:iam::111122223333:role/enclave --pcrs measurements.json \\\n"
      "      --auditor arn:aws:iam::111122223333:role/ops --dry-run\n"
      "  # lock it (asks you to type the key id)\n"
      "  enclavectl lock-policy --key-id KEY_ARN --enclave-role ROLE_ARN --pcrs measurements.json "
      "\\\n"
      "      --auditor OPS_ARN --apply\n"
      "  # automation, with a reviewed policy file\n"
      "  enclavectl lock-policy --key-id KEY_ARN --policy locked.json --apply --yes --json\n\n"
      "Exit codes: 0 previewed, dry-run printed, or locked and read back enclave-only and locked;\n"
      "1 refused (POLICY_NOT_ENCLAVE_ONLY, POLICY_NOT_LOCKED, POLICY_LINT_ERRORS) or KMS refused\n"
      "(KMS_*); 2 malformed input; 64 usage error (LOCK_NOT_CONFIRMED, CREDENTIALS_NOT_FOUND);\n"
      "74 network error; 70 internal error.");
  cmd->callback([&ctx, flags] { ctx.exit_code = LockPolicy(ctx, *flags).Run(); });
}

}  // namespace enclavectl::cli
