import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PACKAGE_SIZE,
  FormatError,
  cipherRangeFor,
  ciphertextSize,
  decryptBytes,
  decryptStream,
  encryptBytes,
  encryptStream,
  importKey,
  plaintextSize,
  wholeStream,
  type DecryptOptions,
} from './format';
import { readFileSync } from 'node:fs';

const PACKAGE_CIPHER_SIZE = PACKAGE_SIZE + 30;

// Layout of testdata/vectors.json, described in docs/FORMAT.md.
interface Vectors {
  key: string;
  streamRandom: string;
  aad: string;
  valid: {
    name: string;
    plaintextSize: number;
    plaintext?: string;
    ciphertextSize: number;
    headers: string[];
    ciphertextSha256: string;
    ciphertext?: string;
  }[];
  invalid: ({ tampered: string; error: string; aad?: string } & (
    | { ciphertext: string }
    | { packagesOf: string; packages: number[] }
  ))[];
}
const vectors: Vectors = JSON.parse(readFileSync(new URL('./testdata/vectors.json', import.meta.url), 'utf8'));

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);
const sha256 = async (b: Uint8Array) => hex(new Uint8Array(await crypto.subtle.digest('SHA-256', b)));

// Deterministic PRNG (mulberry32) so a failing split is reproducible.
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// Pieces of 1 byte up to ~1.5 packages, so every kind of boundary gets crossed.
function split(bytes: Uint8Array, seed: number): Uint8Array[] {
  const next = rng(seed);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const r = next();
    const n = r < 0.3 ? 1 + Math.floor(next() * 20) : 1 + Math.floor(next() * PACKAGE_SIZE * 1.5);
    pieces.push(bytes.slice(at, at + n));
    at += n;
  }
  return pieces;
}

function streamOf(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of pieces) controller.enqueue(p);
      controller.close();
    },
  });
}

const bytesOf = async (stream: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(stream).arrayBuffer());
const run = (transform: TransformStream<Uint8Array, Uint8Array>, pieces: Uint8Array[]) => bytesOf(streamOf(pieces).pipeThrough(transform));
const decryptPieces = (k: CryptoKey, opts: DecryptOptions, pieces: Uint8Array[]) => bytesOf(decryptStream(streamOf(pieces), k, opts));

const key = await importKey(unhex(vectors.key));
const aad = unhex(vectors.aad);
const streamRandom = unhex(vectors.streamRandom);
const encrypt = (plaintext: Uint8Array, seed = 1) => run(encryptStream(key, { aad, streamRandom }), split(plaintext, seed));
const decrypt = (ciphertext: Uint8Array, opts: Partial<DecryptOptions> = {}, seed = 2) =>
  decryptPieces(key, { aad, expectFinalAtEnd: true, ...opts }, split(ciphertext, seed));

async function failure(p: Promise<unknown>): Promise<FormatError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FormatError);
  return error as FormatError;
}

describe('size arithmetic', () => {
  it('adds 30 bytes per package, one package for the empty stream', () => {
    expect(ciphertextSize(0)).toBe(30);
    expect(ciphertextSize(1)).toBe(31);
    expect(ciphertextSize(PACKAGE_SIZE)).toBe(PACKAGE_CIPHER_SIZE);
    expect(ciphertextSize(PACKAGE_SIZE + 1)).toBe(PACKAGE_CIPHER_SIZE + 31);
    expect(ciphertextSize(5 * 2 ** 40)).toBe(5 * 2 ** 40 + 30 * 5 * 2 ** 24);
  });

  it('inverts ciphertextSize', () => {
    for (const n of [0, 1, 2, 29, 30, 31, PACKAGE_SIZE - 1, PACKAGE_SIZE, PACKAGE_SIZE + 1, 7 * PACKAGE_SIZE + 12345, 5 * 2 ** 40]) {
      expect(plaintextSize(ciphertextSize(n))).toBe(n);
    }
  });

  it('rejects sizes no stream can have', () => {
    for (const c of [0, 1, 29, PACKAGE_CIPHER_SIZE + 1, PACKAGE_CIPHER_SIZE + 30, 2 * PACKAGE_CIPHER_SIZE + 30, -31, 31.5, NaN]) {
      expect(() => plaintextSize(c), String(c)).toThrow(FormatError);
    }
  });

  it('maps plaintext ranges to whole packages', () => {
    const size = 3 * PACKAGE_SIZE + 5;
    expect(cipherRangeFor(0, 0, size)).toEqual({
      firstPackage: 0, lastPackage: 0, cipherStart: 0, cipherEnd: PACKAGE_CIPHER_SIZE - 1, skip: 0, length: 1, expectFinalAtEnd: false,
    });
    expect(cipherRangeFor(PACKAGE_SIZE - 1, PACKAGE_SIZE, size)).toEqual({
      firstPackage: 0, lastPackage: 1, cipherStart: 0, cipherEnd: 2 * PACKAGE_CIPHER_SIZE - 1, skip: PACKAGE_SIZE - 1, length: 2, expectFinalAtEnd: false,
    });
    expect(cipherRangeFor(3 * PACKAGE_SIZE + 1, size - 1, size)).toEqual({
      firstPackage: 3, lastPackage: 3, cipherStart: 3 * PACKAGE_CIPHER_SIZE, cipherEnd: ciphertextSize(size) - 1, skip: 1, length: 4, expectFinalAtEnd: true, finalLength: 5,
    });
    expect(cipherRangeFor(0, 2 * PACKAGE_SIZE - 1, 2 * PACKAGE_SIZE).expectFinalAtEnd).toBe(true);
    for (const [s, e, n] of [[0, 0, 0], [5, 4, 10], [0, 10, 10], [-1, 3, 10], [0.5, 3, 10]] as const) {
      expect(() => cipherRangeFor(s, e, n)).toThrow(RangeError);
    }
  });
});

describe('round trip', () => {
  for (const size of [0, 1, PACKAGE_SIZE - 1, PACKAGE_SIZE, PACKAGE_SIZE + 1, 3 * PACKAGE_SIZE + 5]) {
    it(`${size} bytes in random pieces`, async () => {
      const plaintext = pattern(size);
      for (const seed of [1, 2, 3]) {
        const ciphertext = await run(encryptStream(key, { aad }), split(plaintext, seed));
        expect(ciphertext.length).toBe(ciphertextSize(size));
        expect(await decrypt(ciphertext, {}, seed + 10)).toEqual(plaintext);
      }
    });
  }

  it('draws a fresh stream random per stream', async () => {
    const a = await run(encryptStream(key, { aad }), [pattern(10)]);
    const b = await run(encryptStream(key, { aad }), [pattern(10)]);
    expect(hex(a.subarray(6, 14))).not.toBe(hex(b.subarray(6, 14)));
  });
});

describe('ranges', () => {
  for (const size of [2 * PACKAGE_SIZE, 3 * PACKAGE_SIZE + 5]) {
    it(`every listed range of ${size} bytes`, async () => {
      const plaintext = pattern(size);
      const ciphertext = await encrypt(plaintext);
      const P = PACKAGE_SIZE;
      const ranges = [
        [0, 0], [0, size - 1], [1, P - 1], [P - 1, P], [P, P], [P, 2 * P - 1], [100, size - 2],
        [2 * P - 1, 2 * P], [size - 1, size - 1], [size - 5, size - 1], [Math.floor(size / 2), size - 1],
      ].filter(([, end]) => end! < size);
      for (const [start, end] of ranges) {
        const range = cipherRangeFor(start!, end!, size);
        const slice = ciphertext.slice(range.cipherStart, range.cipherEnd + 1);
        expect(await decrypt(slice, range, start! + end!), `${start}-${end}`).toEqual(plaintext.slice(start, end! + 1));
      }
    });
  }

  it('rejects a slice decrypted as the wrong packages', async () => {
    const ciphertext = await encrypt(pattern(3 * PACKAGE_SIZE));
    const range = cipherRangeFor(PACKAGE_SIZE, PACKAGE_SIZE + 9, 3 * PACKAGE_SIZE);
    const slice = ciphertext.slice(range.cipherStart, range.cipherEnd + 1);
    const error = await failure(decrypt(slice, { ...range, firstPackage: 0, lastPackage: 0 }));
    expect(error.message).toBe('package 0: authentication failed');
  });

  it('rejects a final package where the range expects more', async () => {
    const ciphertext = await encrypt(pattern(10));
    expect((await failure(decrypt(ciphertext, { expectFinalAtEnd: false }))).message).toBe('package 0: unexpected final package');
    expect((await failure(decrypt(ciphertext, { lastPackage: 1 }))).message).toBe('package 0: unexpected final package');
  });

  it('rejects data beyond lastPackage and missing packages', async () => {
    const ciphertext = await encrypt(pattern(3 * PACKAGE_SIZE));
    const twoPackages = ciphertext.subarray(0, 2 * PACKAGE_CIPHER_SIZE);
    const opts = { firstPackage: 0, lastPackage: 0, expectFinalAtEnd: false };
    expect((await failure(decrypt(twoPackages, opts))).message).toBe('unexpected data after package 0');
    expect((await failure(decrypt(twoPackages, { ...opts, lastPackage: 2 }))).message).toBe('truncated');
  });
});

describe('stored size', () => {
  // A row whose size was changed (by whoever can write the metadata) must never yield a whole
  // body of that size: the FINAL package's position and length are authenticated.
  it('rejects a whole stream read under any size but its own, before the body is complete', async () => {
    const sizes = fc.integer({ min: 0, max: 4 * PACKAGE_SIZE + 3 });
    await fc.assert(
      fc.asyncProperty(sizes, sizes, async (actual, claimed) => {
        fc.pre(actual !== claimed);
        const ciphertext = await encrypt(pattern(actual));
        const out: Uint8Array[] = [];
        const reader = decryptStream(new Blob([ciphertext]).stream(), key, { aad, ...wholeStream(claimed) }).getReader();
        const error = await (async () => {
          try {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) return null;
              out.push(value);
            }
          } catch (e) {
            return e;
          }
        })();
        expect(error).toBeInstanceOf(FormatError);
        expect(out.reduce((n, c) => n + c.length, 0)).toBeLessThan(Math.max(claimed, 1));
      }),
      { seed: 8, numRuns: 60 },
    );
  });

  it('reads a whole stream under its own size', async () => {
    for (const size of [0, 1, PACKAGE_SIZE, 2 * PACKAGE_SIZE + 1]) {
      expect(await decrypt(await encrypt(pattern(size)), wholeStream(size))).toEqual(pattern(size));
    }
  });

  it('rejects a range ending in a final package of the wrong length', async () => {
    const ciphertext = await encrypt(pattern(PACKAGE_SIZE + 10));
    const range = cipherRangeFor(PACKAGE_SIZE, PACKAGE_SIZE + 4, PACKAGE_SIZE + 5);
    const slice = ciphertext.slice(range.cipherStart, ciphertext.length);
    expect((await failure(decrypt(slice, range))).message).toBe('package 1: final package does not end at the stored size');
  });
});

describe('golden vectors', () => {
  for (const v of vectors.valid) {
    it(`encrypts "${v.name}" byte for byte`, async () => {
      const ciphertext = await encrypt(pattern(v.plaintextSize));
      expect(ciphertext.length).toBe(v.ciphertextSize);
      expect(await sha256(ciphertext)).toBe(v.ciphertextSha256);
      if (v.ciphertext !== undefined) expect(hex(ciphertext)).toBe(v.ciphertext);
      if (v.plaintext !== undefined) expect(v.plaintext).toBe(hex(pattern(v.plaintextSize)));
      expect(await decrypt(ciphertext)).toEqual(pattern(v.plaintextSize));
    });
  }

  // Opens the vectors with bare WebCrypto, following docs/FORMAT.md rather than format.ts.
  it('matches the layout in docs/FORMAT.md', async () => {
    for (const v of vectors.valid) {
      const ciphertext = await encrypt(pattern(v.plaintextSize));
      const opened: Uint8Array[] = [];
      for (let i = 0, at = 0; at < ciphertext.length; i++) {
        const header = ciphertext.subarray(at, at + 14);
        expect(hex(header)).toBe(v.headers[i]);
        const length = new DataView(header.buffer, header.byteOffset).getUint32(2);
        const nonce = new Uint8Array(12);
        nonce.set(header.subarray(6, 14));
        new DataView(nonce.buffer).setUint32(8, i);
        const body = ciphertext.subarray(at + 14, at + 14 + length + 16);
        const additionalData = new Uint8Array([...header, ...aad]);
        opened.push(new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData }, key, body)));
        at += 14 + length + 16;
        expect(header[1] === 1).toBe(at === ciphertext.length);
      }
      expect(new Uint8Array(await new Blob(opened).arrayBuffer())).toEqual(pattern(v.plaintextSize));
    }
  });

  const byName = new Map(vectors.valid.map((v) => [v.name, v]));
  for (const v of vectors.invalid) {
    it(`rejects: ${v.tampered}`, async () => {
      let ciphertext: Uint8Array;
      if ('packagesOf' in v) {
        const base = await encrypt(pattern(byName.get(v.packagesOf)!.plaintextSize));
        expect(await sha256(base)).toBe(byName.get(v.packagesOf)!.ciphertextSha256);
        const packages = v.packages.map((i) => base.subarray(i * PACKAGE_CIPHER_SIZE, (i + 1) * PACKAGE_CIPHER_SIZE));
        ciphertext = new Uint8Array(await new Blob(packages).arrayBuffer());
      } else {
        ciphertext = unhex(v.ciphertext);
      }
      const opts = v.aad === undefined ? {} : { aad: unhex(v.aad) };
      for (const seed of [1, 2]) {
        expect((await failure(decrypt(ciphertext, opts, seed))).message).toBe(v.error);
      }
      expect((await failure(decryptBytes(ciphertext, key, { aad, expectFinalAtEnd: true, ...opts }))).message).toBe(v.error);
    });
  }

  for (const v of vectors.valid) {
    it(`encrypts "${v.name}" in one piece byte for byte`, async () => {
      const ciphertext = await encryptBytes(key, pattern(v.plaintextSize), { aad, streamRandom });
      expect(await sha256(ciphertext)).toBe(v.ciphertextSha256);
    });
  }
});

describe('in-memory reads', () => {
  it('give what the stream gives for any range of any size', async () => {
    const sizes = fc.integer({ min: 1, max: 4 * PACKAGE_SIZE + 3 });
    await fc.assert(
      fc.asyncProperty(sizes, fc.nat(), fc.nat(), async (size, a, b) => {
        const [start, end] = [a % size, b % size].sort((x, y) => x - y) as [number, number];
        const plaintext = pattern(size);
        const ciphertext = await encryptBytes(key, plaintext, { aad });
        const range = cipherRangeFor(start, end, size);
        const slice = ciphertext.slice(range.cipherStart, range.cipherEnd + 1);
        const opts = { aad, ...range };
        expect(await decryptBytes(slice, key, opts)).toEqual(plaintext.slice(start, end + 1));
        expect(await decrypt(slice, range)).toEqual(plaintext.slice(start, end + 1));
      }),
      { numRuns: 60 },
    );
  });
});

describe('tampering beyond the vectors', () => {
  it('rejects another key', async () => {
    const ciphertext = await encrypt(pattern(100));
    const other = await importKey(new Uint8Array(32).fill(7));
    const error = await failure(decryptPieces(other, { aad, expectFinalAtEnd: true }, [ciphertext]));
    expect(error.message).toBe('package 0: authentication failed');
  });

  it('rejects a package spliced in from another stream under the same key', async () => {
    const a = await run(encryptStream(key, { aad }), [pattern(2 * PACKAGE_SIZE)]);
    const b = await run(encryptStream(key, { aad }), [pattern(2 * PACKAGE_SIZE)]);
    const spliced = new Uint8Array([...a.subarray(0, PACKAGE_CIPHER_SIZE), ...b.subarray(PACKAGE_CIPHER_SIZE)]);
    expect((await failure(decrypt(spliced))).message).toBe('package 1: from another stream');
  });

  it('emits nothing of a package that fails authentication', async () => {
    const ciphertext = await encrypt(pattern(3 * PACKAGE_SIZE));
    ciphertext[PACKAGE_CIPHER_SIZE + 100]! ^= 1;
    const reader = decryptStream(new Blob([ciphertext]).stream(), key, { aad, expectFinalAtEnd: true }).getReader();
    let emitted = 0;
    const error = await (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) emitted += r.value.length;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect(emitted).toBeLessThanOrEqual(PACKAGE_SIZE);
  });
});
