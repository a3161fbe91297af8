// The recovery tool's second implementation of docs/FORMAT.md and docs/KEYS.md, checked against the
// golden and invalid vectors byte for byte, and against the service's own key code on random inputs.
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as service from '../../src/crypto/keys';
import { CHECKSUM_ALGORITHMS, createHasher as serviceHasher } from '../../src/crypto/checksum';
import { createHasher } from '../../tools/recover/checksums.mjs';
import { FormatError, P, ciphertextSize, decryptStream, plaintextSize } from '../../tools/recover/format.mjs';
import * as keys from '../../tools/recover/keys.mjs';
import { ROOT } from '../helpers/paths';

const vectors = JSON.parse(readFileSync(`${ROOT}src/crypto/testdata/vectors.json`, 'utf8'));
const hex = (s: string) => Buffer.from(s, 'hex');
const key = hex(vectors.key);
const aad = hex(vectors.aad);
const pattern = (n: number) => Buffer.from(Uint8Array.from({ length: n }, (_, i) => i % 251));

/** An encryptor written from FORMAT.md alone: reproduces the vectors whose ciphertext is pinned by hash only. */
function encrypt(plaintext: Buffer, random: Buffer): Buffer {
  const count = Math.max(1, Math.ceil(plaintext.length / P));
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const payload = plaintext.subarray(i * P, (i + 1) * P);
    const header = Buffer.alloc(14);
    header[0] = 1;
    header[1] = i === count - 1 ? 1 : 0;
    header.writeUInt32BE(payload.length, 2);
    random.copy(header, 6);
    const nonce = Buffer.concat([random, Buffer.alloc(4)]);
    nonce.writeUInt32BE(i, 8);
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(Buffer.concat([header, aad]));
    out.push(header, c.update(payload), c.final(), c.getAuthTag());
  }
  return Buffer.concat(out);
}

async function decrypt(ciphertext: Buffer, withAad = aad, chunk = 4096): Promise<Buffer> {
  async function* chunks() {
    for (let at = 0; at < ciphertext.length; at += chunk) yield ciphertext.subarray(at, at + chunk);
  }
  const out: Buffer[] = [];
  for await (const plain of decryptStream(chunks(), key, withAad)) out.push(plain);
  return Buffer.concat(out);
}

const ciphertexts = new Map<string, Buffer>();
for (const v of vectors.valid) ciphertexts.set(v.name, v.ciphertext !== undefined ? hex(v.ciphertext) : encrypt(pattern(v.plaintextSize), hex(vectors.streamRandom)));

describe('recovery tool: stream format', () => {
  for (const v of vectors.valid) {
    it(`reads the golden vector "${v.name}" byte for byte`, async () => {
      const ct = ciphertexts.get(v.name)!;
      expect(createHash('sha256').update(ct).digest('hex')).toBe(v.ciphertextSha256);
      expect(ct.length).toBe(v.ciphertextSize);
      expect(ciphertextSize(v.plaintextSize)).toBe(v.ciphertextSize);
      expect(plaintextSize(v.ciphertextSize)).toBe(v.plaintextSize);
      expect((await decrypt(ct)).equals(pattern(v.plaintextSize))).toBe(true);
      // Chunking of the input does not matter.
      expect((await decrypt(ct, aad, v.ciphertextSize > 1024 ? 65_537 : 1)).equals(pattern(v.plaintextSize))).toBe(true);
    });
  }

  for (const v of vectors.invalid) {
    it(`rejects "${v.tampered}" with the documented message`, async () => {
      const ct =
        v.ciphertext !== undefined
          ? hex(v.ciphertext)
          : Buffer.concat((v.packages as number[]).map((i) => ciphertexts.get(v.packagesOf)!.subarray(i * (P + 30), (i + 1) * (P + 30))));
      const error = await decrypt(ct, v.aad ? hex(v.aad) : aad).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(FormatError);
      expect((error as Error).message).toBe(v.error);
    });
  }

  it('has no stream for impossible sizes', () => {
    for (const c of [1, 29, P + 30 + 1, P + 30 + 30]) expect(plaintextSize(c)).toBeNull();
  });
});

describe('recovery tool: keys agree with the service on any input', () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 20 });
  const binding = fc.record({ mode: fc.constantFrom('SSE-S3', 'SSE-KMS', 'SSE-C' as const), bucket: text, key: text });
  const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it('bindingBytes and deriveKek', async () => {
    await fc.assert(
      fc.asyncProperty(binding, bytes32, text, async (b, master, label) => {
        expect(keys.bindingBytes(b).equals(Buffer.from(service.bindingBytes(b)))).toBe(true);
        const context = keys.bindingBytes(b);
        expect(keys.deriveKek(master, label, context).equals(Buffer.from(await service.deriveKek(master, label, context)))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('unseals what the service sealed, and only for its own binding', async () => {
    await fc.assert(
      fc.asyncProperty(binding, bytes32, bytes32, async (b, kek, dataKey) => {
        const sealed = await service.sealKey(kek, dataKey, b);
        expect(keys.unsealKey(kek, sealed, b).equals(Buffer.from(dataKey))).toBe(true);
        expect(() => keys.unsealKey(kek, sealed, { ...b, key: `${b.key}x` })).toThrow(keys.KeyError);
      }),
      { numRuns: 30 },
    );
  });

  it('part stream keys and the parts manifest MAC', async () => {
    const part = fc.record({ partNumber: fc.integer({ min: 1, max: 10_000 }), size: fc.nat(), salt: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 })) });
    await fc.assert(
      fc.asyncProperty(binding, bytes32, fc.array(part, { maxLength: 5 }), async (b, dataKey, parts) => {
        const aad = service.bindingBytes(b);
        const manifestKey = await service.deriveKek(dataKey, 'parts manifest', aad);
        expect(keys.partsMac(dataKey, b, parts).equals(Buffer.from(await service.manifestMac(manifestKey, parts)))).toBe(true);
        for (const p of parts) {
          const context = p.salt ? Buffer.concat([aad, p.salt]) : aad;
          expect(keys.partKey(dataKey, p.partNumber, b, p.salt).equals(Buffer.from(await service.deriveKek(dataKey, `part ${p.partNumber}`, context)))).toBe(true);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('SSE-C fingerprints', async () => {
    await fc.assert(
      fc.asyncProperty(bytes32, bytes32, async (clientKey, salt) => {
        expect(keys.ssecKeyFingerprint(clientKey, salt).equals(Buffer.from(await service.ssecKeyFingerprint(clientKey, salt)))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});

describe('recovery tool: checksums agree with the service', () => {
  it('MD5 and every x-amz-checksum algorithm, over any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('MD5' as const, ...CHECKSUM_ALGORITHMS), fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), async (algorithm, chunks) => {
        const ours = createHasher(algorithm);
        const theirs = serviceHasher(algorithm);
        for (const c of chunks) {
          ours.update(c);
          theirs.update(c);
        }
        expect(ours.digest().toString('hex')).toBe(Buffer.from(await theirs.digest()).toString('hex'));
      }),
      { numRuns: 100 },
    );
  });
});
