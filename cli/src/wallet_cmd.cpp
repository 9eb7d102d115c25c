// `enclavectl wallet create|list|address|sign`: Ethereum accounts whose keys live sealed in
// the store and are used only inside the enclave (docs/wallet.md "Parent side"). Each
// subcommand maps its flags to one call of wallet/io/wallet_session.hpp.
#include <memory>
#include <optional>
#include <string>

#include "context.hpp"
#include "enclavectl/aws/environment.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/ethereum/transaction.hpp"
#include "enclavectl/wallet/io/wallet_session.hpp"

namespace enclavectl::cli {
namespace {

namespace w = wallet;
using core::ErrorCode;
using nlohmann::json;

constexpr const char* kAccountMediaType =
    "application/vnd.enclavectl.wallet-account+json;version=1";
constexpr const char* kAccountsMediaType =
    "application/vnd.enclavectl.wallet-accounts+json;version=1";
constexpr const char* kSignatureMediaType =
    "application/vnd.enclavectl.wallet-signature+json;version=1";

struct CommonFlags {
  w::WalletSessionOptions session;
  std::string dialect = "readme";
  std::string enclave;
  std::string enclave_tcp;
  int timeout_s = 30;
  bool json = false;
};

struct AccountFlags {
  CommonFlags common;
  std::string key_id;
  std::string name;
  std::string owner_key_file;     // create
  std::string owner_secret_file;  // sign
  std::string digest;             // sign
  std::optional<std::string> message;
  std::string message_file;
  std::string tx_file;
};

// Fills the session options from the flags; `need_enclave` for create and sign.
core::Status Prepare(CommonFlags& flags, bool need_enclave) {
  const bool dialect_ok =
      flags.dialect == "readme" || flags.dialect == "python" || flags.dialect == "rust-parent";
  if (!dialect_ok) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--table-dialect must be readme, python or rust-parent");
  }
  flags.session.dialect = flags.dialect == "readme"   ? w::Dialect::kReadme
                          : flags.dialect == "python" ? w::Dialect::kPython
                                                      : w::Dialect::kRustParent;
  if (flags.timeout_s < 1 || flags.timeout_s > 600) {
    return core::Fail(ErrorCode::kInvalidArgument, "--timeout must be 1..600 seconds");
  }
  flags.session.timeout_ms = flags.timeout_s * 1000;
  if (!need_enclave) {
    return core::Ok();
  }
  if (flags.enclave.empty() == flags.enclave_tcp.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "give the enclave once: --enclave CID:PORT (vsock) or --enclave-tcp "
                      "HOST:PORT (local stack)");
  }
  auto address = flags.enclave.empty() ? w::ParseTcpAddress(flags.enclave_tcp)
                                       : w::ParseVsockAddress(flags.enclave);
  if (!address) {
    return core::Fail(address.error());
  }
  flags.session.enclave = std::move(*address);
  return core::Ok();
}

// The owner's x-only key (64 hex), as --owner-key takes it.
json OwnerJson(const w::Account& a) {
  if (!a.owner_key) {
    return nullptr;
  }
  auto key = w::ParseStoredOwnerKey(*a.owner_key);
  return key ? json(w::OwnerKeyHex(*key)) : json(*a.owner_key);
}

json AccountJson(const w::Account& a) {
  return {{"name", a.name},
          {"key_id", a.key_id},
          {"address", a.address},
          {"format", std::string(w::EnvelopeFormatName(a.format))},
          {"owner_key", OwnerJson(a)},
          {"created_at", a.created_at ? json(*a.created_at) : json(nullptr)}};
}

int Print(Context& ctx, bool as_json, const char* media_type, json body, const std::string& text) {
  if (as_json) {
    json out = {{"media_type", media_type}, {"verdict", "accepted"}};
    out.update(body);
    ctx.out << out.dump(2) << "\n";
  } else {
    ctx.out << text;
  }
  return 0;
}

core::Result<std::unique_ptr<w::WalletSession>> Open(Context& ctx, CommonFlags& flags,
                                                     bool need_enclave) {
  ENCLAVECTL_RETURN_IF_ERROR(Prepare(flags, need_enclave));
  const aws::ProcessEnvironment env;
  return w::WalletSession::Open(flags.session, env, ctx.clock);
}

int RunCreate(Context& ctx, AccountFlags& flags) {
  const bool as_json = flags.common.json;
  w::CreateAccountRequest request{flags.key_id, flags.name, std::nullopt,
                                  core::FormatRfc3339(ctx.clock.Now())};
  if (!flags.owner_key_file.empty()) {
    auto owner = w::ReadOwnerKeyFile(flags.owner_key_file);
    if (!owner) {
      return ReportError(ctx, owner.error(), as_json, kAccountMediaType);
    }
    request.owner_key = *owner;
  }
  auto session = Open(ctx, flags.common, true);
  if (!session) {
    return ReportError(ctx, session.error(), as_json, kAccountMediaType);
  }
  auto account = (*session)->Service().Create(request);
  if (!account) {
    return ReportError(ctx, account.error(), as_json, kAccountMediaType);
  }
  json body = AccountJson(*account);
  body["store"] = (*session)->StoreDescription();
  return Print(ctx, as_json, kAccountMediaType, body,
               "created " + account->name + " " + account->address + " (key " + account->key_id +
                   ", " + std::string(w::EnvelopeFormatName(account->format)) +
                   (account->owner_key ? ", owner " + OwnerJson(*account).get<std::string>() : "") +
                   ") in " + (*session)->StoreDescription() + "\n");
}

int RunList(Context& ctx, AccountFlags& flags) {
  const bool as_json = flags.common.json;
  auto session = Open(ctx, flags.common, false);
  if (!session) {
    return ReportError(ctx, session.error(), as_json, kAccountsMediaType);
  }
  auto accounts = (*session)->Service().List(
      flags.key_id.empty() ? std::nullopt : std::optional<std::string>(flags.key_id));
  if (!accounts) {
    return ReportError(ctx, accounts.error(), as_json, kAccountsMediaType);
  }
  json rows = json::array();
  std::string text;
  for (const w::Account& a : *accounts) {
    rows.push_back(AccountJson(a));
    text += a.address + "  " + a.name + "  " + a.key_id + (a.owner_key ? "  (owned)" : "") + "\n";
  }
  return Print(ctx, as_json, kAccountsMediaType,
               {{"store", (*session)->StoreDescription()}, {"accounts", rows}}, text);
}

int RunAddress(Context& ctx, AccountFlags& flags) {
  const bool as_json = flags.common.json;
  auto session = Open(ctx, flags.common, false);
  if (!session) {
    return ReportError(ctx, session.error(), as_json, kAccountMediaType);
  }
  auto account = (*session)->Service().Get(flags.key_id, flags.name);
  if (!account) {
    return ReportError(ctx, account.error(), as_json, kAccountMediaType);
  }
  return Print(ctx, as_json, kAccountMediaType, AccountJson(*account), account->address + "\n");
}

std::string Hex0x(core::ByteView bytes) { return "0x" + core::HexEncode(bytes); }

json SignatureJson(const w::SignedDigest& s, std::uint8_t v_base) {
  const ethereum::Signature65 sig = ethereum::EncodeSignature(s.signature, v_base);
  return {{"address", s.account.address}, {"name", s.account.name},
          {"key_id", s.account.key_id},   {"digest", Hex0x(s.digest)},
          {"signature", Hex0x(sig)},      {"r", Hex0x(s.signature.r)},
          {"s", Hex0x(s.signature.s)},    {"y_parity", s.signature.recovery_id}};
}

int RunSign(Context& ctx, AccountFlags& flags) {
  const bool as_json = flags.common.json;
  const int modes = (flags.digest.empty() ? 0 : 1) + (flags.message ? 1 : 0) +
                    (flags.message_file.empty() ? 0 : 1) + (flags.tx_file.empty() ? 0 : 1);
  if (modes != 1) {
    return ReportError(ctx,
                       {ErrorCode::kInvalidArgument,
                        "give exactly one of --digest HEX, --message TEXT, --message-file FILE "
                        "or --tx FILE",
                        -1},
                       as_json, kSignatureMediaType);
  }
  // Inputs first: nothing is asked of the enclave for a malformed request.
  std::optional<ethereum::Hash256> digest;
  std::optional<core::Bytes> message;
  std::optional<ethereum::TransactionRequest> tx;
  if (!flags.digest.empty()) {
    auto bytes = core::HexDecodeLenient(flags.digest);
    if (!bytes || bytes->size() != 32) {
      return ReportError(ctx, {ErrorCode::kInvalidArgument, "--digest must be 32 bytes of hex", -1},
                         as_json, kSignatureMediaType);
    }
    digest.emplace();
    std::copy(bytes->begin(), bytes->end(), digest->begin());
  } else if (flags.message) {
    message = core::ToBytes(core::AsBytes(*flags.message));
  } else if (!flags.message_file.empty()) {
    auto bytes = core::io::ReadFile(flags.message_file, core::limits::kMaxEthPersonalMessageBytes);
    if (!bytes) {
      return ReportError(ctx, bytes.error(), as_json, kSignatureMediaType);
    }
    message = std::move(*bytes);
  } else {
    auto text = core::io::ReadFile(flags.tx_file, core::limits::kMaxEthTxJsonBytes);
    if (!text) {
      return ReportError(ctx, text.error(), as_json, kSignatureMediaType);
    }
    auto parsed = ethereum::ParseTransactionJson(core::AsChars(*text));
    if (!parsed) {
      return ReportError(ctx, parsed.error(), as_json, kSignatureMediaType);
    }
    tx = std::move(*parsed);
  }
  std::optional<core::SecretBytes> owner_secret;
  if (!flags.owner_secret_file.empty()) {
    auto secret = w::ReadOwnerSecretFile(flags.owner_secret_file);
    if (!secret) {
      return ReportError(ctx, secret.error(), as_json, kSignatureMediaType);
    }
    owner_secret = std::move(*secret);
  }
  auto session = Open(ctx, flags.common, true);
  if (!session) {
    return ReportError(ctx, session.error(), as_json, kSignatureMediaType);
  }
  w::WalletService& service = (*session)->Service();
  const w::SignTarget target{flags.key_id, flags.name, owner_secret ? &*owner_secret : nullptr};
  if (tx) {
    auto signed_tx = service.SignTransaction(target, *tx);
    if (!signed_tx) {
      return ReportError(ctx, signed_tx.error(), as_json, kSignatureMediaType);
    }
    const std::string from = ethereum::ChecksumAddress(signed_tx->from);
    const std::string raw = ethereum::PrefixedHex(signed_tx->raw);
    const std::string hash = ethereum::PrefixedHex(signed_tx->hash);
    return Print(ctx, as_json, kSignatureMediaType,
                 {{"mode", "transaction"},
                  {"type", static_cast<int>(signed_tx->tx.type)},
                  {"chain_id", std::to_string(signed_tx->tx.chain_id)},
                  {"from", from},
                  {"name", flags.name},
                  {"key_id", flags.key_id},
                  {"signing_hash", Hex0x(ethereum::SigningHash(signed_tx->tx))},
                  {"raw", raw},
                  {"hash", hash}},
                 "from " + from + "\nhash " + hash + "\nraw  " + raw + "\n");
  }
  auto signed_digest =
      digest ? service.SignDigest(target, *digest) : service.SignPersonalMessage(target, *message);
  if (!signed_digest) {
    return ReportError(ctx, signed_digest.error(), as_json, kSignatureMediaType);
  }
  // personal_sign signatures carry v = 27 + y parity (eth_sign); a raw digest's v is the parity.
  json body = SignatureJson(*signed_digest, digest ? 0 : ethereum::kLegacyVBase);
  body["mode"] = digest ? "digest" : "personal_sign";
  if (message) {
    body["message"] = Hex0x(*message);
  }
  return Print(ctx, as_json, kSignatureMediaType, body,
               "address   " + signed_digest->account.address + "\ndigest    " +
                   body["digest"].get<std::string>() + "\nsignature " +
                   body["signature"].get<std::string>() + "\n");
}

void AddCommon(CLI::App* cmd, CommonFlags& flags, bool enclave) {
  cmd->add_option("--store", flags.session.store,
                  "Where accounts are kept: sqlite:PATH (the local stack's default) or "
                  "dynamodb:TABLE")
      ->default_str(w::kDefaultStoreSpec);
  cmd->add_option("--table-dialect", flags.dialect,
                  "DynamoDB attribute names: readme (KeyId/Name, written by default), python "
                  "(keyId/name) or rust-parent (name)")
      ->default_str("readme");
  cmd->add_option("--region", flags.session.region, "DynamoDB's region (default: the AWS chain)");
  cmd->add_option("--dynamodb-endpoint", flags.session.dynamodb_endpoint,
                  "DynamoDB endpoint URL (default: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, "
                  "AWS)");
  cmd->add_option("--profile", flags.session.profile,
                  "AWS profile for the credentials (default: env, AWS_PROFILE, IMDSv2)");
  if (enclave) {
    cmd->add_option("--enclave", flags.enclave, "The enclave's accounts port: vsock CID:PORT");
    cmd->add_option("--enclave-tcp", flags.enclave_tcp,
                    "The local stack's accounts listener: loopback HOST:PORT (enclave-app --dev "
                    "--accounts-listen)");
    cmd->add_option("--timeout", flags.timeout_s, "Seconds for the enclave's answer")
        ->default_str("30");
  }
  cmd->add_flag("--json", flags.json, "Print one JSON object");
}

constexpr const char* kExitCodes =
    "Exit codes: 0 done, 1 refused (the account exists or is missing, the enclave refused, a "
    "signature does not recover the account), 2 malformed input or answer, 64 usage, 74 I/O "
    "(enclave or store unreachable).\nAWS credentials come from the chain (environment, "
    "profile, IMDSv2), travel to the enclave inside the request and are never printed.\n";

}  // namespace

void RegisterWallet(CLI::App& app, Context& ctx) {
  CLI::App* wallet = app.add_subcommand(
      "wallet",
      "Ethereum accounts kept sealed by the enclave: each key is generated inside it and "
      "encrypted under a KMS data key bound to the enclave's attestation; the parent stores "
      "the sealed account (SQLite or DynamoDB) and asks the enclave to sign (docs/wallet.md).");
  wallet->require_subcommand(1);

  auto create_flags = std::make_shared<AccountFlags>();
  CLI::App* create = wallet->add_subcommand(
      "create",
      "Have the enclave generate an account under a KMS key and store it (never "
      "overwriting an account of the same name).");
  create->add_option("--name", create_flags->name, "Account name (unique per key)")->required();
  create->add_option("--key-id", create_flags->key_id, "KMS key id, ARN or alias")->required();
  create->add_option("--owner-key", create_flags->owner_key_file,
                     "File with the owner's x-only public key (64 hex, BIP-340): the account "
                     "then signs only with the owner's authorization");
  create->add_flag("--create-table", create_flags->common.session.create_table,
                   "DynamoDB: create the table (the dialect's key schema, on demand billing) "
                   "when it does not exist");
  AddCommon(create, create_flags->common, true);
  create->footer(std::string("Examples:\n"
                             "  enclavectl wallet create --name alice --key-id alias/wallet "
                             "--enclave 16:7878\n"
                             "  enclavectl wallet create --name bob --key-id alias/wallet "
                             "--enclave-tcp 127.0.0.1:7878 \\\n"
                             "      --store dynamodb:AccountTable --owner-key bob.pub --json\n") +
                 kExitCodes);
  create->callback([&ctx, create_flags] { ctx.exit_code = RunCreate(ctx, *create_flags); });

  auto list_flags = std::make_shared<AccountFlags>();
  CLI::App* list = wallet->add_subcommand("list", "List the stored accounts (no enclave needed).");
  list->add_option("--key-id", list_flags->key_id, "Only the accounts of this KMS key");
  AddCommon(list, list_flags->common, false);
  list->footer(std::string("Examples:\n  enclavectl wallet list\n"
                           "  enclavectl wallet list --store dynamodb:AccountTable --json\n") +
               kExitCodes);
  list->callback([&ctx, list_flags] { ctx.exit_code = RunList(ctx, *list_flags); });

  auto address_flags = std::make_shared<AccountFlags>();
  CLI::App* address =
      wallet->add_subcommand("address", "Print an account's EIP-55 address (no enclave needed).");
  address->add_option("--name", address_flags->name, "Account name")->required();
  address->add_option("--key-id", address_flags->key_id, "KMS key id the account was made under")
      ->required();
  AddCommon(address, address_flags->common, false);
  address->footer(
      std::string("Example:\n  enclavectl wallet address --name alice --key-id alias/wallet\n") +
      kExitCodes);
  address->callback([&ctx, address_flags] { ctx.exit_code = RunAddress(ctx, *address_flags); });

  auto sign_flags = std::make_shared<AccountFlags>();
  CLI::App* sign = wallet->add_subcommand(
      "sign",
      "Sign with an account: a 32-byte digest, an EIP-191 personal_sign message, or a "
      "transaction (EIP-1559 or legacy EIP-155, JSON fields) into its signed raw bytes and "
      "hash. The enclave signs the digest the parent builds; the signature is checked to "
      "recover the account's address before anything is printed.");
  sign->add_option("--name", sign_flags->name, "Account name")->required();
  sign->add_option("--key-id", sign_flags->key_id, "KMS key id the account was made under")
      ->required();
  sign->add_option("--digest", sign_flags->digest, "Sign these 32 bytes (hex) as they are");
  sign->add_option("--message", sign_flags->message, "personal_sign this text (UTF-8)");
  sign->add_option("--message-file", sign_flags->message_file,
                   "personal_sign the bytes of this file ('-': standard input)");
  sign->add_option("--tx", sign_flags->tx_file,
                   "Sign the transaction in this JSON file ('-': standard input): chain_id, "
                   "nonce, gas_limit, to, value, data, and max_fee_per_gas + "
                   "max_priority_fee_per_gas (type 2) or gas_price (legacy)");
  sign->add_option("--owner-secret-file", sign_flags->owner_secret_file,
                   "File with the owner's secret key (64 hex) for an owned account");
  AddCommon(sign, sign_flags->common, true);
  sign->footer(
      std::string(
          "Examples:\n"
          "  enclavectl wallet sign --name alice --key-id alias/wallet --enclave 16:7878 "
          "--message 'hello'\n"
          "  enclavectl wallet sign --name alice --key-id alias/wallet --enclave 16:7878 \\\n"
          "      --tx tx.json --json   # {\"chain_id\":1,\"nonce\":0,\"gas_limit\":21000,...}\n"
          "  enclavectl wallet sign --name bob --key-id alias/wallet --enclave 16:7878 \\\n"
          "      --owner-secret-file bob.key \\\n"
          "      --digest 0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad\n") +
      kExitCodes);
  sign->callback([&ctx, sign_flags] { ctx.exit_code = RunSign(ctx, *sign_flags); });
}

}  // namespace enclavectl::cli
