// Third-party check of enclavectl's Ethereum signing (tests/ethereum/ethers_test.cpp): every
// signature, transaction and address in the cases file is verified with ethers 6. Prints one
// JSON object {"checked": N, "failures": [...]}; exit 0 only when every case met its
// expectation (a case with "expect_match": false is a tampered one that must NOT verify).
// Usage: node ethers_check.mjs CASES.json
import { readFileSync } from "node:fs";
import {
  Transaction, computeAddress, getAddress, getBytes, recoverAddress, toQuantity, verifyMessage,
  version,
} from "ethers";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const failures = [];
let checked = 0;

// Runs one check: `fn` returns [ok, detail]; a throw counts as "does not verify".
function check(name, expectMatch, fn) {
  checked += 1;
  let ok = false;
  let detail = "";
  try {
    [ok, detail] = fn();
  } catch (e) {
    detail = `threw: ${e.message}`;
  }
  if (ok !== expectMatch) {
    failures.push({ name, expect_match: expectMatch, detail });
  }
}

const same = (a, b, what) => [a === b, `${what}: ethers ${a} vs ours ${b}`];

for (const [i, c] of cases.personal.entries()) {
  check(`personal[${i}]`, c.expect_match,
    () => same(verifyMessage(getBytes(c.message), c.signature), c.address, "signer"));
}
for (const [i, c] of cases.digest.entries()) {
  check(`digest[${i}]`, c.expect_match,
    () => same(recoverAddress(c.digest, c.signature), c.address, "signer"));
}
for (const [i, c] of cases.transactions.entries()) {
  check(`transaction[${i}]`, c.expect_match, () => {
    const tx = Transaction.from(c.raw);
    const fields = [
      [tx.from, c.from, "from"],
      [tx.to, c.to, "to"],
      [toQuantity(tx.value), c.value, "value"],
      [tx.chainId.toString(), c.chain_id, "chainId"],
      [tx.nonce.toString(), c.nonce, "nonce"],
      [tx.gasLimit.toString(), c.gas_limit, "gasLimit"],
      [tx.type, c.type, "type"],
      [tx.data, c.data, "data"],
      [tx.hash, c.hash, "hash"],
      [tx.serialized, c.raw, "serialized"],
      [tx.signature.s <= "0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0",
        true, "low s"],
    ];
    for (const [theirs, ours, what] of fields) {
      if (theirs !== ours) {
        return [false, `${what}: ethers ${theirs} vs ours ${ours}`];
      }
    }
    return [true, ""];
  });
}
for (const [i, c] of cases.addresses.entries()) {
  check(`address[${i}]`, true, () => {
    if (c.public_key && computeAddress(c.public_key) !== c.address) {
      return [false, `computeAddress ${computeAddress(c.public_key)} vs ours ${c.address}`];
    }
    return same(getAddress(c.address.toLowerCase()), c.address, "EIP-55");
  });
}

console.log(JSON.stringify({ ethers: version, checked, failures }));
process.exit(failures.length === 0 ? 0 : 1);
