// The local KMS's insides (not a public header): the answer types, the state behind one
// mutex (keys, aliases, access keys, the parsed-policy cache), and the per-operation
// handlers that service.cpp dispatches to from its table.
//
// Locking: a handler runs without the lock. It decodes its request and checks a Recipient
// attestation document (pure, CPU-heavy: no state) first, then takes a Session for every read
// or write of the state, and encrypts to the recipient after releasing it. State is reachable
// only through a Session, so no state access can happen without the lock.
//
// Design note: docs/design/0005-local-kms.md.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "enclavectl/localkms/service.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::localkms::internal {

// A KMS error answer (kms.md 1.1). `type` and `message` go on the wire unchanged.
struct Fault {
  std::string type;
  std::string message;
  unsigned status = 400;
  bool capital_message = false;  // "Message": AccessDeniedException
};

// A 400 answer with "message".
Fault MakeFault(std::string type, std::string message);
// A 500 KMSInternalException.
Fault InternalFault(std::string message);
// A request decoder's error as KMS's front end answers it.
Fault FromDecodeError(const core::Error& error);
// "DryRunOperationException": the request would have succeeded.
Fault DryRun();
// "<arn> is pending deletion." (KMSInvalidStateException)
Fault PendingDeletion(std::string_view arn);

double EpochSeconds(std::int64_t ms);

// The value of header `name` (lower case), or "" (auth.cpp).
std::string Header(const IncomingRequest& request, std::string_view name);

// One operation's answer: a body or a fault.
struct Answer {
  std::optional<Fault> fault;
  std::string body;
};

Answer Ok(std::string body);
Answer Ok(const core::SecretBytes& body);
Answer Error(Fault fault);

// One request as a handler sees it.
struct Call {
  aws::KmsOperation operation;
  std::string_view body;         // untrusted JSON
  const std::string& principal;  // authenticated caller
  std::string& note;             // for the log line (never a secret)
};

// What a request's Recipient turned out to be (kms.md 5.1).
struct RecipientCheck {
  bool present = false;
  std::optional<verifier::VerifiedDocument> verified;  // set when a root accepted it
  core::EvpPkeyPtr key;                                // the document's RSA public key
  core::Bytes spki;
  std::string note;  // why the document is not trusted, for the log
};

// The secret for the caller: left in clear without a Recipient, else encrypted to the
// recipient's key into `out_for_recipient` and wiped. Pure; call it without the lock.
[[nodiscard]] std::optional<Fault> Deliver(const RecipientCheck& recipient,
                                           core::SecretBytes& secret,
                                           core::Bytes& out_for_recipient);

// The mutable state of the service. Every member function expects the service lock held;
// only a Session hands out a State.
class State {
 public:
  State(ServiceOptions options, KeyStore store, StatePersister& persister,
        const core::io::Clock& clock);

  const ServiceConfig& Config() const { return options_.config; }
  std::string ArnOf(std::string_view key_id) const { return KeyArn(Config(), key_id); }
  std::string AliasArn(std::string_view alias) const;
  std::int64_t NowMs() const { return clock_.Now().value; }
  KeyStore& Store() { return store_; }

  // ---- authentication (sigv4.md section 8; auth.cpp) ----
  // The principal of a correctly signed request, or the fault AWS answers.
  std::variant<std::string, Fault> Authenticate(const IncomingRequest& request);

  // ---- keys (keys.cpp) ----
  // The key a KeyId member names (kms.md 2): key id, key ARN, alias name or alias ARN.
  KeyRecord* Resolve(std::string_view text, Fault& fault, bool allow_alias = true);
  // Resolve, then Authorize `call.operation` on the key (`recipient` and `context` may be
  // null). Null with `fault` set when either fails.
  KeyRecord* ResolveAuthorized(std::string_view text, const Call& call,
                               const RecipientCheck* recipient,
                               const aws::EncryptionContext* context, Fault& fault,
                               bool allow_alias = true);
  // A key whose deletion window has passed is gone (deleted lazily, never resurrected).
  bool IsDeleted(const KeyRecord& key) const;
  // Disabled / pending deletion keys refuse cryptographic operations.
  std::optional<Fault> CheckUsable(const KeyRecord& key) const;
  std::optional<Fault> CheckUsage(const KeyRecord& key, KeyUsage usage,
                                  std::string_view operation) const;
  aws::KeyMetadata Metadata(const KeyRecord& key) const;

  // Saves the store after a change; on failure runs `undo` and answers KMSInternalException.
  template <typename Undo>
  std::optional<Fault> Persist(Undo undo) {
    if (auto saved = persister_.Save(store_); !saved) {
      undo();
      return InternalFault("The local KMS could not persist the change; nothing was changed.");
    }
    return std::nullopt;
  }

  // ---- authorization (kms.md 8.2; authorize.cpp) ----
  std::optional<Fault> Authorize(const Call& call, const KeyRecord& key,
                                 const RecipientCheck* recipient,
                                 const aws::EncryptionContext* context);
  // The lockout safety check (kms.md 8.3): the caller must keep kms:PutKeyPolicy.
  std::optional<Fault> CheckLockout(const kmspolicy::Policy& policy, const std::string& principal,
                                    std::string_view key_id) const;
  // The parsed policy of a key whose new `key.policy` has been saved (CreateKey,
  // PutKeyPolicy): it replaces the cached one, so the next request does not parse it again.
  void RememberPolicy(const KeyRecord& key, kmspolicy::Policy policy);

 private:
  struct CachedPolicy {
    std::string text;  // the policy text it was parsed from
    core::Result<kmspolicy::Policy> policy;
  };
  // The key's parsed policy: from the cache when it was parsed from exactly `key.policy`,
  // else parsed now and cached. A changed text can never be answered by an old parse.
  const core::Result<kmspolicy::Policy>& PolicyOf(const KeyRecord& key);

  KeyRecord* ResolveAlias(std::string_view alias, Fault& fault);
  const AccessKey* FindAccessKey(std::string_view id);

  ServiceOptions options_;
  KeyStore store_;
  StatePersister& persister_;
  const core::io::Clock& clock_;
  std::map<std::string, CachedPolicy, std::less<>> policies_;  // by key id
};

// The state with the service lock held, for one request's state part.
class Session {
 public:
  Session(std::mutex& mutex, State& state) : lock_(mutex), state_(state) {}
  State* operator->() const { return &state_; }
  State& operator*() const { return state_; }

 private:
  std::unique_lock<std::mutex> lock_;
  State& state_;
};

// What handlers share: the lock-free checks and the locked state.
class Service {
 public:
  Service(ServiceOptions options, KeyStore store, StatePersister& persister,
          const core::io::Clock& clock);

  [[nodiscard]] Session Lock() { return {mutex_, state_}; }

  // Checks a Recipient before any key is touched (recipient_check.cpp): a document that
  // cannot be decoded, or carries no RSA public key, is a ValidationException; a document no
  // configured root accepts is used without attestation keys (the policy then decides).
  // Reads only the immutable attestation options and the clock: call it without the lock.
  [[nodiscard]] std::optional<Fault> CheckRecipient(const std::optional<aws::RecipientInfo>& info,
                                                    RecipientCheck& out) const;

 private:
  const AttestationOptions attestation_;  // moved out of the options; State has none
  const core::io::Clock& clock_;
  std::mutex mutex_;
  State state_;
};

// Runs `then(State&, KeyRecord&)` with the service lock held, on the key `key_text` names
// once the caller may run `call.operation` on it (no Recipient, no encryption context);
// else the fault of Resolve or Authorize.
template <typename Then>
Answer OnAuthorizedKey(Service& service, const Call& call, std::string_view key_text, Then then) {
  Session kms = service.Lock();
  Fault fault;
  KeyRecord* key = kms->ResolveAuthorized(key_text, call, nullptr, nullptr, fault);
  if (key == nullptr) {
    return Error(std::move(fault));
  }
  return then(*kms, *key);
}

// The algorithms GetPublicKey lists for `key` (keys.cpp).
void PublicKeyAlgorithms(const KeyRecord& key, aws::GetPublicKeyResult& out);

// ---- the handlers, one per operation (kms.md section 4) ----
using Handler = Answer (*)(Service& service, const Call& call);

// ops_keys.cpp
Answer CreateKey(Service& service, const Call& call);
Answer DescribeKey(Service& service, const Call& call);
Answer GetPublicKey(Service& service, const Call& call);
Answer ScheduleKeyDeletion(Service& service, const Call& call);
// CancelKeyDeletion, EnableKey, DisableKey: a state change on one key.
Answer ChangeKeyState(Service& service, const Call& call);
Answer ListKeys(Service& service, const Call& call);
// ops_policy.cpp
Answer GetKeyPolicy(Service& service, const Call& call);
Answer PutKeyPolicy(Service& service, const Call& call);
// A policy text as PutKeyPolicy/CreateKey accept it: size quota, then the IAM grammar.
std::variant<kmspolicy::Policy, Fault> CheckPolicyText(const std::string& text);
// ops_crypto.cpp
Answer Encrypt(Service& service, const Call& call);
Answer Decrypt(Service& service, const Call& call);
Answer GenerateDataKey(Service& service, const Call& call);
Answer GenerateRandom(Service& service, const Call& call);
Answer DeriveSharedSecret(Service& service, const Call& call);
// ops_aliases.cpp
Answer CreateAlias(Service& service, const Call& call);
Answer DeleteAlias(Service& service, const Call& call);
Answer ListAliases(Service& service, const Call& call);

}  // namespace enclavectl::localkms::internal
