#!/usr/bin/env python3
"""Writes the key-policy vectors in lint/ and simulate/, and the seed corpora of the
kmspolicy fuzz targets in tests/fuzz/{key_policy,kms_response,cms_recipient}_corpus
(do not edit those files by hand).

Each lint vector is one policy and what `enclavectl policy lint` must say about it:
  {"description", "policy" (a JSON object) or "policy_text" (raw text),
   "target"?: {"key_arn"?: ARN, "pcr0"?: hex}   (LintTarget; absent: ARN unknown, any image)
   "expect": {"enclave_only": bool, "locked": bool,
              "findings": [[rule, statement|null], ...]   every error and warning, exactly
              "info": [[rule, statement|null], ...]}}      info findings that must appear
  or, for input the parser must refuse, "expect": {"error": "POLICY_STRUCTURE", "index": n}.

Each simulate vector is one policy and requests with the expected decision:
  {"description", "policy", "cases": [{"name", "principal", "action", "resource"?,
   "context": {key: value | [values]}, "expect": "Allow" | "ExplicitDeny" | "ImplicitDeny",
   "statement": n | null} | {..., "error": "POLICY_UNSUPPORTED"}]}

The PCR values are SHA-384 digests of fixed labels, so the files rebuild bit for bit:
  python3 tests/vectors/kmspolicy/generate.py
"""
import hashlib
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/enclave"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/key-admin"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/enclave/i-0123456789abcdef0"
ADMIN_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/key-admin/alice"
OTHER = "arn:aws:sts::444455556666:assumed-role/enclave/i-0fedcba9876543210"
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def pcr(label):
    return hashlib.sha384(label.encode()).hexdigest()


PCR0, PCR1, PCR2 = pcr("image"), pcr("kernel"), pcr("application")
OTHER_PCR0 = pcr("another image")
ZERO = "0" * 96
IMAGE = "kms:RecipientAttestation:ImageSha384"
ATTESTED = ["kms:Decrypt", "kms:DeriveSharedSecret", "kms:GenerateDataKey"]
ADMIN_ACTIONS = [
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:ListKeyPolicies",
    "kms:GetPublicKey", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation",
    "kms:DisableKeyRotation", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource",
    "kms:ListGrants", "kms:RevokeGrant", "kms:UpdateKeyDescription", "kms:EnableKey",
    "kms:DisableKey", "kms:CreateAlias", "kms:UpdateAlias", "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion"]
READ_ONLY = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetPublicKey"]
DENY_UNATTESTED = ["kms:Decrypt", "kms:DeriveSharedSecret", "kms:GenerateDataKey",
                   "kms:GenerateDataKeyPair", "kms:ReEncrypt*", "kms:CreateGrant"]


def allow(sid, principal, actions, condition=None, resource="*"):
    st = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": actions,
          "Resource": resource}
    if condition is not None:
        st["Condition"] = condition
    return st


def deny(sid, principal, actions, condition=None, resource="*"):
    st = allow(sid, principal, actions, condition, resource)
    st["Effect"] = "Deny"
    return st


def gate(values=None, op="StringEqualsIgnoreCase", key=IMAGE):
    return {op: {key: values if values is not None else PCR0}}


def enclave(condition=None, actions=None):
    return allow("EnclaveAttestedUse", {"AWS": ROLE}, actions or ATTESTED,
                 condition if condition is not None else
                 {"StringEqualsIgnoreCase": {IMAGE: PCR0,
                                             "kms:RecipientAttestation:PCR1": PCR1,
                                             "kms:RecipientAttestation:PCR2": PCR2}})


def policy(*statements, pid="enclavectl-vector"):
    return {"Version": "2012-10-17", "Id": pid, "Statement": list(statements)}


KEY_INFO = allow("EnclaveKeyInfo", {"AWS": ROLE}, READ_ONLY)
ADMINISTRATION = allow("KeyAdministration", {"AWS": ROOT}, ADMIN_ACTIONS)
DENY = deny("DenyUnattestedSecretUse", "*", DENY_UNATTESTED, {"Null": {IMAGE: "true"}})

STANDARD = policy(enclave(), KEY_INFO, ADMINISTRATION, DENY, pid="enclavectl-standard")
LOCKED = policy(enclave(), KEY_INFO, DENY, pid="enclavectl-locked")

LINT = {
    "standard": ("the generator's standard shape: the admin manages, never decrypts", STANDARD,
                 True, False,
                 [["admin-can-rewrite-policy", 2], ["schedule-deletion", 2],
                  ["account-root-principal", 2]], []),
    "locked": ("the generator's locked shape: no admin statement at all", LOCKED, True, True,
               [["lockout-risk", None]], []),
    "aws-default-key-policy": (
        "the default KMS key policy: the account root (so IAM) may do everything",
        policy(allow("Enable IAM User Permissions", {"AWS": ROOT}, "kms:*")), False, False,
        [["missing-attestation-condition", 0], ["create-grant", 0], ["wildcard-action", 0],
         ["admin-can-rewrite-policy", 0], ["schedule-deletion", 0],
         ["account-root-principal", 0], ["key-injection", 0], ["replica-escape", 0]], []),
    "leaky-admin": (
        "an admin allow-list that includes kms:Decrypt",
        policy(enclave(), allow("KeyAdministration", {"AWS": ADMIN},
                                ["kms:DescribeKey", "kms:PutKeyPolicy", "kms:Decrypt"])),
        False, False,
        [["missing-attestation-condition", 1], ["admin-can-rewrite-policy", 1]], []),
    "wildcard-principal-gated": (
        "anyone may decrypt, but only from the measured image",
        policy(allow("AnyAttested", "*", ATTESTED, gate())), True, True,
        [["wildcard-principal", 0], ["lockout-risk", None]], []),
    "wildcard-principal-open": (
        "anyone may decrypt, with no condition",
        policy(allow("Open", {"AWS": "*"}, ["kms:Decrypt"])), False, True,
        [["wildcard-principal", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "string-like": (
        "StringLike on ImageSha384 lets any image match",
        policy(enclave(gate("*", op="StringLike"))), False, True,
        [["weak-condition-operator", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "if-exists": (
        "...IfExists holds for requests without any attestation",
        policy(enclave(gate(op="StringEqualsIgnoreCaseIfExists"))), False, True,
        [["weak-condition-operator", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "for-all-values": (
        "ForAllValues on a single-valued key holds when the key is absent",
        policy(enclave(gate(op="ForAllValues:StringEqualsIgnoreCase"))), False, True,
        [["weak-condition-operator", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "not-equals-in-allow": (
        "StringNotEquals in an Allow admits every other image",
        policy(enclave(gate(op="StringNotEqualsIgnoreCase"))), False, True,
        [["weak-condition-operator", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "null-only": (
        "Null false only requires some attestation, not this image",
        policy(enclave({"Null": {IMAGE: "false"}})), False, True,
        [["weak-condition-operator", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "wrong-length": (
        "a 64-hex (SHA-256) value never matches a SHA-384 PCR",
        policy(enclave(gate(PCR0[:64]))), False, True,
        [["attestation-value-format", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "hex-prefix": (
        "a 0x prefix never matches",
        policy(enclave(gate("0x" + PCR0))), False, True,
        [["attestation-value-format", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "upper-case-case-sensitive": (
        "upper-case hex with the case-sensitive StringEquals never matches",
        policy(enclave(gate(PCR0.upper(), op="StringEquals"))), False, True,
        [["attestation-value-format", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "upper-case-ignore-case": (
        "upper-case hex is fine with StringEqualsIgnoreCase",
        policy(enclave(gate(PCR0.upper()))), True, True, [["lockout-risk", None]], []),
    "debug-pcr": (
        "all-zero PCR0: every debug-mode enclave matches",
        policy(enclave(gate(ZERO))), False, True,
        [["debug-pcr", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "debug-pcr-one-of-two": (
        "two allowed images, one of them all zero",
        policy(enclave(gate([PCR0, ZERO]))), False, True,
        [["debug-pcr", 0], ["missing-attestation-condition", 0],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "two-images": (
        "a rolling upgrade: either of two images",
        policy(enclave(gate([PCR0, OTHER_PCR0])), KEY_INFO, DENY), True, True,
        [["lockout-risk", None]], []),
    "pcr8-only": (
        "only the signing certificate (PCR8) is pinned, not the image",
        policy(enclave(gate(pcr("signer"), key="kms:RecipientAttestation:PCR8"))), False, True,
        [["missing-attestation-condition", 0], ["lockout-risk", None], ["lockout-risk", None]],
        []),
    "half-locked-grant": (
        "PutKeyPolicy is gone but the admin can still create grants",
        policy(enclave(), allow("Grants", {"AWS": ADMIN}, ["kms:CreateGrant", "kms:ListGrants"])),
        False, False, [["create-grant", 1], ["lockout-risk", None], ["lockout-risk", None]], []),
    "half-locked-deletion": (
        "PutKeyPolicy is gone but the admin can still schedule deletion",
        policy(enclave(), allow("Deletion", {"AWS": ADMIN}, ["kms:ScheduleKeyDeletion"])),
        True, False, [["schedule-deletion", 1], ["lockout-risk", None]], []),
    "grant-blocked-by-null-deny": (
        "CreateGrant allowed, but a Deny of unattested calls blocks it (CreateGrant never "
        "carries a Recipient)",
        policy(enclave(), allow("Admin", {"AWS": ADMIN}, ["kms:CreateGrant", "kms:PutKeyPolicy"]),
               DENY),
        True, False, [["admin-can-rewrite-policy", 1]], []),
    "deny-gate": (
        "the account may decrypt, but a Deny of every other image gates it",
        policy(allow("Account", {"AWS": ROOT}, ["kms:Decrypt"]),
               deny("OnlyTheImage", "*", ["kms:Decrypt"], gate(op="StringNotEqualsIgnoreCase"))),
        True, True, [["lockout-risk", None]], [["account-root-principal", 0]]),
    "not-principal": (
        "NotPrincipal applies to everyone not listed",
        policy(enclave(), {"Sid": "Others", "Effect": "Allow", "NotPrincipal": {"AWS": ADMIN},
                           "Action": "kms:DescribeKey", "Resource": "*"}),
        True, True, [["not-principal", 1], ["lockout-risk", None]], []),
    "not-action": (
        "NotAction in an Allow grants everything else",
        policy(enclave(), {"Sid": "Everything", "Effect": "Allow", "Principal": {"AWS": ADMIN},
                           "NotAction": "kms:Decrypt", "Resource": "*"}),
        False, False,
        [["wildcard-action", 1], ["missing-attestation-condition", 1], ["create-grant", 1],
         ["admin-can-rewrite-policy", 1], ["schedule-deletion", 1], ["key-injection", 1],
         ["replica-escape", 1]], []),
    "never-satisfied": (
        "an attestation condition on PutKeyPolicy can never hold: it carries no Recipient",
        policy(enclave(), allow("Rewrite", {"AWS": ADMIN}, ["kms:PutKeyPolicy"], gate())),
        True, True, [["lockout-risk", None]], [["condition-never-satisfied", 1]]),
    "locked-unusable": (
        "locked, and no attested enclave can use the key",
        policy(KEY_INFO), True, True, [["lockout-risk", None], ["lockout-risk", None]], []),
    "typo-action": (
        "a misspelt action grants nothing",
        policy(enclave(actions=["kms:Decrpyt", "kms:Decrypt"])), True, True,
        [["unknown-action", 0], ["lockout-risk", None]], []),
    "resource-not-star": (
        "a statement naming another key's ARN",
        policy(enclave(), allow("Other", {"AWS": ADMIN}, ["kms:DescribeKey"],
                                resource="arn:aws:kms:us-east-1:111122223333:key/other")),
        True, True, [["lockout-risk", None]], [["resource-not-key", 1]]),
    "encrypt-open": (
        "the enclave role may Encrypt with no condition: whoever holds the role's credentials "
        "(the parent instance) can inject a secret of its choice",
        policy(enclave(), allow("EnclaveEncrypt", {"AWS": ROLE}, ["kms:Encrypt"])), False, True,
        [["key-injection", 1], ["lockout-risk", None], ["lockout-risk", None]], []),
    "encrypt-blocked-by-null-deny": (
        "Encrypt allowed, but a Deny of unattested calls blocks it (Encrypt never carries a "
        "Recipient)",
        policy(enclave(), allow("EnclaveEncrypt", {"AWS": ROLE}, ["kms:Encrypt"]),
               deny("DenyUnattested", "*", DENY_UNATTESTED + ["kms:Encrypt"],
                    {"Null": {IMAGE: "true"}})),
        True, True, [["lockout-risk", None]], []),
    "re-encrypt-to": (
        "ReEncrypt* includes ReEncryptTo: re-encrypting a ciphertext of another key under this "
        "one injects its plaintext",
        policy(enclave(), allow("Rotate", {"AWS": ADMIN}, ["kms:ReEncrypt*"],
                                {"Bool": {"aws:SecureTransport": "true"}})),
        False, True,
        [["wildcard-action", 1], ["missing-attestation-condition", 1], ["key-injection", 1],
         ["lockout-risk", None], ["lockout-risk", None]], []),
    "replicate-key": (
        "an admin may replicate the key: the replica's policy is whatever the caller writes",
        policy(enclave(), allow("Replicate", {"AWS": ADMIN},
                                ["kms:ReplicateKey", "kms:UpdatePrimaryRegion"])),
        False, False,
        [["replica-escape", 1], ["lockout-risk", None], ["lockout-risk", None]], []),
    "deny-scoped-to-another-key": (
        "Allow everything to everyone; the Denies that would stop unattested and other-image "
        "calls name another key (another region), so they protect nothing here",
        policy(allow("Open", "*", "*"),
               deny("DenyUnattested", "*", "*", {"Null": {IMAGE: "true"}},
                    resource="arn:aws:kms:eu-west-1:111122223333:key/other"),
               deny("DenyOtherImages", "*", ["kms:Decrypt", "kms:DeriveSharedSecret",
                                              "kms:GenerateDataKey*"],
                    {"StringNotEqualsIgnoreCase": {IMAGE: PCR0}},
                    resource="arn:aws:kms:eu-west-1:111122223333:key/other")),
        False, False,
        [["wildcard-principal", 0], ["wildcard-action", 0], ["missing-attestation-condition", 0],
         ["create-grant", 0], ["key-injection", 0], ["replica-escape", 0],
         ["admin-can-rewrite-policy", 0], ["schedule-deletion", 0]],
        [["resource-not-key", 1], ["resource-not-key", 2]]),
    "deny-scoped-to-this-key": (
        "the same Denies naming this key's ARN: they count when lint knows the ARN (--key-arn)",
        policy(allow("Open", "*", "*"),
               deny("DenyUnattested", "*", "*", {"Null": {IMAGE: "true"}}, resource=KEY_ARN),
               deny("DenyOtherImages", "*", ["kms:Decrypt", "kms:DeriveSharedSecret",
                                              "kms:GenerateDataKey*"],
                    {"StringNotEqualsIgnoreCase": {IMAGE: PCR0}}, resource=KEY_ARN)),
        True, True, [["wildcard-principal", 0], ["wildcard-action", 0], ["lockout-risk", None]],
        [["resource-not-key", 1], ["resource-not-key", 2]], {"key_arn": KEY_ARN}),
    "two-images-expected-one": (
        "two images may decrypt; with the expected image set to one of them, the other breaks "
        "enclave-only",
        policy(enclave(gate([PCR0, OTHER_PCR0]))), False, True,
        [["unexpected-image", 0], ["lockout-risk", None], ["lockout-risk", None]], [],
        {"pcr0": PCR0}),
    "unknown-attestation-key": (
        "PCR40 does not exist",
        policy(enclave({"StringEqualsIgnoreCase": {IMAGE: PCR0,
                                                   "kms:RecipientAttestation:PCR40": PCR1}})),
        True, True, [["attestation-key", 0], ["lockout-risk", None]], []),
    "date-condition": (
        "a Date condition lint cannot judge",
        policy(enclave(), allow("Until", {"AWS": ADMIN}, ["kms:DescribeKey"],
                                {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})),
        True, True, [["lockout-risk", None]], [["unevaluable-condition", 1]]),
    "no-resource": (
        "a statement without Resource matches nothing",
        policy(enclave(), {"Sid": "NoResource", "Effect": "Allow", "Principal": {"AWS": ADMIN},
                           "Action": "kms:Decrypt"}),
        True, True, [["lockout-risk", None]], [["statement-ineffective", 1]]),
    "wildcard-get": (
        "kms:Get* grants reads only",
        policy(enclave(), allow("Reads", {"AWS": ADMIN}, ["kms:Get*", "kms:Describe*"])),
        True, True, [["wildcard-action", 1], ["lockout-risk", None]], []),
}

MALFORMED = {
    "not-json": ("not JSON at all", '{"Version": "2012-10-17", "Statement": [', "POLICY_JSON", -1),
    "duplicate-key": (
        "a repeated key: IAM and a reviewer may read different conditions",
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
        '"Action":"kms:Decrypt","Resource":"*","Condition":{},"Condition":{}}]}',
        "POLICY_JSON", -1),
    "too-deep": ("nesting deeper than any policy needs", "[" * 40 + "]" * 40, "POLICY_JSON", -1),
    "typo-condition": (
        "\"Condtion\" would silently drop the condition if ignored",
        json.dumps(policy({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt",
                           "Resource": "*", "Condtion": gate()})),
        "POLICY_STRUCTURE", 0),
    "effect-lower-case": (
        "Effect values are case-sensitive",
        json.dumps(policy({"Effect": "allow", "Principal": "*", "Action": "kms:Decrypt",
                           "Resource": "*"})), "POLICY_STRUCTURE", 0),
    "no-principal": (
        "a key policy statement must name a principal",
        json.dumps(policy(enclave(), {"Effect": "Allow", "Action": "kms:Decrypt",
                                      "Resource": "*"})), "POLICY_STRUCTURE", 1),
    "unknown-operator": (
        "StringEqualsIgnorecase is not an operator",
        json.dumps(policy(enclave(gate(op="StringEqualsIgnorecase")))), "POLICY_STRUCTURE", 0),
    "principal-string": (
        "Principal must be \"*\" or an object",
        json.dumps(policy({"Effect": "Allow", "Principal": ROLE, "Action": "kms:Decrypt",
                           "Resource": "*"})), "POLICY_STRUCTURE", 0),
    "bad-version": (
        "an unknown Version",
        json.dumps({"Version": "2024-01-01", "Statement": [enclave()]}), "POLICY_STRUCTURE", -1),
    "no-statement": ("no Statement element", json.dumps({"Version": "2012-10-17"}),
                     "POLICY_STRUCTURE", -1),
    "action-and-not-action": (
        "Action and NotAction together",
        json.dumps(policy({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                           "NotAction": "kms:Encrypt", "Resource": "*"})),
        "POLICY_STRUCTURE", 0),
    "bad-bool": (
        "Bool takes true or false",
        json.dumps(policy(allow("B", "*", "kms:Decrypt", {"Bool": {"aws:SecureTransport": "yes"}}))),
        "POLICY_STRUCTURE", 0),
    "invalid-principal": (
        "an AWS principal must be *, an account id or an ARN",
        json.dumps(policy(allow("P", {"AWS": "enclave"}, "kms:Decrypt"))), "POLICY_STRUCTURE", 0),
    "duplicate-sid": (
        "Sids are unique",
        json.dumps(policy(enclave(), enclave())), "POLICY_STRUCTURE", 1),
}

SIMULATE = {
    "standard": ("requests against the standard policy", STANDARD, [
        {"name": "enclave with the image", "principal": SESSION, "action": "kms:Decrypt",
         "context": {IMAGE: PCR0, "kms:RecipientAttestation:PCR1": PCR1,
                     "kms:RecipientAttestation:PCR2": PCR2},
         "expect": "Allow", "statement": 0},
        {"name": "condition keys and actions are case-insensitive", "principal": SESSION,
         "action": "KMS:decrypt",
         "context": {IMAGE.lower(): PCR0.upper(), "KMS:RECIPIENTATTESTATION:PCR1": PCR1,
                     "kms:recipientattestation:pcr2": PCR2},
         "expect": "Allow", "statement": 0},
        {"name": "enclave without attestation", "principal": SESSION, "action": "kms:Decrypt",
         "context": {}, "expect": "ExplicitDeny", "statement": 3},
        {"name": "enclave with another image", "principal": SESSION, "action": "kms:Decrypt",
         "context": {IMAGE: OTHER_PCR0, "kms:RecipientAttestation:PCR1": PCR1,
                     "kms:RecipientAttestation:PCR2": PCR2},
         "expect": "ImplicitDeny", "statement": None},
        {"name": "one of three PCRs differs", "principal": SESSION, "action": "kms:Decrypt",
         "context": {IMAGE: PCR0, "kms:RecipientAttestation:PCR1": PCR1,
                     "kms:RecipientAttestation:PCR2": PCR0},
         "expect": "ImplicitDeny", "statement": None},
        {"name": "the role itself", "principal": ROLE, "action": "kms:DescribeKey",
         "context": {}, "expect": "Allow", "statement": 1},
        {"name": "another account's role of the same name", "principal": OTHER,
         "action": "kms:Decrypt",
         "context": {IMAGE: PCR0, "kms:RecipientAttestation:PCR1": PCR1,
                     "kms:RecipientAttestation:PCR2": PCR2},
         "expect": "ImplicitDeny", "statement": None},
        {"name": "admin rewrites the policy", "principal": ADMIN_SESSION,
         "action": "kms:PutKeyPolicy", "context": {}, "expect": "Allow", "statement": 2},
        {"name": "admin tries to decrypt", "principal": ADMIN_SESSION, "action": "kms:Decrypt",
         "context": {}, "expect": "ExplicitDeny", "statement": 3},
        {"name": "admin tries to create a grant", "principal": "111122223333",
         "action": "kms:CreateGrant", "context": {}, "expect": "ExplicitDeny", "statement": 3},
        {"name": "admin re-encrypts", "principal": ADMIN_SESSION, "action": "kms:ReEncryptFrom",
         "context": {}, "expect": "ExplicitDeny", "statement": 3},
        {"name": "enclave encrypts: not granted", "principal": SESSION, "action": "kms:Encrypt",
         "context": {}, "expect": "ImplicitDeny", "statement": None},
    ]),
    "operators": ("each condition operator family", policy(
        allow("Like", {"AWS": ROOT}, "kms:DescribeKey",
              {"StringLike": {"kms:CallerAccount": "1111222233?3"}}),
        allow("NotLike", {"AWS": ROOT}, "kms:GetPublicKey",
              {"StringNotLike": {"aws:PrincipalArn": "*:role/admin*"}}),
        allow("ArnLike", {"AWS": ROOT}, "kms:GetKeyPolicy",
              {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/key-*"}}),
        allow("ArnEquals", {"AWS": ROOT}, "kms:ListResourceTags",
              {"ArnEquals": {"aws:PrincipalArn": ADMIN}}),
        allow("Bool", {"AWS": ROOT}, "kms:TagResource", {"Bool": {"aws:SecureTransport": "true"}}),
        allow("IfExists", {"AWS": ROOT}, "kms:UntagResource",
              {"StringEqualsIfExists": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}}),
        allow("AnyValue", {"AWS": ROOT}, "kms:Encrypt",
              {"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": ["app", "tenant"]}}),
        allow("AllValues", {"AWS": ROOT}, "kms:GenerateDataKeyWithoutPlaintext",
              {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["app", "tenant"]}}),
        allow("Numeric", {"AWS": ROOT}, "kms:GenerateRandom",
              {"NumericLessThanEquals": {"kms:NumberOfBytes": "64"}}),
        allow("NullFalse", {"AWS": ROOT}, "kms:Sign", {"Null": {"kms:SigningAlgorithm": "false"}}),
        allow("TwoKeysAnded", {"AWS": ROOT}, "kms:Verify",
              {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:SigningAlgorithm": "ECDSA_SHA_256"}}),
        allow("Wildcard", {"AWS": ROOT}, "kms:List*"),
        deny("NotEqualsDeny", "*", "kms:ScheduleKeyDeletion",
             {"StringNotEquals": {"aws:PrincipalTag/role": "admin"}}),
        allow("Deletion", {"AWS": ROOT}, "kms:ScheduleKeyDeletion"),
        allow("Service", {"Service": "logs.amazonaws.com"}, "kms:DescribeCustomKeyStores"),
    ), [
        {"name": "StringLike with ?", "principal": ADMIN_SESSION, "action": "kms:DescribeKey",
         "context": {}, "expect": "Allow", "statement": 0},
        {"name": "StringNotLike excludes admin roles", "principal": ADMIN_SESSION,
         "action": "kms:GetPublicKey", "context": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/admin-x"},
         "expect": "ImplicitDeny", "statement": None},
        {"name": "StringNotLike admits others", "principal": ADMIN_SESSION,
         "action": "kms:GetPublicKey", "context": {}, "expect": "Allow", "statement": 1},
        {"name": "ArnLike per component", "principal": ADMIN_SESSION, "action": "kms:GetKeyPolicy",
         "context": {}, "expect": "Allow", "statement": 2},
        {"name": "ArnLike does not match another role", "principal": SESSION,
         "action": "kms:GetKeyPolicy", "context": {}, "expect": "ImplicitDeny", "statement": None},
        {"name": "ArnEquals", "principal": ADMIN_SESSION, "action": "kms:ListResourceTags",
         "context": {}, "expect": "Allow", "statement": 3},
        {"name": "Bool true", "principal": ADMIN_SESSION, "action": "kms:TagResource",
         "context": {"aws:SecureTransport": "TRUE"}, "expect": "Allow", "statement": 4},
        {"name": "Bool false", "principal": ADMIN_SESSION, "action": "kms:TagResource",
         "context": {"aws:SecureTransport": "false"}, "expect": "ImplicitDeny", "statement": None},
        {"name": "Bool absent", "principal": ADMIN_SESSION, "action": "kms:TagResource",
         "context": {}, "expect": "ImplicitDeny", "statement": None},
        {"name": "IfExists absent", "principal": ADMIN_SESSION, "action": "kms:UntagResource",
         "context": {}, "expect": "Allow", "statement": 5},
        {"name": "IfExists present and different", "principal": ADMIN_SESSION,
         "action": "kms:UntagResource", "context": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
         "expect": "ImplicitDeny", "statement": None},
        {"name": "ForAnyValue one matches", "principal": ADMIN_SESSION, "action": "kms:Encrypt",
         "context": {"kms:EncryptionContextKeys": ["other", "tenant"]}, "expect": "Allow",
         "statement": 6},
        {"name": "ForAnyValue absent", "principal": ADMIN_SESSION, "action": "kms:Encrypt",
         "context": {}, "expect": "ImplicitDeny", "statement": None},
        {"name": "ForAllValues all listed", "principal": ADMIN_SESSION,
         "action": "kms:GenerateDataKeyWithoutPlaintext",
         "context": {"kms:EncryptionContextKeys": ["app"]}, "expect": "Allow", "statement": 7},
        {"name": "ForAllValues one unlisted", "principal": ADMIN_SESSION,
         "action": "kms:GenerateDataKeyWithoutPlaintext",
         "context": {"kms:EncryptionContextKeys": ["app", "other"]}, "expect": "ImplicitDeny",
         "statement": None},
        {"name": "ForAllValues absent holds", "principal": ADMIN_SESSION,
         "action": "kms:GenerateDataKeyWithoutPlaintext", "context": {}, "expect": "Allow",
         "statement": 7},
        {"name": "Numeric within", "principal": ADMIN_SESSION, "action": "kms:GenerateRandom",
         "context": {"kms:NumberOfBytes": "32"}, "expect": "Allow", "statement": 8},
        {"name": "Numeric above", "principal": ADMIN_SESSION, "action": "kms:GenerateRandom",
         "context": {"kms:NumberOfBytes": "65"}, "expect": "ImplicitDeny", "statement": None},
        {"name": "Null false needs the key", "principal": ADMIN_SESSION, "action": "kms:Sign",
         "context": {}, "expect": "ImplicitDeny", "statement": None},
        {"name": "Null false with the key", "principal": ADMIN_SESSION, "action": "kms:Sign",
         "context": {"kms:SigningAlgorithm": "ECDSA_SHA_256"}, "expect": "Allow", "statement": 9},
        {"name": "two keys ANDed, one differs", "principal": ADMIN_SESSION, "action": "kms:Verify",
         "context": {"kms:SigningAlgorithm": "RSASSA_PSS_SHA_256"}, "expect": "ImplicitDeny",
         "statement": None},
        {"name": "two keys ANDed, both hold", "principal": ADMIN_SESSION, "action": "kms:Verify",
         "context": {"kms:SigningAlgorithm": "ECDSA_SHA_256"}, "expect": "Allow", "statement": 10},
        {"name": "action wildcard", "principal": ADMIN_SESSION, "action": "kms:ListGrants",
         "context": {}, "expect": "Allow", "statement": 11},
        {"name": "negated operator on an absent key: the Deny applies", "principal": ADMIN_SESSION,
         "action": "kms:ScheduleKeyDeletion", "context": {}, "expect": "ExplicitDeny",
         "statement": 12},
        {"name": "explicit deny lifted by the tag", "principal": ADMIN_SESSION,
         "action": "kms:ScheduleKeyDeletion", "context": {"aws:PrincipalTag/role": "admin"},
         "expect": "Allow", "statement": 13},
        {"name": "another account", "principal": OTHER, "action": "kms:ListGrants",
         "context": {}, "expect": "ImplicitDeny", "statement": None},
        {"name": "a service principal", "principal": "logs.amazonaws.com",
         "action": "kms:DescribeCustomKeyStores", "context": {}, "expect": "Allow",
         "statement": 14},
        {"name": "a service principal is not an AWS principal", "principal": "logs.amazonaws.com",
         "action": "kms:ListGrants", "context": {}, "expect": "ImplicitDeny", "statement": None},
    ]),
    "principals-and-resources": ("principal forms and resources", policy(
        allow("RoleWithPath", {"AWS": f"arn:aws:iam::{ACCOUNT}:role/team/enclave"}, "kms:Decrypt"),
        allow("AccountId", {"AWS": "444455556666"}, "kms:DescribeKey"),
        allow("User", {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}, "kms:GetPublicKey"),
        allow("ThisKey", {"AWS": ROOT}, "kms:Encrypt",
              resource="arn:aws:kms:us-east-1:111122223333:key/1234abcd-*"),
        {"Sid": "NotThisKey", "Effect": "Allow", "Principal": {"AWS": ROOT},
         "Action": "kms:GetKeyPolicy", "NotResource": "arn:aws:kms:*:*:key/1234abcd-*"},
    ), [
        {"name": "a role with a path matches its sessions", "principal": SESSION,
         "action": "kms:Decrypt", "context": {}, "expect": "Allow", "statement": 0},
        {"name": "an account id matches its principals", "principal": OTHER,
         "action": "kms:DescribeKey", "context": {}, "expect": "Allow", "statement": 1},
        {"name": "a user matches itself only", "principal": f"arn:aws:iam::{ACCOUNT}:user/bob",
         "action": "kms:GetPublicKey", "context": {}, "expect": "Allow", "statement": 2},
        {"name": "another user", "principal": f"arn:aws:iam::{ACCOUNT}:user/eve",
         "action": "kms:GetPublicKey", "context": {}, "expect": "ImplicitDeny", "statement": None},
        {"name": "a resource pattern that matches", "principal": ADMIN_SESSION,
         "action": "kms:Encrypt",
         "resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-0000",
         "context": {}, "expect": "Allow", "statement": 3},
        {"name": "a resource pattern that does not", "principal": ADMIN_SESSION,
         "action": "kms:Encrypt", "resource": "arn:aws:kms:us-east-1:111122223333:key/ffff",
         "context": {}, "expect": "ImplicitDeny", "statement": None},
        {"name": "NotResource excludes this key", "principal": ADMIN_SESSION,
         "action": "kms:GetKeyPolicy",
         "resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-0000",
         "context": {}, "expect": "ImplicitDeny", "statement": None},
        {"name": "NotResource admits another key", "principal": ADMIN_SESSION,
         "action": "kms:GetKeyPolicy", "resource": "arn:aws:kms:us-east-1:111122223333:key/ffff",
         "context": {}, "expect": "Allow", "statement": 4},
    ]),
    "unsupported": ("constructs the evaluator refuses to guess", policy(
        allow("Dated", {"AWS": ROOT}, "kms:DescribeKey",
              {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}),
        {"Sid": "NotPrincipal", "Effect": "Allow", "NotPrincipal": {"AWS": ADMIN},
         "Action": "kms:GetPublicKey", "Resource": "*"},
        allow("Variable", {"AWS": ROOT}, "kms:GetKeyPolicy",
              {"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}),
        allow("DatedButUnreached", {"AWS": ROOT}, "kms:Encrypt",
              {"StringEquals": {"kms:CallerAccount": "999999999999"},
               "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}),
    ), [
        {"name": "a Date operator", "principal": ADMIN_SESSION, "action": "kms:DescribeKey",
         "context": {}, "error": "POLICY_UNSUPPORTED", "index": 0},
        {"name": "NotPrincipal", "principal": ADMIN_SESSION, "action": "kms:GetPublicKey",
         "context": {}, "error": "POLICY_UNSUPPORTED", "index": 1},
        {"name": "a policy variable", "principal": ADMIN_SESSION, "action": "kms:GetKeyPolicy",
         "context": {"aws:PrincipalTag/owner": "alice"}, "error": "POLICY_UNSUPPORTED",
         "index": 2},
        {"name": "an unsupported operator after a failing one is never needed",
         "principal": ADMIN_SESSION, "action": "kms:Encrypt", "context": {},
         "expect": "ImplicitDeny", "statement": None},
        {"name": "statements that do not match are never evaluated", "principal": ADMIN_SESSION,
         "action": "kms:Sign", "context": {}, "expect": "ImplicitDeny", "statement": None},
    ]),
}


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")


KMS_RESPONSES = {
    "create-key-moto": '{"KeyMetadata": {"AWSAccountId": "123456789012", "Arn": "arn:aws:kms:us-east-1:123456789012:key/b4c8dd2e-38bb-47d2-bcbd-54fbf3301300", "CreationDate": 1795281222.462154, "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT", "KeySpec": "SYMMETRIC_DEFAULT", "Description": "x", "Enabled": true, "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "KeyId": "b4c8dd2e-38bb-47d2-bcbd-54fbf3301300", "KeyManager": "CUSTOMER", "KeyState": "Enabled", "KeyUsage": "ENCRYPT_DECRYPT", "MultiRegion": false, "Origin": "AWS_KMS"}}',
    "get-key-policy": json.dumps({"Policy": json.dumps(STANDARD), "PolicyName": "default"}),
    "put-key-policy-null": "null",
    "decrypt-clear": '{"KeyId": "arn:aws:kms:us-east-1:1:key/k", "Plaintext": "aGVsbG8=", "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}',
    "decrypt-recipient": '{"KeyId": "arn:aws:kms:us-east-1:1:key/k", "CiphertextForRecipient": "MIAGCSqGSIb3DQEHA6CAMIACAQIxggFr", "Plaintext": null}',
    "generate-data-key": '{"CiphertextBlob": "AQID", "Plaintext": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "KeyId": "arn:k"}',
    "generate-random": '{"Plaintext": "AQIDBA=="}',
    "derive-shared-secret": '{"KeyId": "arn:k", "SharedSecret": "AQIDBA==", "KeyAgreementAlgorithm": "ECDH", "KeyOrigin": "AWS_KMS"}',
    "get-public-key": '{"CustomerMasterKeySpec": "ECC_NIST_P256", "KeyId": "k", "KeyUsage": null, "PublicKey": "MFk=", "KeyAgreementAlgorithms": ["ECDH"]}',
    "error-access-denied": '{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::1:assumed-role/r/i is not authorized to perform: kms:Decrypt"}',
    "error-prefixed": '{"__type": "com.amazonaws.kms#KMSInvalidStateException", "message": "pending deletion"}',
    "error-html": "<!doctype html><title>500 Internal Server Error</title>",
    "imds-credentials": '{"Code": "Success", "AccessKeyId": "ASIA", "SecretAccessKey": "s", "Token": "t", "Expiration": "2026-11-21T16:00:00Z"}',
    "aws-ini": "[default]\naws_access_key_id = A\naws_secret_access_key = s\n[profile x]\nregion = us-east-1\ns3 =\n  k = v\n",
}


def write_corpora():
    fuzz = os.path.join(HERE, "..", "..", "fuzz")
    for name in ("key_policy_corpus", "kms_response_corpus", "cms_recipient_corpus"):
        shutil.rmtree(os.path.join(fuzz, name), ignore_errors=True)
        os.makedirs(os.path.join(fuzz, name))
    for name, (_, pol, *_) in LINT.items():
        with open(os.path.join(fuzz, "key_policy_corpus", name + ".json"), "w") as f:
            f.write(json.dumps(pol, indent=1))
    for name, (_, text, _, _) in MALFORMED.items():
        with open(os.path.join(fuzz, "key_policy_corpus", "malformed-" + name + ".json"), "w") as f:
            f.write(text)
    for name, body in KMS_RESPONSES.items():
        with open(os.path.join(fuzz, "kms_response_corpus", name), "w") as f:
            f.write(body)
    # The derived indefinite vector with its content split into two OCTET STRING chunks.
    shared = os.path.join(HERE, "..", "..", "..", "..", "shared", "testdata", "kms-cms", "derived")
    with open(os.path.join(shared, "kms-shaped-indefinite.ber"), "rb") as f:
        ber = f.read()
    with open(os.path.join(shared, "kms-shaped-vectors.json")) as f:
        ct = bytes.fromhex(json.load(f)["kms-shaped-indefinite"]["ciphertext_hex"])
    single = b"\xa0\x80\x04\x30" + ct
    chunked = b"\xa0\x80\x04\x10" + ct[:16] + b"\x04\x20" + ct[16:]
    assert single in ber
    with open(os.path.join(fuzz, "cms_recipient_corpus", "kms-shaped-chunked.ber"), "wb") as f:
        f.write(ber.replace(single, chunked))


def main():
    for sub in ("lint", "simulate"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
        os.makedirs(os.path.join(HERE, sub))
    for name, (description, pol, enclave_only, locked, findings, info, *target) in LINT.items():
        vector = {"description": description, "policy": pol}
        if target:
            vector["target"] = target[0]
        vector["expect"] = {"enclave_only": enclave_only, "locked": locked,
                            "findings": findings, "info": info}
        write(os.path.join(HERE, "lint", name + ".json"), vector)
    for name, (description, text, code, index) in MALFORMED.items():
        write(os.path.join(HERE, "lint", "malformed-" + name + ".json"),
              {"description": description, "policy_text": text,
               "expect": {"error": code, "index": index}})
    for name, (description, pol, cases) in SIMULATE.items():
        write(os.path.join(HERE, "simulate", name + ".json"),
              {"description": description, "policy": pol, "cases": cases})
    write_corpora()


if __name__ == "__main__":
    main()
