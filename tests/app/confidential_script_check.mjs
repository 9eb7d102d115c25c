// Independent check of a Confidential Script verify-and-sign result with third-party code
// (@scure/btc-signer 2.x, @noble/curves, @noble/hashes; none of enclavectl's code):
//   node confidential_script_check.mjs CASE.json
// CASE.json: {tx_hex, input_index, prevouts: [{amount, script_pubkey}], master_public_key,
// emulated_root, backup_leaf_script, backup_root, network, expected_address,
// untouched: [{index, witness: [hex]}]}.
// Prints one JSON verdict; exit 0 when every check holds, 1 otherwise, 2 on bad input.
import { readFileSync } from 'node:fs';

import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import * as btc from '@scure/btc-signer';

const NETWORKS = {
  bitcoin: btc.NETWORK,
  testnet: btc.TEST_NETWORK,
  regtest: { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
};

function main() {
  const c = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const v = {};
  // The real output's internal key: parent + (HMAC-SHA512(compressed parent, root)[0..32] mod n)G.
  const Point = secp256k1.Point;
  const n = Point.Fn.ORDER;
  const parent = Point.fromHex(c.master_public_key);
  const mac = hmac(sha512, parent.toBytes(true), hexToBytes(c.emulated_root));
  const tweak = BigInt('0x' + bytesToHex(mac.slice(0, 32))) % n;
  const child = parent.add(Point.BASE.multiply(tweak));
  const internalKey = child.toBytes(true).slice(1);
  v.internal_key = bytesToHex(internalKey);

  // The address and scriptPubKey of the real output: internal key + backup leaf, by the library.
  const network = NETWORKS[c.network];
  const out = btc.p2tr(internalKey, { script: hexToBytes(c.backup_leaf_script) }, network, true);
  v.address = out.address;
  v.address_ok = out.address === c.expected_address;
  v.merkle_root = bytesToHex(out.tapMerkleRoot);
  v.merkle_root_ok = v.merkle_root === c.backup_root;
  const idx = c.input_index;
  v.script_pubkey_ok = bytesToHex(out.script) === c.prevouts[idx].script_pubkey;
  v.output_key = bytesToHex(out.tweakedPubkey);

  // The BIP-341 key-path sighash (SIGHASH_DEFAULT, no annex) and the BIP-340 signature.
  const tx = btc.Transaction.fromRaw(hexToBytes(c.tx_hex), {
    allowUnknownOutputs: true,
    allowUnknownInputs: true,
    disableScriptCheck: true,
  });
  const scripts = c.prevouts.map((p) => hexToBytes(p.script_pubkey));
  const amounts = c.prevouts.map((p) => BigInt(p.amount));
  const sighash = tx.preimageWitnessV1(idx, scripts, btc.SigHash.DEFAULT, amounts);
  v.sighash = bytesToHex(sighash);
  const witness = tx.getInput(idx).finalScriptWitness || [];
  v.witness_items = witness.length;
  v.signature_ok =
    witness.length === 1 &&
    witness[0].length === 64 &&
    schnorr.verify(witness[0], sighash, out.tweakedPubkey);

  // Inputs that were not emulated keep their witness byte for byte.
  v.untouched_ok = (c.untouched || []).every((u) => {
    const w = tx.getInput(u.index).finalScriptWitness || [];
    return w.length === u.witness.length && w.every((item, k) => bytesToHex(item) === u.witness[k]);
  });
  v.ok =
    v.address_ok && v.merkle_root_ok && v.script_pubkey_ok && v.signature_ok && v.untouched_ok;
  process.stdout.write(JSON.stringify(v) + '\n');
  process.exit(v.ok ? 0 : 1);
}

try {
  main();
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.message) }) + '\n');
  process.exit(2);
}
