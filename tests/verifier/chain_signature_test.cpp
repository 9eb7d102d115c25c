// Certificate signatures are verified on Nettle's P-384 (chain.cpp) with OpenSSL's checks:
// every re-encoding of a genuine certificate's signature that OpenSSL's X509_verify refuses
// is refused by the chain, and every one it accepts is accepted. The mutations: unused bits
// in the BIT STRING, non-minimal INTEGERs and lengths, trailing bytes, r or s of zero, of n,
// negative, the other valid s (n - s), and a changed byte anywhere in the signature.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/verifier/chain.hpp"
#include "test_paths.hpp"

namespace enclavectl::verifier {
namespace {

constexpr std::int64_t kGenuineTime = 1665651482;

// The secp384r1 group order n, big-endian.
constexpr const char* kOrderHex =
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc529"
    "73";

// A DER element: tag, header length, contents.
struct Element {
  std::uint8_t tag;
  std::size_t header;
  std::size_t length;
};

Element ReadElement(const core::Bytes& der, std::size_t at) {
  const std::uint8_t tag = der.at(at);
  std::size_t length = der.at(at + 1);
  std::size_t header = 2;
  if ((length & 0x80U) != 0) {
    const std::size_t count = length & 0x7FU;
    length = 0;
    for (std::size_t i = 0; i < count; ++i) {
      length = (length << 8U) | der.at(at + 2 + i);
    }
    header += count;
  }
  return {tag, header, length};
}

core::Bytes Encode(std::uint8_t tag, const core::Bytes& contents) {
  core::Bytes out{tag};
  const std::size_t n = contents.size();
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n < 0x100) {
    out.insert(out.end(), {0x81, static_cast<std::uint8_t>(n)});
  } else {
    out.insert(out.end(), {0x82, static_cast<std::uint8_t>(n >> 8U), static_cast<std::uint8_t>(n)});
  }
  out.insert(out.end(), contents.begin(), contents.end());
  return out;
}

// A certificate split into its TBS and algorithm elements and the signature BIT STRING's
// contents (unused-bits byte, then the ECDSA-Sig-Value).
struct SplitCertificate {
  core::Bytes tbs_and_algorithm;
  core::Bytes bit_string;
};

SplitCertificate Split(const core::Bytes& der) {
  const Element outer = ReadElement(der, 0);
  std::size_t at = outer.header;
  const Element tbs = ReadElement(der, at);
  const Element algorithm = ReadElement(der, at + tbs.header + tbs.length);
  const std::size_t signature_at =
      at + tbs.header + tbs.length + algorithm.header + algorithm.length;
  const Element signature = ReadElement(der, signature_at);
  SplitCertificate split;
  split.tbs_and_algorithm.assign(der.begin() + static_cast<std::ptrdiff_t>(at),
                                 der.begin() + static_cast<std::ptrdiff_t>(signature_at));
  const auto contents = der.begin() + static_cast<std::ptrdiff_t>(signature_at + signature.header);
  split.bit_string.assign(contents, contents + static_cast<std::ptrdiff_t>(signature.length));
  return split;
}

core::Bytes Join(const SplitCertificate& split) {
  core::Bytes body = split.tbs_and_algorithm;
  const core::Bytes bit_string = Encode(0x03, split.bit_string);
  body.insert(body.end(), bit_string.begin(), bit_string.end());
  return Encode(0x30, body);
}

core::Bytes Integer(const core::Bytes& magnitude_with_sign) {
  return Encode(0x02, magnitude_with_sign);
}

// DER INTEGER contents of a non-negative big-endian number (minimal, with a 00 when the top
// bit is set).
core::Bytes Minimal(core::Bytes value) {
  while (value.size() > 1 && value[0] == 0 && (value[1] & 0x80U) == 0) {
    value.erase(value.begin());
  }
  if (!value.empty() && (value[0] & 0x80U) != 0) {
    value.insert(value.begin(), 0x00);
  }
  return value;
}

core::Bytes EcdsaSig(const core::Bytes& r_contents, const core::Bytes& s_contents) {
  core::Bytes seq = Integer(r_contents);
  const core::Bytes s = Integer(s_contents);
  seq.insert(seq.end(), s.begin(), s.end());
  return Encode(0x30, seq);
}

core::Bytes OrderMinus(const core::Bytes& s_raw) {
  BIGNUM* n = nullptr;
  BN_hex2bn(&n, kOrderHex);
  BIGNUM* s = BN_bin2bn(s_raw.data(), static_cast<int>(s_raw.size()), nullptr);
  BN_sub(n, n, s);
  core::Bytes out(48);
  BN_bn2binpad(n, out.data(), 48);
  BN_free(n);
  BN_free(s);
  return out;
}

class ChainSignatureShape : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = DecodeAttestation(testing::ReadBytes(testing::TestdataDir() / "attestation" /
                                                       "evervault_2022-10-13_valid.cbor"));
    ASSERT_TRUE(parsed);
    doc_ = parsed->doc;
    auto root = TrustAnchor::AwsNitroRoot();
    ASSERT_TRUE(root);
    root_.emplace(std::move(*root));
    // The mutated certificate is the first intermediate below the root, its issuer the root.
    ASSERT_GE(doc_.cabundle.size(), 2U);
    const core::Bytes& issuer_der = doc_.cabundle[0];
    const unsigned char* p = issuer_der.data();
    issuer_.reset(d2i_X509(nullptr, &p, static_cast<long>(issuer_der.size())));  // NOLINT
    ASSERT_TRUE(issuer_);
    original_ = doc_.cabundle[1];
    const SplitCertificate split = Split(original_);
    ASSERT_EQ(split.bit_string.at(0), 0x00);
    auto raw =
        core::DerSignatureToRaw(core::ByteView(split.bit_string).subspan(1), core::Curve::kP384);
    ASSERT_TRUE(raw);
    r_.assign(raw->begin(), raw->begin() + 48);
    s_.assign(raw->begin() + 48, raw->end());
  }

  // What OpenSSL's own X509_verify says of the certificate under its issuer's key.
  bool OpensslAccepts(const core::Bytes& der) const {
    const unsigned char* p = der.data();
    core::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
    if (!cert || p != der.data() + der.size()) {
      return false;
    }
    return X509_verify(cert.get(), X509_get0_pubkey(issuer_.get())) == 1;
  }

  // Whether the chain, with the certificate replaced, verifies.
  bool ChainAccepts(const core::Bytes& der) const {
    AttestationDocument doc = doc_;
    doc.cabundle[1] = der;
    auto certs = ParseChainCertificates(doc, *root_, nullptr);
    if (!certs) {
      return false;
    }
    return VerifyChain(doc, *certs, *root_, kGenuineTime, nullptr).has_value();
  }

  core::Bytes WithSignature(const core::Bytes& bit_string) const {
    SplitCertificate split = Split(original_);
    split.bit_string = bit_string;
    return Join(split);
  }

  core::Bytes WithEcdsaSig(const core::Bytes& ecdsa_sig) const {
    core::Bytes bits{0x00};
    bits.insert(bits.end(), ecdsa_sig.begin(), ecdsa_sig.end());
    return WithSignature(bits);
  }

  AttestationDocument doc_;
  std::optional<TrustAnchor> root_;
  core::X509Ptr issuer_;
  core::Bytes original_;
  core::Bytes r_;
  core::Bytes s_;
};

TEST_F(ChainSignatureShape, TheRebuiltGenuineCertificateIsByteIdenticalAndAccepted) {
  EXPECT_EQ(Join(Split(original_)), original_);
  EXPECT_EQ(WithEcdsaSig(EcdsaSig(Minimal(r_), Minimal(s_))), original_);
  EXPECT_TRUE(OpensslAccepts(original_));
  EXPECT_TRUE(ChainAccepts(original_));
}

TEST_F(ChainSignatureShape, EveryMutationGetsOpensslsAnswer) {
  struct Case {
    std::string name;
    core::Bytes der;
    bool expect_accepted;
  };
  const core::Bytes n = core::HexDecode(kOrderHex).value();
  core::Bytes r_padded = Minimal(r_);
  r_padded.insert(r_padded.begin(), 0x00);  // non-minimal INTEGER
  core::Bytes r_negative = r_;              // top bit set without the 00: negative
  r_negative[0] |= 0x80;
  const core::Bytes good_sig = EcdsaSig(Minimal(r_), Minimal(s_));
  core::Bytes trailing = good_sig;
  trailing.push_back(0x00);
  core::Bytes long_length = good_sig;  // 30 LL -> 30 81 LL
  long_length.insert(long_length.begin() + 1, 0x81);
  core::Bytes unused_bits{0x01};
  unused_bits.insert(unused_bits.end(), good_sig.begin(), good_sig.end());

  std::vector<Case> cases = {
      {"high s (n - s), valid ECDSA", WithEcdsaSig(EcdsaSig(Minimal(r_), Minimal(OrderMinus(s_)))),
       true},
      {"unused bits in the BIT STRING", WithSignature(unused_bits), false},
      {"non-minimal r", WithEcdsaSig(EcdsaSig(r_padded, Minimal(s_))), false},
      {"negative r", WithEcdsaSig(EcdsaSig(r_negative, Minimal(s_))), false},
      {"trailing byte after the ECDSA-Sig-Value", WithEcdsaSig(trailing), false},
      {"long-form length", WithEcdsaSig(long_length), false},
      {"r = 0", WithEcdsaSig(EcdsaSig({0x00}, Minimal(s_))), false},
      {"s = 0", WithEcdsaSig(EcdsaSig(Minimal(r_), {0x00})), false},
      {"r = n", WithEcdsaSig(EcdsaSig(Minimal(n), Minimal(s_))), false},
      {"s = n", WithEcdsaSig(EcdsaSig(Minimal(r_), Minimal(n))), false},
      {"r and s swapped", WithEcdsaSig(EcdsaSig(Minimal(s_), Minimal(r_))), false},
  };
  for (std::size_t i = 0; i < good_sig.size(); i += 7) {
    core::Bytes flipped = good_sig;
    flipped[i] ^= 0x01;
    cases.push_back({"bit flipped at " + std::to_string(i), WithEcdsaSig(flipped), false});
  }
  for (const Case& c : cases) {
    const bool openssl = OpensslAccepts(c.der);
    EXPECT_EQ(openssl, c.expect_accepted) << c.name << " (OpenSSL)";
    EXPECT_EQ(ChainAccepts(c.der), openssl) << c.name;
  }
}

TEST_F(ChainSignatureShape, AChangedTbsByteIsRefused) {
  for (const std::size_t offset : {std::size_t{10}, std::size_t{100}, std::size_t{300}}) {
    core::Bytes der = original_;
    der.at(offset) ^= 0x01;
    EXPECT_FALSE(ChainAccepts(der)) << offset;
  }
}

}  // namespace
}  // namespace enclavectl::verifier
