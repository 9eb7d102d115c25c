// Verifies one attestation document with @evervault/attestation-bindings (Rust, via napi) for
// a number of seconds and prints documents per second. The binding checks the chain at the
// current clock (run it under faketime at the document's time) and then compares the
// document's public key with a connection certificate: any certificate will do for timing,
// the chain and the COSE signature are verified first (its "false" answer comes after them).
// Usage: node evervault.js MODULES_DIR DOC CERT_DER SECONDS
'use strict';
const fs = require('fs');
const path = require('path');
const [modules, docPath, certPath, seconds] = process.argv.slice(2);
const { attestEnclave } = require(path.join(modules, '@evervault/attestation-bindings'));
const doc = fs.readFileSync(docPath);
const cert = fs.readFileSync(certPath);
// The binding prints its verdict's reason to stderr (from Rust) on every call: run this with
// stderr sent to /dev/null.
const until = process.hrtime.bigint() + BigInt(Math.round(Number(seconds) * 1e9));
let count = 0;
const start = process.hrtime.bigint();
while (process.hrtime.bigint() < until) {
  attestEnclave(cert, [], doc);
  count++;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ verifier: 'evervault', documents: count, seconds: elapsed, per_second: count / elapsed }));
