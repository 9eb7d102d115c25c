#include "enclavectl/verifier/devca.hpp"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <nlohmann/json.hpp>

#include "enclavectl/core/cose.hpp"
#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::verifier::devca {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::int64_t kHour = 3600LL * 1000;
constexpr std::int64_t kDay = 24 * kHour;

tl::unexpected<core::Error> OpensslFailure(const char* what) {
  return Fail(ErrorCode::kInternal, core::DrainOpensslErrors(what));
}

bool AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  core::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

Bytes RandomSerial() {
  Bytes serial(20);
  if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) {
    throw std::bad_alloc();
  }
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7f) | 0x01);  // positive, no leading 0
  return serial;
}

Bytes ToDer(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  core::OpensslBytesPtr owned(der);
  if (len <= 0) {
    throw std::bad_alloc();
  }
  return Bytes(der, der + len);  // NOLINT
}

std::string Hex16(std::uint64_t value) {
  Bytes be(8);
  for (int i = 7; i >= 0; --i) {
    be[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value & 0xffU);
    value >>= 8U;
  }
  return core::HexEncode(be);
}

}  // namespace

core::Result<KeyedCertificate> IssueCertificate(const CertificateSpec& spec,
                                                const KeyedCertificate* issuer) {
  auto key = core::GenerateEcKey(spec.p256_key ? core::Curve::kP256 : core::Curve::kP384);
  if (!key) {
    return Fail(key.error());
  }
  core::X509Ptr cert(X509_new());
  core::X509NamePtr name(X509_NAME_new());
  core::BignumPtr serial_bn(
      BN_bin2bn(spec.serial.data(), static_cast<int>(spec.serial.size()), nullptr));
  if (!cert || !name || !serial_bn) {
    throw std::bad_alloc();
  }
  core::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(serial_bn.get(), nullptr));
  if (!serial || X509_set_version(cert.get(), 2) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1) {
    return OpensslFailure("certificate serial");
  }
  for (const auto& [field, value] : spec.subject) {
    if (X509_NAME_add_entry_by_txt(name.get(), field.c_str(), MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(value.c_str()),  // NOLINT
                                   -1, -1, 0) != 1) {
      return OpensslFailure("certificate subject");
    }
  }
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert.get();
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : key->get();
  if (X509_set_subject_name(cert.get(), name.get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer->cert.get())
                                                         : name.get()) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), spec.not_before.Seconds()) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), spec.not_after.Seconds()) == nullptr ||
      X509_set_pubkey(cert.get(), key->get()) != 1) {
    return OpensslFailure("certificate fields");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, cert.get(), nullptr, nullptr, 0);
  std::string basic = spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
  if (spec.is_ca && spec.path_length) {
    basic += ",pathlen:" + std::to_string(*spec.path_length);
  }
  bool ok = AddExtension(cert.get(), &ctx, NID_basic_constraints, basic);
  if (!spec.key_usage.empty()) {
    ok = ok && AddExtension(cert.get(), &ctx, NID_key_usage,
                            (spec.key_usage_critical ? "critical," : "") + spec.key_usage);
  }
  if (spec.key_identifiers) {
    ok = ok && AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    if (issuer != nullptr) {
      ok = ok && AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    }
  }
  for (const auto& [nid, value] : spec.extra_extensions) {
    ok = ok && AddExtension(cert.get(), &ctx, nid, value);
  }
  if (!ok) {
    return OpensslFailure("certificate extensions");
  }
  if (X509_sign(cert.get(), signing_key, EVP_sha384()) <= 0) {
    return OpensslFailure("certificate signing");
  }
  KeyedCertificate out;
  out.der = ToDer(cert.get());
  out.cert = std::move(cert);
  out.key = std::move(*key);
  return out;
}

namespace {

struct Level {
  std::vector<std::pair<std::string, std::string>> subject;
  std::int64_t lifetime;
  std::optional<int> path_length;
  const char* key_usage;
};

// root, regional, zonal, instance: the shape of AWS's hierarchy (nsm.md 5.3) with
// development names.
std::vector<Level> Levels(const Options& options, std::int64_t now) {
  const std::string& region = options.region;
  const std::string tag = Hex16(static_cast<std::uint64_t>(now));
  return {
      {{{"C", "US"}, {"O", "enclavectl"}, {"OU", "development"}, {"CN", "sim.nitro-enclaves"}},
       30 * 365 * kDay + kHour,
       std::nullopt,
       "digitalSignature,keyCertSign,cRLSign"},
      {{{"C", "US"},
        {"O", "enclavectl"},
        {"OU", "development"},
        {"CN", tag + "." + region + ".sim.nitro-enclaves"}},
       20 * kDay + kHour,
       2,
       "digitalSignature,keyCertSign,cRLSign"},
      {{{"CN", tag + ".zonal." + region + ".sim.nitro-enclaves"},
        {"OU", "development"},
        {"O", "enclavectl"},
        {"C", "US"},
        {"ST", "WA"},
        {"L", "Seattle"}},
       6 * kDay,
       1,
       "digitalSignature,keyCertSign,cRLSign"},
      {{{"C", "US"},
        {"ST", "Washington"},
        {"L", "Seattle"},
        {"O", "enclavectl"},
        {"OU", "development"},
        {"CN", options.instance_id + "." + region + ".sim.nitro-enclaves"}},
       kDay,
       0,
       "keyCertSign"},
  };
}

// Issues level `index` of the hierarchy, valid from an hour before `now`.
core::Result<KeyedCertificate> IssueLevel(const Options& options, std::size_t index,
                                          std::int64_t now, const KeyedCertificate* issuer) {
  const Level level = Levels(options, now)[index];
  CertificateSpec spec;
  spec.subject = level.subject;
  spec.serial = RandomSerial();
  spec.not_before = core::UnixMillis{now - kHour};
  spec.not_after = core::UnixMillis{now - kHour + level.lifetime};
  spec.is_ca = true;
  spec.path_length = level.path_length;
  spec.key_usage = level.key_usage;
  return IssueCertificate(spec, issuer);
}

std::string KeyToPem(EVP_PKEY* key) {
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::bad_alloc();
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<std::size_t>(len));
}

core::Result<KeyedCertificate> KeyedFromPem(const std::string& cert_pem,
                                            const std::string& key_pem) {
  core::BioPtr cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  core::BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  if (!cert_bio || !key_bio) {
    throw std::bad_alloc();
  }
  KeyedCertificate out;
  out.cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  out.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!out.cert || !out.key) {
    return Fail(ErrorCode::kCertParse, core::DrainOpensslErrors("development CA state"));
  }
  if (X509_check_private_key(out.cert.get(), out.key.get()) != 1) {
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kPolicyInvalid, "a development CA key does not match its certificate");
  }
  out.der = ToDer(out.cert.get());
  return out;
}

std::int64_t NotAfterMillis(X509* cert) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    return 0;
  }
  return 1000 * core::UnixSecondsFromUtc(
                    tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                    static_cast<unsigned>(tm.tm_mday), static_cast<unsigned>(tm.tm_hour),
                    static_cast<unsigned>(tm.tm_min), static_cast<unsigned>(tm.tm_sec));
}

}  // namespace

core::Result<DevCa> DevCa::Create(const Options& options) {
  DevCa ca;
  ca.options_ = options;
  for (std::size_t index = 0; index < 4; ++index) {
    auto cert = IssueLevel(options, index, options.now.value,
                           ca.chain_.empty() ? nullptr : &ca.chain_.back());
    if (!cert) {
      return Fail(cert.error());
    }
    ca.chain_.push_back(std::move(*cert));
  }
  return ca;
}

core::Status DevCa::Renew(core::UnixMillis now) {
  if (NotAfterMillis(chain_[0].cert.get()) <= now.value) {
    return Fail(ErrorCode::kCertExpired, "the development root has expired; create a new one", 0);
  }
  for (std::size_t index = 1; index < chain_.size(); ++index) {
    if (NotAfterMillis(chain_[index].cert.get()) - kHour > now.value) {
      continue;
    }
    for (std::size_t below = index; below < chain_.size(); ++below) {
      auto cert = IssueLevel(options_, below, now.value, &chain_[below - 1]);
      if (!cert) {
        return Fail(cert.error());
      }
      chain_[below] = std::move(*cert);
    }
    break;
  }
  options_.now = now;
  return core::Ok();
}

std::string DevCa::Serialize() const {
  nlohmann::json levels = nlohmann::json::array();
  for (const KeyedCertificate& level : chain_) {
    levels.push_back(
        {{"certificate", ToPem(level.cert.get())}, {"key", KeyToPem(level.key.get())}});
  }
  return nlohmann::json{{"format", "enclavectl-devca-v1"},
                        {"warning", "development CA: the private keys below are not protected"},
                        {"region", options_.region},
                        {"instance_id", options_.instance_id},
                        {"levels", std::move(levels)}}
      .dump(1);
}

core::Result<DevCa> DevCa::Deserialize(std::string_view text) {
  // A state file on disk: untrusted like any input, read through the strict reader.
  constexpr std::size_t kMaxStateBytes = 1U << 20U;
  constexpr ErrorCode kCode = ErrorCode::kPolicyInvalid;
  constexpr const char* kNotState = "not an enclavectl development CA state file";
  auto parsed = core::ParseStrictJson(text, kMaxStateBytes, kCode, "development CA state");
  if (!parsed) {
    return Fail(parsed.error());
  }
  auto state = core::JsonObjectView::Of(*parsed, kCode, "development CA state");
  if (!state) {
    return Fail(kCode, kNotState);
  }
  auto format = state->String("format");
  if (!format || *format != "enclavectl-devca-v1") {
    return Fail(kCode, kNotState);
  }
  auto region = state->String("region");
  auto instance_id = state->String("instance_id");
  auto levels = state->Array("levels", 4);
  if (!region || !instance_id || !levels || (*levels)->size() != 4) {
    return Fail(kCode, kNotState);
  }
  DevCa ca;
  ca.options_.region = std::move(*region);
  ca.options_.instance_id = std::move(*instance_id);
  for (const nlohmann::json& level : **levels) {
    auto entry = core::JsonObjectView::Of(level, kCode, "development CA level");
    if (!entry) {
      return Fail(entry.error());
    }
    auto certificate = entry->String("certificate");
    auto key = entry->String("key");
    if (!certificate || !key) {
      return Fail(kCode, "development CA level without certificate or key");
    }
    auto keyed = KeyedFromPem(*certificate, *key);
    if (!keyed) {
      return Fail(keyed.error());
    }
    EVP_PKEY* issuer_key = ca.chain_.empty() ? keyed->key.get() : ca.chain_.back().key.get();
    if (X509_verify(keyed->cert.get(), issuer_key) != 1) {
      core::DrainOpensslErrors("");
      return Fail(ErrorCode::kCertSignature, "development CA chain is broken",
                  static_cast<int>(ca.chain_.size()));
    }
    ca.chain_.push_back(std::move(*keyed));
  }
  return ca;
}

std::vector<Bytes> DevCa::Cabundle() const {
  std::vector<Bytes> out;
  out.reserve(chain_.size());
  for (const KeyedCertificate& cert : chain_) {
    out.push_back(cert.der);
  }
  return out;
}

std::string DevCa::RootPem() const { return ToPem(chain_.front().cert.get()); }

core::Result<Enclave> DevCa::StartEnclave(core::UnixMillis boot_time,
                                          std::uint64_t enclave_id) const {
  const std::string enclave_hex = Hex16(enclave_id);
  Enclave out;
  out.module_id = options_.instance_id + "-enc" + enclave_hex;
  out.boot_time = boot_time;
  CertificateSpec spec;
  spec.subject = {{"C", "US"},           {"ST", "Washington"},
                  {"L", "Seattle"},      {"O", "enclavectl"},
                  {"OU", "development"}, {"CN", out.module_id + "." + options_.region + ".sim"}};
  // Serial: enclave id (8) || 00000000 || uint32 boot seconds (nsm.md 5.3).
  auto id = core::HexDecode(enclave_hex + "00000000");
  const auto seconds = static_cast<std::uint32_t>(boot_time.Seconds());
  spec.serial = std::move(*id);
  for (int shift = 24; shift >= 0; shift -= 8) {
    spec.serial.push_back(
        static_cast<std::uint8_t>((seconds >> static_cast<unsigned>(shift)) & 0xffU));
  }
  if (spec.serial[0] == 0) {
    spec.serial[0] = 1;  // keep the 16-byte length (a DER INTEGER drops leading zeros)
  }
  spec.not_before = core::UnixMillis{boot_time.value - 3000};
  spec.not_after = core::UnixMillis{boot_time.value + 3 * kHour};
  spec.is_ca = false;
  spec.key_usage = "digitalSignature,nonRepudiation";
  spec.key_usage_critical = false;
  spec.key_identifiers = false;
  auto leaf = IssueCertificate(spec, &chain_.back());
  if (!leaf) {
    return Fail(leaf.error());
  }
  out.leaf = std::move(*leaf);
  return out;
}

AttestationDocument DevCa::DocumentFor(const Enclave& enclave, const DocumentSpec& spec) const {
  AttestationDocument doc;
  doc.module_id = enclave.module_id;
  doc.digest = "SHA384";
  doc.timestamp_ms = static_cast<std::uint64_t>(spec.timestamp ? spec.timestamp->value
                                                               : enclave.boot_time.value + 1000);
  if (spec.pcrs) {
    doc.pcrs = *spec.pcrs;
  } else {
    for (std::uint64_t i = 0; i < 16; ++i) {
      doc.pcrs[i] = Bytes(48, 0);
    }
    for (std::uint64_t i = 0; i < 3; ++i) {
      const core::Sha384Digest value =
          core::Sha384(core::AsBytes("enclavectl development PCR" + std::to_string(i)));
      doc.pcrs[i].assign(value.begin(), value.end());
    }
    core::Sha384Hasher pcr4;
    pcr4.Update(Bytes(48, 0));
    pcr4.Update(core::AsBytes(options_.instance_id));
    const core::Sha384Digest value = pcr4.Finish();
    doc.pcrs[4].assign(value.begin(), value.end());
  }
  doc.certificate = enclave.leaf.der;
  doc.cabundle = Cabundle();
  doc.public_key = spec.public_key;
  doc.user_data = spec.user_data;
  doc.nonce = spec.nonce;
  return doc;
}

core::Result<Bytes> DevCa::Attest(const Enclave& enclave, const DocumentSpec& spec) const {
  return SignPayload(enclave.leaf.key.get(),
                     EncodePayload(DocumentFor(enclave, spec), spec.indefinite_map), spec.tagged);
}

core::Result<Bytes> SignPayload(EVP_PKEY* key, ByteView payload, bool tagged) {
  auto sign1 = core::cose::SignEcdsa(key, payload);
  if (!sign1) {
    return Fail(sign1.error());
  }
  sign1->tagged = tagged;
  return core::cose::Encode(*sign1);
}

std::string ToPem(X509* cert) {
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    throw std::bad_alloc();
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace enclavectl::verifier::devca
