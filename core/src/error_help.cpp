#include "enclavectl/core/error_help.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "enclavectl/core/verdict.hpp"

namespace enclavectl::core {
namespace {

using E = ErrorCode;

// Causes and remedies of the codes people meet; ascending code order (checked below).
constexpr std::array kExplanations = {
    ErrorExplanation{
        E::kInvalidArgument,
        "a flag's value has the wrong form, or flags that exclude each other were combined",
        "read the message for the flag; 'enclavectl COMMAND --help' shows each flag's form"},
    ErrorExplanation{E::kUnknownCommand,
                     "a command name is misspelt, or belongs under another command",
                     "take the suggested name; 'enclavectl help' lists the commands"},
    ErrorExplanation{E::kUnknownFlag, "a flag is misspelt, or belongs to another command",
                     "take the suggested flag; 'enclavectl COMMAND --help' lists its flags"},
    ErrorExplanation{
        E::kMissingArgument,
        "a command was given without its subcommand, a required flag, or a flag's value",
        "'enclavectl COMMAND --help' shows what the command needs"},
    ErrorExplanation{E::kTruncated, "the file was cut short (an interrupted download or copy)",
                     "fetch the input again; compare its size with the original"},
    ErrorExplanation{
        E::kCborMalformed, "the file is not an attestation document, or was altered",
        "give the raw CBOR document (or its hex or base64) as the service returned it"},
    ErrorExplanation{
        E::kTrailingBytes,
        "something was appended to the document (two documents in one file, a log line)",
        "give exactly one document per file"},
    ErrorExplanation{E::kInputTooLarge,
                     "a wrong file was given (an image, a log), or the input is hostile",
                     "check that the path names the document or file the command expects"},
    ErrorExplanation{
        E::kInputEncoding,
        "the text is neither hex nor base64 (a JSON wrapper, a PEM header, a typo)",
        "extract the document itself; hex may have spaces, line breaks, 0x and upper case"},
    ErrorExplanation{E::kCoseStructure,
                     "the bytes are CBOR but not a COSE_Sign1 attestation document",
                     "give the attestation document itself, not a JSON or CBOR envelope around it"},
    ErrorExplanation{E::kBundleMalformed,
                     "the evidence bundle was damaged or is not a zip written by verify --bundle",
                     "record the evidence again with verify --url URL --bundle FILE"},
    ErrorExplanation{E::kBundleInconsistent,
                     "a member of the evidence bundle was changed after it was recorded",
                     "treat the bundle as tampered; record the evidence again from the service"},
    ErrorExplanation{
        E::kDocMissingField, "the document was produced by something other than an NSM, or altered",
        "take the document from the enclave's NSM (or the local simulator) as it came"},
    ErrorExplanation{
        E::kCertParse,
        "a certificate (in the document, or given with --root) is not X.509 in PEM or DER",
        "for --root give the root certificate file itself (PEM or DER)"},
    ErrorExplanation{
        E::kCertExpired, "a stored document checked now: its certificates live only hours",
        "a stored document? verify it at its own time with --at doc (and keep --max-age off)"},
    ErrorExplanation{
        E::kCertNotYetValid,
        "the verification time is before the certificates were issued: a wrong --at, or a slow "
        "clock",
        "check --at (and the system clock); --at doc verifies at the document's own time"},
    ErrorExplanation{E::kCertSignature,
                     "a certificate of the chain was altered or does not belong to its issuer",
                     "treat the document as forged; fetch a fresh one from the enclave"},
    ErrorExplanation{E::kChainIssuer,
                     "the cabundle lacks, repeats or misorders an intermediate certificate",
                     "use the document exactly as the NSM produced it; do not edit its cabundle"},
    ErrorExplanation{
        E::kChainRootMismatch,
        "the document does not come from AWS: e.g. the local NSM simulator, whose root is its own",
        "for the local stack add --root STATE/nsm/root.pem; for AWS, never: the document is not "
        "genuine"},
    ErrorExplanation{
        E::kCertConstraints,
        "a certificate of the chain may not sign what it signs (CA flag, path length, key usage)",
        "treat the chain as forged; for --root give a self-signed CA certificate"},
    ErrorExplanation{
        E::kCertKeyType,
        "a certificate uses another curve or algorithm than AWS's P-384 / ECDSA-SHA384",
        "treat the document as forged; for --root give a P-384 CA certificate"},
    ErrorExplanation{
        E::kRootFingerprint, "the shipped AWS root file (share/aws_nitro_root_g1.pem) was altered",
        "reinstall enclavectl; compare 'enclavectl --version' with AWS's published fingerprint"},
    ErrorExplanation{E::kChainInvalid, "the chain failed a check that no more specific code names",
                     "read the message; fetch a fresh document from the enclave"},
    ErrorExplanation{
        E::kSignatureInvalid,
        "the document's payload or signature was altered, or it is signed by another key",
        "treat the document as forged; fetch a fresh one from the enclave"},
    ErrorExplanation{
        E::kPcrMismatch,
        "the enclave runs another image (another build, kernel or signing key) than expected",
        "measure the image you built: 'enclavectl eif measure IMAGE' and compare; rebuild "
        "reproducibly"},
    ErrorExplanation{
        E::kPcrMissing, "an expected PCR is absent: e.g. PCR8 of an unsigned image",
        "expect only the PCRs the image has: sign the image, or drop that expectation"},
    ErrorExplanation{
        E::kKeyBindingMismatch,
        "PCR16 binds another key: the service restarted with a new key, or the key given is wrong",
        "give the key the service reports now (/v1/info); PCR16 binds SHA-256 of the compressed "
        "key"},
    ErrorExplanation{
        E::kAppKeyHashMismatch,
        "the response-signing key is not the one expected (a restart, or another service)",
        "fetch a fresh document and the service's current key together"},
    ErrorExplanation{E::kNonceMismatch,
                     "the document answers another request (a replay, or a reused document)",
                     "request a fresh document with your nonce and verify that one"},
    ErrorExplanation{E::kNonceMissing, "the document was requested without a nonce",
                     "request it with the nonce you expect, or drop --expect-nonce"},
    ErrorExplanation{
        E::kDocumentTooOld, "the document is older than --max-age: a stored or replayed document",
        "fetch a fresh one; for stored evidence verify with --at doc and without --max-age"},
    ErrorExplanation{
        E::kDocumentFromFuture,
        "the document's time is after the verification time: a slow clock, or --at too early",
        "synchronise the clock (NTP), or verify a stored document with --at doc"},
    ErrorExplanation{
        E::kDebugMode,
        "the enclave was started with --debug-mode: the parent instance can read its memory",
        "run the enclave without debug mode; --insecure-allow-debug is for development only"},
    ErrorExplanation{E::kPolicyInvalid,
                     "a PCR file, key or hash given on the command line is malformed",
                     "PCRs are 96 hex digits (N=HEX); a PCR file is nitro-cli's pcr.json or "
                     "describe-eif output"},
    ErrorExplanation{E::kAppKeyHashUnset,
                     "the app inside the enclave has not registered its signing key yet",
                     "set the service up first (its setup endpoint), then verify again"},
    ErrorExplanation{E::kPcrSetNoMatch,
                     "the enclave runs none of the allowed images (an old or unreleased build)",
                     "add the running image's measurements to --expect-pcrs, if you trust it"},
    ErrorExplanation{
        E::kTlsBindingMismatch,
        "the TLS certificate is not the enclave's: a proxy or load balancer terminates TLS",
        "connect to the enclave directly, or check who terminates TLS in front of it"},
    ErrorExplanation{
        E::kKmsKeyMismatch, "the service's key comes from another KMS key than --expect-kms-key",
        "check the key ARN (an alias is resolved with DescribeKey); give the one the service uses"},
    ErrorExplanation{E::kEifBadMagic,
                     "the file is not an enclave image (EIF): e.g. a Docker image or a kernel",
                     "build the image with nitro-cli build-enclave or enclavectl eif build"},
    ErrorExplanation{E::kEifCrcMismatch, "the image was damaged or altered after it was built",
                     "copy or build the image again; compare its SHA-256 with the original"},
    ErrorExplanation{E::kEifSignatureInvalid,
                     "the image's signature section was altered, or signed over another PCR0",
                     "sign the image again with enclavectl eif sign"},
    ErrorExplanation{
        E::kEifSigningKey,
        "the signing key or certificate is not EC P-256/P-384 PEM, or they do not match",
        "give the key and the certificate made for it (openssl req -x509 -key KEY)"},
    ErrorExplanation{
        E::kPolicyJson,
        "the key policy is not valid JSON: a trailing comma, a duplicate key, a missing quote",
        "fix the JSON at the line and column the message names"},
    ErrorExplanation{
        E::kPolicyStructure,
        "the key policy breaks the IAM grammar (a misspelt element, a wrong type or operator)",
        "compare the statement named by the index with the AWS key policy grammar"},
    ErrorExplanation{
        E::kPolicyUnsupported,
        "the policy uses NotPrincipal or a condition operator the evaluator does not model",
        "rewrite that statement with Principal and the documented operators, or judge it by hand"},
    ErrorExplanation{
        E::kPolicyPcrValue,
        "a PCR in the policy's conditions is not 48 bytes, all zero (debug) or PCR0 is absent",
        "generate the conditions from the image: enclavectl policy generate --eif IMAGE"},
    ErrorExplanation{
        E::kPolicyNotEnclaveOnly,
        "a principal can decrypt or derive without the attestation condition (e.g. the account "
        "root)",
        "restrict decrypt-class actions to the enclave role with kms:RecipientAttestation:PCR0"},
    ErrorExplanation{E::kPolicyNotLocked,
                     "a principal can still change the key policy, create grants or delete the key",
                     "remove kms:PutKeyPolicy, kms:CreateGrant and kms:ScheduleKeyDeletion "
                     "(enclavectl lock-policy)"},
    ErrorExplanation{E::kLockNotConfirmed, "the irreversible lock was not confirmed",
                     "type the key id when asked, or pass --yes once you are sure"},
    ErrorExplanation{E::kCredentialsNotFound,
                     "no AWS credentials: no environment variables, profile or instance role",
                     "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile, or (local "
                     "stack) eval \"$(enclavectl dev up --background)\""},
    ErrorExplanation{
        E::kCredentialsMalformed,
        "~/.aws/credentials or ~/.aws/config has a line that is not INI (a stray quote or paste)",
        "fix the file at the line the message names (1-based)"},
    ErrorExplanation{
        E::kKmsAccessDenied,
        "the key policy or IAM does not allow this caller: often the attestation condition",
        "lint the key policy (enclavectl policy lint) and compare the PCRs with the image's"},
    ErrorExplanation{
        E::kKmsNotFound, "no such key or alias in this account and region",
        "check the key ARN, the region (AWS_REGION) and the endpoint (AWS_ENDPOINT_URL_KMS)"},
    ErrorExplanation{
        E::kKmsInvalidState, "the key is disabled or pending deletion",
        "enable it (or cancel the deletion) with your AWS tooling, if you mean to use it"},
    ErrorExplanation{E::kKmsMalformedPolicy,
                     "KMS refused the policy: the lockout safety check, or a grammar error",
                     "lint it first (enclavectl policy lint); keep a principal able to manage the "
                     "key, or lock on purpose"},
    ErrorExplanation{E::kKmsAuth,
                     "wrong, expired or other-endpoint credentials (a local KMS key sent to AWS, "
                     "or the reverse)",
                     "check AWS_ENDPOINT_URL_KMS and the credentials for that endpoint"},
    ErrorExplanation{
        E::kKmsLimitExceeded, "a KMS quota was hit: most often the 32 KB key policy size",
        "shorten the policy (fewer statements or PCR sets), or ask AWS for a higher quota"},
    ErrorExplanation{E::kPolicyLintErrors, "the policy to lock has lint errors",
                     "run enclavectl policy lint on it and fix every error before locking"},
    ErrorExplanation{E::kLocalKmsState,
                     "the local stack's state was edited or written by another version",
                     "enclavectl dev down, then remove the state directory and run dev up again "
                     "(keys are lost)"},
    ErrorExplanation{E::kAppNotSetUp, "the key service was started but not set up yet",
                     "call its setup endpoint (see docs/enclave-app.md), then retry"},
    ErrorExplanation{E::kAppAlreadySetUp, "the key service was set up already in this boot",
                     "nothing to do; restart the enclave to set it up with another key"},
    ErrorExplanation{E::kAppKeyPolicyUnsafe,
                     "the KMS key's policy lets someone other than this enclave use the key",
                     "lock the key to the enclave (enclavectl lock-policy) before setup"},
    ErrorExplanation{E::kIoRead, "the file does not exist, is not readable, or is a directory",
                     "check the path and its permissions; - reads standard input"},
    ErrorExplanation{
        E::kIoWrite,
        "the disk is full, the directory is not writable, or standard output was closed",
        "check free space and permissions; --out - writes to standard output"},
    ErrorExplanation{
        E::kNetwork,
        "the service is not running or not reachable: a wrong URL, firewall, TLS or timeout",
        "check the URL and port (curl it); raise --timeout for slow links"},
    ErrorExplanation{
        E::kServiceUnavailable,
        "the remote service is overloaded or failing (5xx or throttling on every retry)",
        "retry later; check the service's health and quotas"},
    ErrorExplanation{
        E::kListenFailed,
        "the port is in use (another server, or a stack already running) or not allowed",
        "stop the other server, or listen elsewhere: --listen 127.0.0.1:0 picks a free port"},
    ErrorExplanation{E::kNsmUnavailable, "no /dev/nsm: not inside a Nitro Enclave",
                     "run inside an enclave, or use the local simulator for development (--dev)"},
    ErrorExplanation{E::kLocalKmsBusy,
                     "a local KMS (kms serve or dev up) already runs on this state directory",
                     "use the running one, or stop it with enclavectl dev down --state DIR"},
    ErrorExplanation{
        E::kLocalKmsNotOurs, "the pid file is stale: its process is another program (a reused pid)",
        "check the process the message names; if the local KMS is gone, delete the stale pid file"},
    ErrorExplanation{
        E::kLocalStackNotFound,
        "--state names a directory where dev up never ran (or another directory)",
        "give the --state DIR that dev up was given (default: .enclavectl where dev up ran)"},
    ErrorExplanation{E::kInternal, "a bug, or memory exhausted",
                     "retry with more memory; if it persists, report it with the command and "
                     "enclavectl --version"},
    ErrorExplanation{E::kWalletEnclaveRefused,
                     "the enclave could not use the KMS key (kms_failed, policy_refused), the "
                     "row does not open (decrypt_failed) or the owner did not authorize",
                     "read the named envelope error; check the key policy and the credentials "
                     "the parent passes"},
    ErrorExplanation{E::kWalletEnclaveResponseInvalid,
                     "the peer is not the wallet enclave, or it answered something else",
                     "check that --enclave names the accounts port of enclave-app"},
    ErrorExplanation{E::kWalletSignatureMismatch,
                     "the enclave signed with another key than the account's (a wrong or "
                     "compromised enclave, or a swapped row)",
                     "do not use the output; check the enclave's attestation and the account row"},
    ErrorExplanation{E::kWalletOwnerRequired,
                     "the account was created with --owner-key, so the parent alone cannot sign",
                     "give --owner-secret-file with the owner's secret key"},
    ErrorExplanation{E::kMonitorListenFailed,
                     "another process (or another monitor) holds the port, or the address is not "
                     "one of this machine's",
                     "pick a free port (--listen 127.0.0.1:9464), or stop the other listener"},
    ErrorExplanation{E::kImageConfigInvalid,
                     "the image config (eif build --config) has another member or a bad value",
                     "write {\"previous_pcr0\": \"genesis\" or 96 lower-case hex, "
                     "\"maintainer_pubkey\": 64 lower-case hex} and nothing else"},
    ErrorExplanation{E::kNitridingRegistrationFailed,
                     "nitriding is not listening on --nitriding-url, or refused POST /enclave/hash",
                     "start enclave-app from nitriding (-appcmd) and give its -intport, e.g. "
                     "http://127.0.0.1:8080"},
    ErrorExplanation{E::kTlsKeyHashZero,
                     "TLS is terminated by something other than nitriding in the enclave (an "
                     "ALB, a proxy), so the document binds no certificate",
                     "connect to nitriding's own TLS port; or, knowingly, "
                     "--insecure-allow-unbound-tls"},
    ErrorExplanation{E::kPreviousPcr0Mismatch,
                     "the image does not name the expected predecessor in its image config",
                     "check --expect-previous-pcr0 against the lineage the image was built with "
                     "(eif build --config)"},
    ErrorExplanation{E::kEnclaveRetired,
                     "the enclave handed its signing key to a newer image (a completed "
                     "migration) and refuses to sign",
                     "verify the image it names in migrated_to_pcr0; enclavectl migration "
                     "status shows the retired one"},
    ErrorExplanation{E::kMigrationStatusInvalid,
                     "the service sent a migration field of the right JSON type but the wrong "
                     "form (a PCR0 that is not 96 hex digits, a zero or negative time)",
                     "treat the service as hostile or broken; the report names the field"},
    ErrorExplanation{E::kMigrationInconsistent,
                     "the migration status does not agree with the attested enclave (another "
                     "source PCR0, a completed migration while it still signs)",
                     "do not trust the service as a signer; check which image holds the key "
                     "with migration status on each version"},
};

constexpr bool IsAscending() {
  for (std::size_t i = 1; i < kExplanations.size(); ++i) {
    if (static_cast<unsigned>(kExplanations[i - 1].code) >=
        static_cast<unsigned>(kExplanations[i].code)) {
      return false;
    }
  }
  return true;
}
static_assert(IsAscending(), "explanations must be unique and in ascending code order");

}  // namespace

std::span<const ErrorExplanation> AllErrorExplanations() noexcept { return kExplanations; }

const ErrorExplanation* ExplanationFor(ErrorCode code) noexcept {
  for (const ErrorExplanation& explanation : kExplanations) {
    if (explanation.code == code) {
      return &explanation;
    }
  }
  return nullptr;
}

const ErrorCodeInfo* FindErrorCode(std::string_view name_or_value) noexcept {
  unsigned value = 0;
  const char* end = name_or_value.data() + name_or_value.size();
  const auto [at, error] = std::from_chars(name_or_value.data(), end, value);
  const bool numeric = error == std::errc() && at == end && !name_or_value.empty();
  for (const ErrorCodeInfo& info : AllErrorCodes()) {
    if (numeric ? static_cast<unsigned>(info.code) == value : info.name == name_or_value) {
      return &info;
    }
  }
  return nullptr;
}

nlohmann::json ErrorCodeJson(const ErrorCodeInfo& info) {
  const ErrorExplanation* explanation = ExplanationFor(info.code);
  return {{"code", info.name},
          {"value", static_cast<unsigned>(info.code)},
          {"exit", ExitCodeFor(info.exit_class)},
          {"class", ExitClassName(info.exit_class)},
          {"meaning", info.meaning},
          {"cause",
           explanation == nullptr ? nlohmann::json(nullptr) : nlohmann::json(explanation->cause)},
          {"remedy",
           explanation == nullptr ? nlohmann::json(nullptr) : nlohmann::json(explanation->remedy)}};
}

std::string ErrorCodeLine(const ErrorCodeInfo& info) {
  std::string value = std::to_string(static_cast<unsigned>(info.code));
  std::string name(info.name);
  std::string exit = std::to_string(ExitCodeFor(info.exit_class));
  value.insert(0, value.size() < 4 ? 4 - value.size() : 0, ' ');
  name.resize(std::max<std::size_t>(name.size(), 24), ' ');
  exit.insert(0, exit.size() < 2 ? 2 - exit.size() : 0, ' ');
  return value + "  " + name + " exit " + exit + "  " + std::string(info.meaning);
}

std::string ExplainErrorCode(const ErrorCodeInfo& info) {
  std::string out =
      std::string(info.name) + " (" + std::to_string(static_cast<unsigned>(info.code)) + ")\n";
  out += "  meaning  " + std::string(info.meaning) + "\n";
  out += "  exit     " + std::to_string(ExitCodeFor(info.exit_class)) + " (" +
         ExitClassName(info.exit_class) + ")\n";
  if (const ErrorExplanation* explanation = ExplanationFor(info.code)) {
    out += "  cause    " + std::string(explanation->cause) + "\n";
    out += "  remedy   " + std::string(explanation->remedy) + "\n";
  }
  return out;
}

nlohmann::json ErrorObjectJson(const Error& error) {
  return {{"code", ErrorCodeName(error.code)},
          {"value", static_cast<unsigned>(error.code)},
          {"message", error.detail},
          {"index", error.index >= 0 ? nlohmann::json(error.index) : nlohmann::json(nullptr)}};
}

nlohmann::json ErrorAnswerJson(std::string_view media_type, const Error& error) {
  return {{"media_type", media_type},
          {"verdict", VerdictName(VerdictForErrorClass(InfoFor(error.code).exit_class))},
          {"error", ErrorObjectJson(error)}};
}

FailureOutput DescribeFailure(std::string_view program, const Error& error, bool json,
                              std::string_view media_type, const UsageProblem* usage) {
  FailureOutput output;
  output.exit_code = ExitCodeFor(InfoFor(error.code).exit_class);
  if (json) {
    nlohmann::json out = ErrorAnswerJson(media_type, error);
    if (usage != nullptr) {
      out["suggestions"] = usage->suggestions;
      out["hint"] = usage->hint;
    }
    // Details may quote file names given on the command line, which need not be UTF-8.
    output.out = out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return output;
  }
  output.err = std::string(program) + ": " + std::string(ErrorCodeName(error.code)) + ": " +
               error.detail + "\n";
  if (usage != nullptr && !usage->hint.empty()) {
    output.err += "hint: " + usage->hint + "\n";
  }
  return output;
}

}  // namespace enclavectl::core
