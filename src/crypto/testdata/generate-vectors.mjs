// Regenerates vectors.json (node src/crypto/testdata/generate-vectors.mjs, Node >= 22.18 for .ts
// imports). Only for a deliberate format change: tests check the committed file, never regenerate it.
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { encryptStream, importKey, PACKAGE_SIZE } from '../format.ts';

const hex = (b) => Buffer.from(b).toString('hex');
const key = Uint8Array.from({ length: 32 }, (_, i) => i);
const streamRandom = Uint8Array.from([0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]);
const aadText = 'example-bucket/photos/2024/cat.jpg';
const aad = new TextEncoder().encode(aadText);
const pattern = (n) => Uint8Array.from({ length: n }, (_, i) => i % 251);
const HEADER_SIZE = 14;
const PACKAGE_CIPHER_SIZE = PACKAGE_SIZE + 30;
const INLINE_MAX = 1024; // larger ciphertexts are pinned by SHA-256 only

async function encrypt(plaintext) {
  const out = new Response(new Blob([plaintext]).stream().pipeThrough(encryptStream(await importKey(key), { aad, streamRandom })));
  return new Uint8Array(await out.arrayBuffer());
}

const valid = [];
const ciphertexts = {};
for (const [name, size] of [['empty', 0], ['one byte', 1], ['one full package', PACKAGE_SIZE], ['two packages', PACKAGE_SIZE + 1], ['four packages', 3 * PACKAGE_SIZE + 5]]) {
  const ct = await encrypt(pattern(size));
  ciphertexts[name] = ct;
  const headers = [];
  for (let at = 0; at < ct.length; at += PACKAGE_CIPHER_SIZE) headers.push(hex(ct.subarray(at, at + HEADER_SIZE)));
  valid.push({
    name,
    plaintextSize: size,
    ...(size <= INLINE_MAX && { plaintext: hex(pattern(size)) }),
    ciphertextSize: ct.length,
    headers,
    ciphertextSha256: createHash('sha256').update(ct).digest('hex'),
    ...(ct.length <= INLINE_MAX && { ciphertext: hex(ct) }),
  });
}

const oneByte = ciphertexts['one byte'];
const edited = (edit) => { const b = oneByte.slice(); edit(b); return hex(b); };
const invalid = [
  { tampered: 'flipped bit in header (stream random)', ciphertext: edited((b) => (b[6] ^= 0x01)), error: 'package 0: authentication failed' },
  { tampered: 'flipped bit in header (FINAL flag cleared)', ciphertext: edited((b) => (b[1] ^= 0x01)), error: 'package 0: invalid header' },
  { tampered: 'flipped bit in ciphertext', ciphertext: edited((b) => (b[14] ^= 0x01)), error: 'package 0: authentication failed' },
  { tampered: 'flipped bit in tag', ciphertext: edited((b) => (b[b.length - 1] ^= 0x80)), error: 'package 0: authentication failed' },
  { tampered: 'wrong version byte', ciphertext: edited((b) => (b[0] = 2)), error: 'unsupported version 2' },
  { tampered: 'wrong aad', ciphertext: hex(oneByte), aad: hex(new TextEncoder().encode('example-bucket/photos/2024/dog.jpg')), error: 'package 0: authentication failed' },
  { tampered: 'truncated last package', ciphertext: hex(oneByte.subarray(0, oneByte.length - 1)), error: 'truncated' },
  { tampered: 'truncated to nothing', ciphertext: '', error: 'truncated' },
  { tampered: 'dropped final package', packagesOf: 'four packages', packages: [0, 1, 2], error: 'truncated' },
  { tampered: 'swapped packages 0 and 1', packagesOf: 'four packages', packages: [1, 0, 2, 3], error: 'package 0: authentication failed' },
  { tampered: 'appended extra package (replayed final package)', packagesOf: 'two packages', packages: [0, 1, 1], error: 'unexpected data after final package' },
];

const file = {
  description: 'edge-sse stream format v1 test vectors; layout and field meanings in docs/FORMAT.md',
  key: hex(key),
  streamRandom: hex(streamRandom),
  aad: hex(aad),
  aadText,
  plaintext: 'byte i = i % 251',
  valid,
  invalid,
};
writeFileSync(new URL('./vectors.json', import.meta.url), JSON.stringify(file, null, 2) + '\n');
