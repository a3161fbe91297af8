// What is particular to Vault transit: key versions and rewrap, and the derived keys the context needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevKms, startDevKms } from '../../dev-kms/server.mjs';
import type { Kms } from '../../src/kms/kms';
import { externalKms } from './fixtures';

let devKms: DevKms;
let kms: Kms;
beforeAll(async () => {
  devKms = await startDevKms({ keyIds: ['vault-a'] });
  kms = externalKms('vault', devKms, devKms.fetcher());
});
afterAll(() => devKms?.close());

const object = { mode: 'SSE-KMS' as const, bucket: 'b', key: 'k' };
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function transit(path: string, body: unknown): Promise<Response> {
  const request = new Request(`${devKms.origin}/v1/${devKms.vaultMount}/${path}`, {
    method: 'POST',
    headers: { 'x-vault-token': devKms.vaultToken },
    body: JSON.stringify(body),
  });
  return devKms.fetcher()(request);
}

describe('Vault transit backend', () => {
  it('re-wraps to the newest key version after a rotation; older versions still open', async () => {
    const first = await kms.generateDataKey('vault-a', object);
    expect(text(first.sealed)).toMatch(/^vault:v1:/);
    expect((await transit('keys/vault-a/rotate', {})).status).toBe(204);
    const rewrapped = await kms.rewrapDataKey('vault-a', first.sealed, object, 'vault-a');
    expect(text(rewrapped.sealed)).toMatch(/^vault:v2:/);
    expect(await kms.decryptDataKey('vault-a', rewrapped.sealed, object)).toEqual(first.plaintext);
    expect(await kms.decryptDataKey('vault-a', first.sealed, object)).toEqual(first.plaintext);
  });

  it('refuses a key that is not derived: Vault would ignore the context', async () => {
    expect((await transit('keys/plain', { derived: false })).status).toBe(204);
    await expect(kms.describeKey('plain')).rejects.toMatchObject({ kind: 'not-configured' });
  });

  it('refuses deletion until the key allows it', async () => {
    const refused = await devKms.fetcher()(
      new Request(`${devKms.origin}/v1/${devKms.vaultMount}/keys/vault-a`, { method: 'DELETE', headers: { 'x-vault-token': devKms.vaultToken } }),
    );
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ errors: ['deletion is not allowed for this key'] });
  });
});
