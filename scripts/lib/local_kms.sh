# Sourced by scripts/demo.sh and the bench scripts: calls to the local KMS of `enclavectl dev up`
# (the AWS_* variables it prints must be in the environment).
#   kms TARGET JSON                    one SigV4-signed KMS call (curl), the response on stdout
#   kms_enclave_only_key DESC PCR0     creates a symmetric key whose GenerateDataKey and Decrypt
#                                      need an attestation of PCR0 (the local administrator keeps
#                                      DescribeKey and GetKeyPolicy); prints its ARN
# shellcheck shell=bash

kms() {
  curl -sSf --aws-sigv4 "aws:amz:$AWS_REGION:kms" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H 'Content-Type: application/x-amz-json-1.1' -H "X-Amz-Target: TrentService.$1" -d "$2" \
    "$AWS_ENDPOINT_URL_KMS/"
}

kms_enclave_only_key() {
  local description=$1 pcr0=$2 account request
  account=$(kms CreateKey '{"Description":"probe"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["Arn"].split(":")[4])')
  request=$(python3 - "$account" "$pcr0" "$description" <<'PY'
import json, sys
account, pcr0, description = sys.argv[1:]
root = {"AWS": "arn:aws:iam::%s:root" % account}
policy = {"Version": "2012-10-17", "Statement": [
    {"Sid": "KeyInfo", "Effect": "Allow", "Principal": root,
     "Action": ["kms:DescribeKey", "kms:GetKeyPolicy"], "Resource": "*"},
    {"Sid": "EnclaveOnly", "Effect": "Allow", "Principal": root,
     "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
     "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": pcr0}}}]}
print(json.dumps({"Description": description, "Policy": json.dumps(policy),
                  "BypassPolicyLockoutSafetyCheck": True}))
PY
)
  kms CreateKey "$request" | python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["Arn"])'
}
