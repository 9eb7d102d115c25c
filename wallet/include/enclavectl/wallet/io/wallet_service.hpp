// The parent-side wallet service (adapter; docs/wallet.md "Parent side"): what `enclavectl
// wallet` does, as one call per subcommand. It asks the enclave to generate accounts and to
// sign digests (protocol.hpp over an EnclaveChannel), keeps the accounts in an AccountStore,
// builds the digests the enclave signs (EIP-191 personal_sign, EIP-1559 and EIP-155
// transactions) and assembles the results. Nothing the enclave answers is trusted: a
// generated account must carry the asked-for owner and decode as a valid account, and every
// signature must recover the account's address before it is returned.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/ethereum/signing.hpp"
#include "enclavectl/ethereum/transaction.hpp"
#include "enclavectl/wallet/account.hpp"
#include "enclavectl/wallet/io/account_store.hpp"
#include "enclavectl/wallet/io/enclave_channel.hpp"
#include "enclavectl/wallet/protocol.hpp"

namespace enclavectl::wallet {

struct CreateAccountRequest {
  std::string key_id;                     // the KMS key the data key is made under
  std::string name;                       // 1..255 bytes, unique per key id
  std::optional<OwnerKey> owner_key;      // the account signs only for this owner
  std::optional<std::string> created_at;  // RFC 3339, stored with the account
};

// Who asks for a signature: the account, and the owner's secret key when it is owned.
struct SignTarget {
  std::string key_id;
  std::string name;
  const core::SecretBytes* owner_secret = nullptr;  // 32 bytes; borrowed
};

struct SignedDigest {
  Account account;
  ethereum::Hash256 digest{};
  ethereum::Signature signature;  // checked: recovers account.address over digest
};

class WalletService {
 public:
  // Borrows `store` and `channel`; `credential` is sent with every request, never logged.
  WalletService(AccountStore& store, EnclaveChannel& channel, protocol::Credential credential)
      : store_(store), channel_(channel), credential_(std::move(credential)) {}

  // generateAccount, then stores the account (create-once). A name already in the store is
  // refused before the enclave is asked. Fails with kWalletAccountExists, the channel's codes,
  // kWalletEnclaveRefused (an error envelope; the detail names it),
  // kWalletEnclaveResponseInvalid (another response, an owner other than the one asked for, an
  // account that does not validate), or the store's codes.
  [[nodiscard]] core::Result<Account> Create(const CreateAccountRequest& request);

  // The account from the store (kWalletAccountNotFound...).
  [[nodiscard]] core::Result<Account> Get(const std::string& key_id, const std::string& name);
  // Every account (of key_id when given), at most max_accounts.
  [[nodiscard]] core::Result<std::vector<Account>> List(const std::optional<std::string>& key_id,
                                                        std::size_t max_accounts = 100000);

  // Has the enclave sign a 32-byte digest with the account's key. An owned account needs
  // target.owner_secret (kWalletOwnerRequired); its x-only key must be the account's owner
  // (kAccountOwnerKeyInvalid otherwise). Fails as Create for the enclave, and with
  // kWalletSignatureMismatch when the answer's address or the recovered signer is not the
  // account's.
  [[nodiscard]] core::Result<SignedDigest> SignDigest(const SignTarget& target,
                                                      const ethereum::Hash256& digest);
  // EIP-191 personal_sign of `message` (kEthMessageTooLarge, then SignDigest's codes).
  [[nodiscard]] core::Result<SignedDigest> SignPersonalMessage(const SignTarget& target,
                                                               core::ByteView message);
  // Signs a transaction: its signing hash through SignDigest, then the signed raw bytes. The
  // request's `from`, when given, must be the account's address (kEthTxFromMismatch, before
  // the enclave is asked); the assembled transaction's sender is checked again.
  [[nodiscard]] core::Result<ethereum::SignedTransaction> SignTransaction(
      const SignTarget& target, const ethereum::TransactionRequest& request);

 private:
  core::Result<protocol::Response> Call(const protocol::Request& request);

  AccountStore& store_;
  EnclaveChannel& channel_;
  protocol::Credential credential_;
};

// The owner key as an account row keeps it: 64 hex of the x-only key, and back ("02" + 64 hex,
// the SEC1 compressed form of the same even-y point, is also read). Fails with
// kAccountOwnerKeyInvalid.
std::string StoredOwnerKey(const OwnerKey& key);
[[nodiscard]] core::Result<OwnerKey> ParseStoredOwnerKey(std::string_view hex);

// Reads an owner secret key file (untrusted): 64 hex digits (whitespace and 0x allowed) or 32
// raw bytes. Fails with kIoRead, kEthSecretKeyInvalid.
[[nodiscard]] core::Result<core::SecretBytes> ReadOwnerSecretFile(const std::string& path);
// Reads an owner public key file (untrusted): 64 hex digits of an x-only key (BIP-340), or 66
// hex digits of a compressed SEC1 key (its x is taken). Fails with kIoRead,
// kAccountOwnerKeyInvalid.
[[nodiscard]] core::Result<OwnerKey> ReadOwnerKeyFile(const std::string& path);

}  // namespace enclavectl::wallet
