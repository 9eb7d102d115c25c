#!/usr/bin/env python3
"""boto3 against the local KMS with attestation recipients (used by localkms_server_test).

Usage: localkms_boto3.py ENDPOINT KEY_ID DOCUMENT OUT_JSON [PEER_SPKI ECDH_KEY_ID CIPHERTEXT]

Credentials and region come from the environment. Every call that accepts Recipient is made
with the attestation document DOCUMENT; the script checks that no plaintext comes back and
writes each CiphertextForRecipient (base64) to OUT_JSON for the C++ side to decrypt with the
recipient's RSA key. Denials are recorded as their error code instead.
"""
import base64
import json
import sys

import boto3
from botocore.exceptions import ClientError


def main():
    endpoint, key_id, document_path, out_path = sys.argv[1:5]
    extra = sys.argv[5:]
    with open(document_path, "rb") as f:
        document = f.read()
    kms = boto3.client("kms", endpoint_url=endpoint)
    recipient = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": document}
    results = {}

    def record(name, call):
        try:
            answer = call()
        except ClientError as error:
            results[name] = {"error": error.response["Error"]["Code"],
                             "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
            return
        if answer.get("Plaintext") is not None or answer.get("SharedSecret") is not None:
            results[name] = {"error": "PLAINTEXT_IN_RESPONSE"}
            return
        results[name] = {"ciphertextForRecipient":
                         base64.b64encode(answer["CiphertextForRecipient"]).decode()}
        if "CiphertextBlob" in answer:
            results[name]["ciphertextBlob"] = base64.b64encode(answer["CiphertextBlob"]).decode()

    record("GenerateRandom", lambda: kms.generate_random(NumberOfBytes=32, Recipient=recipient))
    record("GenerateDataKey", lambda: kms.generate_data_key(
        KeyId=key_id, KeySpec="AES_256", Recipient=recipient))
    if extra:
        peer_path, ecdh_key_id, ciphertext_b64 = extra
        with open(peer_path, "rb") as f:
            peer = f.read()
        record("DeriveSharedSecret", lambda: kms.derive_shared_secret(
            KeyId=ecdh_key_id, KeyAgreementAlgorithm="ECDH", PublicKey=peer, Recipient=recipient))
        record("Decrypt", lambda: kms.decrypt(
            CiphertextBlob=base64.b64decode(ciphertext_b64), Recipient=recipient))
    with open(out_path, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
