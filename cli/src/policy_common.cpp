#include "policy_common.hpp"

namespace enclavectl::cli {

void AddDocumentTrustFlags(CLI::App* cmd, kmspolicy::io::DocumentTrust& trust) {
  cmd->add_option("--root", trust.root_path,
                  "Trust this root (PEM) for --attestation instead of the pinned AWS Nitro "
                  "Enclaves root G1 (e.g. the development root of the NSM simulator)");
  cmd->add_option("--at", trust.at,
                  "Verify --attestation at: now (default), doc (its own signed timestamp) or an "
                  "RFC 3339 time / Unix seconds")
      ->default_str("now");
}

void AddPcrSourceFlags(CLI::App* cmd, kmspolicy::io::PcrSourceSpec& source) {
  auto* group = cmd->add_option_group("PCR source", "Where the measurements come from (one of):");
  group->add_option("--eif", source.eif,
                    "An enclave image: its PCR0, PCR1, PCR2 (and PCR8 when signed) are measured "
                    "like nitro-cli describe-eif; a damaged image is refused");
  group->add_option("--pcrs", source.pcrs,
                    "nitro-cli pcr.json or describe-eif/build-enclave output ({\"Measurements\": "
                    "...}), or a JSON array of them: one statement per allowed image");
  group->add_option("--attestation", source.attestation,
                    "An attestation document of the running enclave (CBOR, hex or base64); it is "
                    "verified (--root, --at) before its PCRs are used");
  group->add_option("--pcr", source.pcr,
                    "PCR N=HEX (repeatable; 96 hex digits each), e.g. 0=7a3b05...");
  cmd->add_option("--use-pcrs", source.use_pcrs,
                  "Which PCRs to pin, e.g. 0,1,2,8 (default: every --pcr; else PCR0, PCR1, PCR2 "
                  "and PCR8 when non-zero)");
  AddDocumentTrustFlags(cmd, source.trust);
}

}  // namespace enclavectl::cli
