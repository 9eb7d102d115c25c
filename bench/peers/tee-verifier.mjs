// Verifies one attestation document with @0xsequence/tee-verifier (TypeScript, pkijs +
// WebCrypto) for a number of seconds: decode, COSE signature, chain at the document's time.
// Usage: node tee-verifier.mjs MODULES_DIR DOC UNIX_SECONDS SECONDS
import fs from 'fs';
import path from 'path';
import { pathToFileURL } from 'url';
const [modules, docPath, at, seconds] = process.argv.slice(2);
const entry = path.join(modules, '@0xsequence/tee-verifier/dist/index.js');
const { SignedAttestation } = await import(pathToFileURL(entry).href);
const document = fs.readFileSync(docPath).toString('base64');
const when = new Date(Number(at) * 1000);
const one = async () => {
  const attestation = SignedAttestation.fromDocument(document);
  const ok = (await attestation.verifySignature()) && (await attestation.verifyRootOfTrust(when));
  if (!ok) {
    throw new Error('tee-verifier refused the genuine document');
  }
};
await one();
const until = process.hrtime.bigint() + BigInt(Math.round(Number(seconds) * 1e9));
let count = 0;
const start = process.hrtime.bigint();
while (process.hrtime.bigint() < until) {
  await one();
  count++;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ verifier: 'tee-verifier', documents: count, seconds: elapsed, per_second: count / elapsed }));
