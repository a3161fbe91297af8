// One conformance suite for every KMS backend: the built-in one, and KES, AWS KMS and Vault transit
// through the development KMS over real HTTPS (docs/KMS.md). Faults apply to the external ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevKms, startDevKms } from '../../dev-kms/server.mjs';
import type { KeyBinding } from '../../src/crypto/keys';
import { type Kms, KmsError, type KmsErrorKind } from '../../src/kms/kms';
import { BACKENDS, type Backend, type ExternalBackend, backend, externalKms } from './fixtures';

let devKms: DevKms;
beforeAll(async () => {
  devKms = await startDevKms({ keyIds: ['conformance-a', 'conformance-b'] });
});
afterAll(() => devKms?.close());

const object: KeyBinding = { mode: 'SSE-KMS', bucket: 'photos', key: 'holiday/beach.jpg' };

async function failure(promise: Promise<unknown>): Promise<KmsError> {
  const e = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(KmsError);
  return e as KmsError;
}

async function expectKind(promise: Promise<unknown>, kind: KmsErrorKind): Promise<void> {
  const e = await failure(promise);
  expect(e.kind, e.message).toBe(kind);
}

/** A different byte near the end: inside the authentication tag (or its base64) on every backend. */
function tamper(sealed: Uint8Array): Uint8Array {
  const copy = sealed.slice();
  const at = copy.length - 6;
  copy[at] = copy[at] === 0x41 ? 0x42 : 0x41;
  return copy;
}

describe.each(BACKENDS)('%s KMS', (name) => {
  let b: Backend;
  let kms: Kms;
  beforeAll(() => {
    b = backend(name, devKms);
    kms = b.kms();
  });

  it('generates a 256-bit data key that decrypts again, sealed so it does not show', async () => {
    const dataKey = await kms.generateDataKey(kms.defaultKeyId, object);
    expect(dataKey.plaintext).toHaveLength(32);
    expect(Buffer.from(dataKey.sealed).includes(Buffer.from(dataKey.plaintext))).toBe(false);
    expect(dataKey.keyId).toBe((await kms.describeKey(kms.defaultKeyId)).keyId);
    expect(await kms.decryptDataKey(dataKey.keyId, dataKey.sealed, object)).toEqual(dataKey.plaintext);
    const other = await kms.generateDataKey(kms.defaultKeyId, object);
    expect(other.plaintext).not.toEqual(dataKey.plaintext);
  });

  it('binds the data key to bucket, key and mode: any other object is not authentic', async () => {
    const { sealed, keyId } = await kms.generateDataKey(kms.defaultKeyId, object);
    for (const moved of [{ ...object, key: 'holiday/beach2.jpg' }, { ...object, bucket: 'photos2' }, { ...object, mode: 'SSE-S3' as const }]) {
      await expectKind(kms.decryptDataKey(keyId, sealed, moved), 'not-authentic');
    }
  });

  it("binds the client's encryption context, whatever the order of its pairs", async () => {
    const context = { department: 'finance', 'project-42': 'x' };
    const { sealed, keyId, plaintext } = await kms.generateDataKey(kms.defaultKeyId, object, context);
    expect(await kms.decryptDataKey(keyId, sealed, object, { 'project-42': 'x', department: 'finance' })).toEqual(plaintext);
    await expectKind(kms.decryptDataKey(keyId, sealed, object, { ...context, department: 'sales' }), 'not-authentic');
    await expectKind(kms.decryptDataKey(keyId, sealed, object), 'not-authentic');
  });

  it('refuses client context names in the reserved edge-sse: namespace', async () => {
    await expectKind(kms.generateDataKey(kms.defaultKeyId, object, { 'edge-sse:bucket': 'other' }), 'rejected');
  });

  it('finds a tampered sealed key not authentic', async () => {
    const { sealed, keyId } = await kms.generateDataKey(kms.defaultKeyId, object);
    await expectKind(kms.decryptDataKey(keyId, tamper(sealed), object), 'not-authentic');
  });

  it('answers an unknown key with key-not-found', async () => {
    await expectKind(kms.generateDataKey('no-such-key', object), 'key-not-found');
    await expectKind(kms.describeKey('no-such-key'), 'key-not-found');
    const { sealed } = await kms.generateDataKey(kms.defaultKeyId, object);
    await expectKind(kms.decryptDataKey('no-such-key', sealed, object), 'key-not-found');
  });

  it('describes a usable key as enabled', async () => {
    expect((await kms.describeKey(kms.defaultKeyId)).enabled).toBe(true);
  });

  it('re-wraps a data key under another key and under the same one', async () => {
    const other = devKms.keyIds[1];
    const { sealed, keyId, plaintext } = await kms.generateDataKey(kms.defaultKeyId, object, { tag: 'a' });
    const moved = await kms.rewrapDataKey(keyId, sealed, object, other, { tag: 'a' });
    expect(moved.keyId).toBe((await kms.describeKey(other)).keyId);
    expect(await kms.decryptDataKey(moved.keyId, moved.sealed, object, { tag: 'a' })).toEqual(plaintext);
    const again = await kms.rewrapDataKey(moved.keyId, moved.sealed, object, moved.keyId, { tag: 'a' });
    expect(await kms.decryptDataKey(again.keyId, again.sealed, object, { tag: 'a' })).toEqual(plaintext);
    await expectKind(kms.rewrapDataKey(keyId, sealed, { ...object, key: 'elsewhere' }, other, { tag: 'a' }), 'not-authentic');
  });

  it('cannot open what a deleted key sealed: secure erasure', async () => {
    const keyId = await b.createKey();
    const { sealed, keyId: sealedBy } = await b.kms().generateDataKey(keyId, object);
    const kind = await b.deleteKey(keyId);
    const after = b.kms();
    await expectKind(after.decryptDataKey(sealedBy, sealed, object), kind);
    await expectKind(after.generateDataKey(keyId, object), kind);
  });
});

describe.each(['kes', 'aws', 'vault'] as const)('%s KMS faults', (name: ExternalBackend) => {
  let kms: Kms;
  beforeAll(() => {
    kms = externalKms(name, devKms, devKms.fetcher());
  });

  /** Requests the dev KMS saw for this protocol while `run` ran. */
  async function counted(run: () => Promise<unknown>): Promise<number> {
    const before = devKms.stats()[name];
    await run();
    return devKms.stats()[name] - before;
  }

  it('answers "unavailable" fast when the KMS drops connections, after bounded retries', async () => {
    devKms.faults.set({ mode: 'down' });
    try {
      const started = Date.now();
      expect(await counted(() => expectKind(kms.generateDataKey(kms.defaultKeyId, object), 'unavailable'))).toBe(3);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      devKms.faults.set({ mode: 'none' });
    }
  });

  it('answers "unavailable" when nothing listens', async () => {
    const nowhere = externalKms(name, devKms, devKms.fetcher(), { KMS_ENDPOINT: 'https://127.0.0.1:1' });
    await expectKind(nowhere.describeKey(devKms.defaultKeyId), 'unavailable');
  });

  it('gives up on a KMS slower than the timeout', async () => {
    const impatient = externalKms(name, devKms, devKms.fetcher(), { KMS_TIMEOUT_MS: '250' });
    devKms.faults.set({ mode: 'slow', delayMs: 5000 });
    try {
      const started = Date.now();
      await expectKind(impatient.decryptDataKey(impatient.defaultKeyId, new Uint8Array(64), object), 'unavailable');
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(3 * 250);
      expect(elapsed).toBeLessThan(2500);
    } finally {
      devKms.faults.set({ mode: 'none' });
    }
  });

  it('retries 5xx answers, then answers "unavailable"', async () => {
    devKms.faults.set({ mode: '5xx' });
    try {
      expect(await counted(() => expectKind(kms.generateDataKey(kms.defaultKeyId, object), 'unavailable'))).toBe(3);
    } finally {
      devKms.faults.set({ mode: 'none' });
    }
  });

  it('rides out a single 5xx with a retry', async () => {
    devKms.faults.set({ mode: '5xx', count: 1 });
    expect(await counted(() => kms.generateDataKey(kms.defaultKeyId, object))).toBe(2);
    expect(devKms.faults.current.mode).toBe('none');
  });

  it('answers bad credentials with access-denied, without retrying', async () => {
    const denied = {
      kes: () => externalKms('kes', devKms, devKms.fetcher({ clientCertificate: false })),
      aws: () => externalKms('aws', devKms, devKms.fetcher(), { AWS_KMS_SECRET_ACCESS_KEY: 'not-the-secret' }),
      vault: () => externalKms('vault', devKms, devKms.fetcher(), { VAULT_TOKEN: 'not-the-token' }),
    }[name]();
    expect(await counted(() => expectKind(denied.generateDataKey(denied.defaultKeyId, object), 'access-denied'))).toBe(1);
  });
});
