// `enclavectl kms`: the local KMS-compatible server (serve), its keys from given private key
// material (import-key) and its access keys (access-key).
#include <memory>
#include <string>
#include <vector>

#include "context.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/report_json.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/localkms/server.hpp"
#include "local_stack.hpp"

namespace enclavectl::cli {
namespace {

constexpr const char* kImportMediaType = "application/vnd.enclavectl.kms-import-key+json;version=1";
constexpr const char* kAccessKeyMediaType =
    "application/vnd.enclavectl.kms-access-key+json;version=1";

struct ServeFlags {
  ServeOptions options;
  std::string state_root = kDefaultStateRoot;
  std::string max_age = "5m";
};

int RunServe(Context& ctx, ServeFlags& flags) {
  auto max_age = core::ParseDurationMillis(flags.max_age);
  if (!max_age || *max_age <= 0) {
    return ReportError(ctx,
                       {core::ErrorCode::kInvalidArgument,
                        "--attestation-max-age must be a duration such as 5m", -1},
                       flags.options.stack.json, kLocalKmsMediaType);
  }
  flags.options.stack.server.attestation_max_age_ms = *max_age;
  flags.options.stack.server.state_dir = KmsStateDir(ctx, flags.state_root);
  return RunLocalKms(ctx, flags.options);
}

struct ImportFlags {
  std::string state_dir = kDefaultStateRoot;
  std::string private_key;
  std::string usage = "KEY_AGREEMENT";
  std::string key_id;
  std::string alias;
  std::string description;
  std::string policy_path;
  bool json = false;
};

int RunImport(Context& ctx, const ImportFlags& flags) {
  localkms::ImportOptions options;
  options.state_dir = KmsStateDir(ctx, flags.state_dir);
  const std::optional<localkms::KeyUsage> usage = localkms::KeyUsageFromName(flags.usage);
  if (!usage || *usage == localkms::KeyUsage::kEncryptDecrypt) {
    return ReportError(
        ctx,
        {core::ErrorCode::kInvalidArgument, "--key-usage must be KEY_AGREEMENT or SIGN_VERIFY", -1},
        flags.json, kImportMediaType);
  }
  options.usage = *usage;
  options.key_id = flags.key_id;
  options.alias = flags.alias;
  options.description = flags.description;
  auto pem = core::io::ReadFile(flags.private_key, core::limits::kMaxPemFileBytes);
  if (!pem) {
    return ReportError(ctx, pem.error(), flags.json, kImportMediaType);
  }
  options.private_key_pem = std::move(*pem);
  if (!flags.policy_path.empty()) {
    auto policy = core::io::ReadFile(flags.policy_path, core::limits::kMaxKeyPolicyBytes);
    if (!policy) {
      return ReportError(ctx, policy.error(), flags.json, kImportMediaType);
    }
    options.policy = std::string(core::AsChars(*policy));
  }
  auto metadata = localkms::ImportKey(options, ctx.clock);
  OPENSSL_cleanse(options.private_key_pem.data(), options.private_key_pem.size());
  if (!metadata) {
    return ReportError(ctx, metadata.error(), flags.json, kImportMediaType);
  }
  if (flags.json) {
    nlohmann::json out = core::ReportHeader(kImportMediaType, core::Verdict::kAccepted);
    out.update(
        {{"key_id", metadata->key_id},
         {"arn", metadata->arn},
         {"key_spec", metadata->key_spec},
         {"key_usage", metadata->key_usage},
         {"origin", metadata->origin},
         {"alias", flags.alias.empty() ? nlohmann::json(nullptr) : nlohmann::json(flags.alias)}});
    ctx.out << out.dump(2) << "\n";
  } else {
    ctx.out << "key " << metadata->arn << " (" << metadata->key_spec << ", " << metadata->key_usage
            << ", origin " << metadata->origin << ")"
            << (flags.alias.empty() ? "" : " alias " + flags.alias) << " in " << options.state_dir
            << "\n";
  }
  return 0;
}

struct AccessKeyFlags {
  std::string state_dir = kDefaultStateRoot;
  std::string principal;
  bool json = false;
};

int RunAccessKey(Context& ctx, const AccessKeyFlags& flags) {
  auto key = localkms::AccessKeyFor(KmsStateDir(ctx, flags.state_dir), flags.principal);
  if (!key) {
    return ReportError(ctx, key.error(), flags.json, kAccessKeyMediaType);
  }
  const std::string secret(core::AsChars(key->secret_access_key.View()));
  if (flags.json) {
    nlohmann::json out = core::ReportHeader(kAccessKeyMediaType, core::Verdict::kAccepted);
    out.update({{"access_key_id", key->access_key_id},
                {"secret_access_key", secret},
                {"principal", key->principal}});
    ctx.out << out.dump(2) << "\n";
    core::WipeJsonStrings(out);
  } else {
    ctx.out << "# " << key->principal << "\nexport AWS_ACCESS_KEY_ID=" << key->access_key_id
            << "\nexport AWS_SECRET_ACCESS_KEY=" << secret << "\nunset AWS_SESSION_TOKEN\n";
  }
  return 0;
}

}  // namespace

void RegisterKms(CLI::App& app, Context& ctx) {
  CLI::App* kms = app.add_subcommand(
      "kms",
      "The local KMS: a KMS-compatible server (JSON 1.1 protocol, SigV4, key policies, "
      "attestation recipients) for development and tests, with its state in a directory.");
  kms->require_subcommand(1);

  auto serve_flags = std::make_shared<ServeFlags>();
  CLI::App* serve = kms->add_subcommand(
      "serve",
      "Run the local KMS in the foreground until SIGINT/SIGTERM. Prints the environment a "
      "client needs (endpoint, region, credentials) and logs one line per request to stderr.");
  serve->add_option("--state", serve_flags->state_root, kStateHelp)->default_str(kDefaultStateRoot);
  AddServeOptions(serve, serve_flags->options,
                  "PEM root certificate that Recipient attestation documents must chain to "
                  "(repeatable; default: the AWS Nitro Enclaves root only)");
  serve
      ->add_option("--attestation-max-age", serve_flags->max_age,
                   "Oldest Recipient attestation document accepted")
      ->default_str("5m");
  serve->add_option("--account", serve_flags->options.stack.server.account_id,
                    "Account id of the keys (first start only; default 111122223333)");
  serve->add_option("--region", serve_flags->options.stack.server.region,
                    "Region of the endpoint and the key ARNs (first start only; default "
                    "us-east-1)");
  serve->footer(
      "Examples:\n"
      "  enclavectl kms serve --state .enclavectl --attestation-root .enclavectl/nsm/root.pem\n"
      "  eval \"$(enclavectl kms access-key --state .enclavectl)\"\n"
      "  aws --endpoint-url http://127.0.0.1:4599 --region us-east-1 kms create-key\n"
      "  enclavectl dev up --background   # the same, with the NSM simulator's root, detached\n\n"
      "Implemented operations: CreateKey, DescribeKey, ListKeys, Encrypt, Decrypt,\n"
      "GenerateDataKey, GenerateRandom, DeriveSharedSecret, GetPublicKey, GetKeyPolicy,\n"
      "PutKeyPolicy, ScheduleKeyDeletion, CancelKeyDeletion, EnableKey, DisableKey, CreateAlias,\n"
      "DeleteAlias, ListAliases (docs/local-stack.md).\n"
      "Exit codes: 0 stopped by a signal, 64 usage, 74 cannot listen or state directory busy,\n"
      "2 damaged state file.");
  serve->callback([&ctx, serve_flags] { ctx.exit_code = RunServe(ctx, *serve_flags); });

  auto import_flags = std::make_shared<ImportFlags>();
  CLI::App* import_cmd = kms->add_subcommand(
      "import-key",
      "Add a key made of given private key material (PEM, P-256/P-384/secp256k1) to a local "
      "KMS state directory, e.g. a fixed P-256 key-agreement key for tests and demos. The "
      "server must be stopped (it owns the state). Each run adds a key: importing the same "
      "material again creates another key (with a new id unless --key-id is given).");
  import_cmd->add_option("--state", import_flags->state_dir, kStateHelp)
      ->default_str(kDefaultStateRoot);
  import_cmd
      ->add_option("--private-key", import_flags->private_key,
                   "PEM private key (PKCS#8 or SEC1 'EC PRIVATE KEY', unencrypted)")
      ->required();
  import_cmd->add_option("--key-usage", import_flags->usage, "KEY_AGREEMENT or SIGN_VERIFY")
      ->default_str("KEY_AGREEMENT");
  import_cmd->add_option("--key-id", import_flags->key_id,
                         "Fixed key id (lower-case UUID); default: a random one");
  import_cmd->add_option("--alias", import_flags->alias, "Also create this alias (alias/NAME)");
  import_cmd->add_option("--description", import_flags->description, "Key description");
  import_cmd->add_option("--policy", import_flags->policy_path,
                         "Key policy file (default: the KMS default policy)");
  import_cmd->add_flag("--json", import_flags->json, "Print the key as JSON");
  import_cmd->footer(
      "Examples:\n"
      "  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out demo.pem\n"
      "  enclavectl kms import-key --state .enclavectl --private-key demo.pem \\\n"
      "      --key-id 6f1c0a52-6b1e-4e55-9a40-3c1d2b7e9f10 --alias alias/demo\n");
  import_cmd->callback([&ctx, import_flags] { ctx.exit_code = RunImport(ctx, *import_flags); });

  auto access_flags = std::make_shared<AccessKeyFlags>();
  CLI::App* access = kms->add_subcommand(
      "access-key",
      "Print the access key of a principal as shell exports (or JSON), creating it when the "
      "principal has none. Without --principal: the first key (user/local-admin). A running "
      "server picks new keys up on their first use.");
  access->add_option("--state", access_flags->state_dir, kStateHelp)
      ->default_str(kDefaultStateRoot);
  access->add_option("--principal", access_flags->principal,
                     "IAM/STS ARN the key stands for, e.g. "
                     "arn:aws:sts::111122223333:assumed-role/enclave/i-local");
  access->add_flag("--json", access_flags->json, "Print JSON");
  access->footer(
      "Examples:\n"
      "  eval \"$(enclavectl kms access-key --state .enclavectl)\"\n"
      "  enclavectl kms access-key --principal arn:aws:iam::111122223333:role/enclave --json\n");
  access->callback([&ctx, access_flags] { ctx.exit_code = RunAccessKey(ctx, *access_flags); });
}

}  // namespace enclavectl::cli
