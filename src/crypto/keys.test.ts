import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KeyError,
  bindingBytes,
  deriveKek,
  manifestBytes,
  manifestMac,
  randomKey,
  sealKey,
  ssecKeyFingerprint,
  timingSafeEqual,
  unsealKey,
  type KeyBinding,
} from './keys';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const binding: KeyBinding = { mode: 'SSE-S3', bucket: 'photos', key: '2024/cat.jpg' };

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('randomKey', () => {
  it('returns 32 fresh bytes', () => {
    expect(randomKey()).toHaveLength(32);
    expect(hex(randomKey())).not.toBe(hex(randomKey()));
  });
});

describe('bindingBytes', () => {
  it('is length-prefixed and versioned', () => {
    const b = bindingBytes({ mode: 'SSE-C', bucket: 'b', key: 'k' });
    const text = (s: string) => [0, 0, 0, s.length, ...new TextEncoder().encode(s)];
    expect([...b]).toEqual([...text('edge-sse binding v1'), ...text('SSE-C'), ...text('b'), ...text('k'), ...text('')]);
  });

  it('cannot be made equal by moving characters between fields', () => {
    const a = bindingBytes({ mode: 'SSE-S3', bucket: 'ab', key: 'c' });
    const b = bindingBytes({ mode: 'SSE-S3', bucket: 'a', key: 'bc' });
    expect(hex(a)).not.toBe(hex(b));
  });

  it('encodes keys as UTF-8', () => {
    const b = bindingBytes({ mode: 'SSE-S3', bucket: 'b', key: 'ключ' });
    expect(hex(b)).toContain('00000008' + hex(new TextEncoder().encode('ключ')));
  });
});

describe('sealKey / unsealKey', () => {
  it('round-trips and has the documented layout', async () => {
    const kek = randomKey();
    const dataKey = randomKey();
    const sealed = await sealKey(kek, dataKey, binding);
    expect(sealed).toHaveLength(61);
    expect(sealed[0]).toBe(1);
    expect(await unsealKey(kek, sealed, binding)).toEqual(dataKey);
    expect(hex(await sealKey(kek, dataKey, binding))).not.toBe(hex(sealed)); // fresh nonce
  });

  it('fails with the wrong kek', async () => {
    const sealed = await sealKey(randomKey(), randomKey(), binding);
    const error = await rejection(unsealKey(randomKey(), sealed, binding));
    expect(error).toBeInstanceOf(KeyError);
    expect((error as KeyError).message).toBe('sealed key does not open: wrong key or object');
  });

  const moved: [string, KeyBinding][] = [
    ['another bucket', { ...binding, bucket: 'photos2' }],
    ['another key', { ...binding, key: '2024/dog.jpg' }],
    ['another mode', { ...binding, mode: 'SSE-C' }],
    ['another KMS key id', { ...binding, kmsKeyId: 'arn:aws:kms:x' }],
  ];
  for (const [name, other] of moved) {
    it(`fails when moved to ${name}`, async () => {
      const kek = randomKey();
      const sealed = await sealKey(kek, randomKey(), binding);
      expect(await rejection(unsealKey(kek, sealed, other))).toBeInstanceOf(KeyError);
    });
  }

  it('fails when any byte is tampered', async () => {
    const kek = randomKey();
    const sealed = await sealKey(kek, randomKey(), binding);
    for (let i = 0; i < sealed.length; i++) {
      const tampered = sealed.slice();
      tampered[i] ^= 0x01;
      expect(await rejection(unsealKey(kek, tampered, binding)), `byte ${i}`).toBeInstanceOf(KeyError);
    }
    expect(await rejection(unsealKey(kek, sealed.subarray(0, 60), binding))).toBeInstanceOf(KeyError);
  });
});

describe('ssecKeyFingerprint', () => {
  it('is stable and depends on key and salt', async () => {
    const clientKey = randomKey();
    const salt = randomKey();
    const fingerprint = await ssecKeyFingerprint(clientKey, salt);
    expect(fingerprint).toHaveLength(32);
    expect(timingSafeEqual(fingerprint, await ssecKeyFingerprint(clientKey.slice(), salt.slice()))).toBe(true);
    expect(timingSafeEqual(fingerprint, await ssecKeyFingerprint(clientKey, randomKey()))).toBe(false);
    expect(timingSafeEqual(fingerprint, await ssecKeyFingerprint(randomKey(), salt))).toBe(false);
  });

  it('is HMAC-SHA256(key = salt, message = client key) (RFC 4231 case 2)', async () => {
    const fingerprint = await ssecKeyFingerprint(new TextEncoder().encode('what do ya want for nothing?'), new TextEncoder().encode('Jefe'));
    expect(hex(fingerprint)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe('deriveKek', () => {
  it('is deterministic and separates labels and contexts', async () => {
    const master = randomKey();
    const context = bindingBytes(binding);
    const kek = await deriveKek(master, 'SSE-S3', context);
    expect(kek).toHaveLength(32);
    expect(await deriveKek(master, 'SSE-S3', context)).toEqual(kek);
    expect(hex(await deriveKek(master, 'SSE-C', context))).not.toBe(hex(kek));
    expect(hex(await deriveKek(master, 'SSE-S3', bindingBytes({ ...binding, key: 'x' })))).not.toBe(hex(kek));
    expect(hex(await deriveKek(randomKey(), 'SSE-S3', context))).not.toBe(hex(kek));
  });

  it('is HKDF-SHA256 with empty salt and info = u32 length || label || context', async () => {
    // The same bits from bare WebCrypto with the info framing spelled out (docs/KEYS.md).
    const ikm = new Uint8Array(22).fill(0x0b);
    const rfc = await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new Uint8Array([0, 0, 0, 1, 0x41, 0xff]) },
      await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']),
      256,
    );
    expect(await deriveKek(ikm, 'A', new Uint8Array([0xff]))).toEqual(new Uint8Array(rfc));
  });
});

describe('timingSafeEqual', () => {
  it('compares contents and lengths', () => {
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

describe('manifestBytes / manifestMac', () => {
  it('has the documented layout', () => {
    const salt = Uint8Array.from({ length: 16 }, (_, i) => i);
    const bytes = manifestBytes([{ partNumber: 2, size: 5 * 2 ** 32 + 7, salt }, { partNumber: 9, size: 1, salt: null }]);
    expect(hex(bytes)).toBe(
      '00000002' + '00000002' + '0000000500000007' + '00000010' + hex(salt) + '00000009' + '0000000000000001' + '00000000',
    );
  });

  it('differs for any change of number, order, size or salt of the parts', async () => {
    const key = randomKey();
    const part = fc.record({ partNumber: fc.integer({ min: 1, max: 10_000 }), size: fc.nat(), salt: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 })) });
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 6 }), fc.array(part, { maxLength: 6 }), async (a, b) => {
        fc.pre(hex(manifestBytes(a)) !== hex(manifestBytes(b)));
        expect(hex(await manifestMac(key, a))).not.toBe(hex(await manifestMac(key, b)));
      }),
      { seed: 3, numRuns: 200 },
    );
  });
});
