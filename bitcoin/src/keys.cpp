#include "enclavectl/bitcoin/keys.hpp"

#include <openssl/crypto.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <algorithm>
#include <new>

#include "enclavectl/core/handles.hpp"

namespace enclavectl::bitcoin {
namespace {

using core::ErrorCode;
using core::Fail;

// One context for verification and public-key arithmetic, created once and never changed
// (libsecp256k1 contexts are safe to share read-only between threads).
const secp256k1_context* VerifyContext() {
  static const core::Secp256k1ContextPtr ctx(secp256k1_context_create(SECP256K1_CONTEXT_NONE));
  if (!ctx) {
    throw std::bad_alloc();
  }
  return ctx.get();
}

// A signing context and the keypair of one secret key; the keypair is wiped on scope exit.
class SigningKeypair {
 public:
  SigningKeypair() = default;
  ~SigningKeypair() { OPENSSL_cleanse(&keypair_, sizeof(keypair_)); }
  SigningKeypair(const SigningKeypair&) = delete;
  SigningKeypair& operator=(const SigningKeypair&) = delete;

  // Creates the context and the keypair of `secret` (untrusted). Fails with kBtcKeyInvalid
  // for a secret that is not 32 bytes, is zero or is not below the group order; kInternal
  // when no context can be created.
  core::Status Create(ByteView secret) {
    if (secret.size() != 32) {
      return Fail(ErrorCode::kBtcKeyInvalid, "a secret key has 32 bytes");
    }
    ctx_ = core::MakeSecp256k1Context();
    if (!ctx_) {
      return Fail(ErrorCode::kInternal, "secp256k1: cannot create a signing context");
    }
    if (secp256k1_keypair_create(ctx_.get(), &keypair_, secret.data()) != 1) {
      return Fail(ErrorCode::kBtcKeyInvalid, "secret key is zero or not below the group order");
    }
    return core::Ok();
  }
  // Valid after a successful Create.
  const secp256k1_context* Context() const noexcept { return ctx_.get(); }
  secp256k1_keypair* Keypair() noexcept { return &keypair_; }

 private:
  core::Secp256k1ContextPtr ctx_;
  secp256k1_keypair keypair_{};
};

}  // namespace

bool VerifySchnorr(ByteView sig, ByteView msg, ByteView xonly_key) {
  if (sig.size() != 64 || xonly_key.size() != 32) {
    return false;
  }
  const secp256k1_context* ctx = VerifyContext();
  secp256k1_xonly_pubkey pubkey;
  if (secp256k1_xonly_pubkey_parse(ctx, &pubkey, xonly_key.data()) != 1) {
    return false;
  }
  return secp256k1_schnorrsig_verify(ctx, sig.data(), msg.data(), msg.size(), &pubkey) == 1;
}

core::Result<SchnorrSignature> SignSchnorr(ByteView secret, ByteView msg, ByteView aux_rand) {
  if (secret.size() != 32 || aux_rand.size() != 32) {
    return Fail(ErrorCode::kBtcKeyInvalid, "BIP-340 signing needs a 32-byte secret and aux_rand");
  }
  SigningKeypair signer;
  ENCLAVECTL_RETURN_IF_ERROR(signer.Create(secret));
  const secp256k1_context* ctx = signer.Context();
  secp256k1_schnorrsig_extraparams params = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
  // libsecp256k1 reads ndata as the 32 bytes of aux_rand and never writes it.
  params.ndata = const_cast<std::uint8_t*>(aux_rand.data());  // NOLINT
  SchnorrSignature sig{};
  if (secp256k1_schnorrsig_sign_custom(ctx, sig.data(), msg.data(), msg.size(), signer.Keypair(),
                                       &params) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1: Schnorr signing failed");
  }
  secp256k1_xonly_pubkey pubkey;
  if (secp256k1_keypair_xonly_pub(ctx, &pubkey, nullptr, signer.Keypair()) != 1 ||
      secp256k1_schnorrsig_verify(ctx, sig.data(), msg.data(), msg.size(), &pubkey) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1: a fresh Schnorr signature does not verify");
  }
  return sig;
}

core::Result<XOnlyKey> XOnlyFromSecret(ByteView secret) {
  SigningKeypair signer;
  ENCLAVECTL_RETURN_IF_ERROR(signer.Create(secret));
  secp256k1_xonly_pubkey pubkey;
  XOnlyKey out{};
  if (secp256k1_keypair_xonly_pub(signer.Context(), &pubkey, nullptr, signer.Keypair()) != 1 ||
      secp256k1_xonly_pubkey_serialize(signer.Context(), out.data(), &pubkey) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1: cannot serialise an x-only key");
  }
  return out;
}

bool IsValidXOnly(ByteView xonly_key) {
  secp256k1_xonly_pubkey pubkey;
  return xonly_key.size() == 32 &&
         secp256k1_xonly_pubkey_parse(VerifyContext(), &pubkey, xonly_key.data()) == 1;
}

core::Result<TweakedKey> TweakXOnly(ByteView internal_key, const Hash256& tweak) {
  const secp256k1_context* ctx = VerifyContext();
  secp256k1_xonly_pubkey internal;
  if (internal_key.size() != 32 ||
      secp256k1_xonly_pubkey_parse(ctx, &internal, internal_key.data()) != 1) {
    return Fail(ErrorCode::kBtcKeyInvalid, "internal key is not an x-only key on the curve");
  }
  secp256k1_pubkey tweaked;
  if (secp256k1_xonly_pubkey_tweak_add(ctx, &tweaked, &internal, tweak.data()) != 1) {
    return Fail(ErrorCode::kBtcKeyInvalid, "tweak is not below the group order");
  }
  secp256k1_xonly_pubkey xonly;
  int parity = 0;
  TweakedKey out;
  if (secp256k1_xonly_pubkey_from_pubkey(ctx, &xonly, &parity, &tweaked) != 1 ||
      secp256k1_xonly_pubkey_serialize(ctx, out.key.data(), &xonly) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1: cannot serialise a tweaked key");
  }
  out.odd_y = parity == 1;
  return out;
}

bool CheckTapTweak(ByteView internal_key, ByteView output_key, bool odd_y, const Hash256& tweak) {
  const secp256k1_context* ctx = VerifyContext();
  secp256k1_xonly_pubkey internal;
  if (internal_key.size() != 32 || output_key.size() != 32 ||
      secp256k1_xonly_pubkey_parse(ctx, &internal, internal_key.data()) != 1) {
    return false;
  }
  return secp256k1_xonly_pubkey_tweak_add_check(ctx, output_key.data(), odd_y ? 1 : 0, &internal,
                                                tweak.data()) == 1;
}

core::Result<core::SecretBytes> TweakSecret(ByteView secret, const Hash256& tweak) {
  SigningKeypair signer;
  ENCLAVECTL_RETURN_IF_ERROR(signer.Create(secret));
  // keypair_xonly_tweak_add negates the secret for an odd-y point before adding the tweak.
  if (secp256k1_keypair_xonly_tweak_add(signer.Context(), signer.Keypair(), tweak.data()) != 1) {
    return Fail(ErrorCode::kBtcKeyInvalid, "tweaked secret key is zero or the tweak overflows");
  }
  core::SecretBytes out(32);
  if (secp256k1_keypair_sec(signer.Context(), out.MutableData(), signer.Keypair()) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1: cannot read a tweaked secret");
  }
  return out;
}

bool ParseDerLax(ByteView der_sig, std::array<std::uint8_t, 64>& out_compact) {
  // Lax DER as Bitcoin Core accepts it for consensus before BIP-66: the sequence length is
  // ignored, integer lengths may use long form, integers may carry leading zeros, and any
  // bytes after S are ignored. Reads are bounded by the input size throughout.
  const std::size_t len = der_sig.size();
  std::size_t pos = 0;
  auto read_integer = [&](std::size_t& out_pos, std::size_t& out_len) -> bool {
    if (pos == len || der_sig[pos] != 0x02) {
      return false;
    }
    ++pos;
    if (pos == len) {
      return false;
    }
    std::size_t lenbyte = der_sig[pos++];
    std::size_t value_len = 0;
    if ((lenbyte & 0x80U) != 0) {
      lenbyte -= 0x80;
      if (lenbyte > len - pos) {
        return false;
      }
      while (lenbyte > 0 && der_sig[pos] == 0) {
        ++pos;
        --lenbyte;
      }
      if (lenbyte >= sizeof(std::size_t)) {
        return false;
      }
      while (lenbyte > 0) {
        value_len = (value_len << 8U) + der_sig[pos];
        ++pos;
        --lenbyte;
      }
    } else {
      value_len = lenbyte;
    }
    if (value_len > len - pos) {
      return false;
    }
    out_pos = pos;
    out_len = value_len;
    pos += value_len;
    return true;
  };

  // Sequence tag and length (the length's value is not used).
  if (pos == len || der_sig[pos] != 0x30) {
    return false;
  }
  ++pos;
  if (pos == len) {
    return false;
  }
  std::size_t lenbyte = der_sig[pos++];
  if ((lenbyte & 0x80U) != 0) {
    lenbyte -= 0x80;
    if (lenbyte > len - pos) {
      return false;
    }
    pos += lenbyte;
  }
  std::size_t r_pos = 0;
  std::size_t r_len = 0;
  std::size_t s_pos = 0;
  std::size_t s_len = 0;
  if (!read_integer(r_pos, r_len) || !read_integer(s_pos, s_len)) {
    return false;
  }
  std::array<std::uint8_t, 64> compact{};
  bool overflow = false;
  auto place = [&](std::size_t value_pos, std::size_t value_len, std::size_t offset) {
    while (value_len > 0 && der_sig[value_pos] == 0) {
      ++value_pos;
      --value_len;
    }
    if (value_len > 32) {
      overflow = true;
      return;
    }
    std::copy_n(der_sig.begin() + static_cast<std::ptrdiff_t>(value_pos), value_len,
                compact.begin() + static_cast<std::ptrdiff_t>(offset + 32 - value_len));
  };
  place(r_pos, r_len, 0);
  place(s_pos, s_len, 32);
  if (!overflow) {
    secp256k1_ecdsa_signature sig;
    overflow = secp256k1_ecdsa_signature_parse_compact(VerifyContext(), &sig, compact.data()) != 1;
  }
  if (overflow) {
    compact.fill(0);
  }
  out_compact = compact;
  return true;
}

bool VerifyEcdsaLax(ByteView der_sig, ByteView pubkey, const Hash256& msg) {
  if (pubkey.empty()) {
    return false;
  }
  const std::uint8_t header = pubkey[0];
  const std::size_t want = (header == 2 || header == 3)                  ? 33
                           : (header == 4 || header == 6 || header == 7) ? 65
                                                                         : 0;
  if (want == 0 || pubkey.size() != want) {
    return false;
  }
  const secp256k1_context* ctx = VerifyContext();
  secp256k1_pubkey parsed;
  if (secp256k1_ec_pubkey_parse(ctx, &parsed, pubkey.data(), pubkey.size()) != 1) {
    return false;
  }
  std::array<std::uint8_t, 64> compact{};
  if (!ParseDerLax(der_sig, compact)) {
    return false;
  }
  secp256k1_ecdsa_signature sig;
  if (secp256k1_ecdsa_signature_parse_compact(ctx, &sig, compact.data()) != 1) {
    return false;
  }
  // libsecp256k1 accepts only low-S signatures; consensus accepts both, so normalise.
  secp256k1_ecdsa_signature_normalize(ctx, &sig, &sig);
  return secp256k1_ecdsa_verify(ctx, &sig, msg.data(), &parsed) == 1;
}

bool IsLowS(ByteView der_sig) {
  std::array<std::uint8_t, 64> compact{};
  if (!ParseDerLax(der_sig, compact)) {
    return false;
  }
  const secp256k1_context* ctx = VerifyContext();
  secp256k1_ecdsa_signature sig;
  if (secp256k1_ecdsa_signature_parse_compact(ctx, &sig, compact.data()) != 1) {
    return false;
  }
  return secp256k1_ecdsa_signature_normalize(ctx, nullptr, &sig) == 0;
}

}  // namespace enclavectl::bitcoin
