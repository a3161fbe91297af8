// kmsFromEnv: which backend a worker's bindings select, and clear failures when one is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevKms, startDevKms } from '../../dev-kms/server.mjs';
import { AwsKms } from '../../src/kms/aws';
import { BuiltinKms } from '../../src/kms/builtin';
import { type KmsEnv, kmsFromEnv } from '../../src/kms/config';
import { KesKms } from '../../src/kms/kes';
import { KmsError } from '../../src/kms/kms';
import { VaultKms } from '../../src/kms/vault';
import { externalEnv } from './fixtures';

let devKms: DevKms;
beforeAll(async () => {
  devKms = await startDevKms({ keyIds: ['config-a'] });
});
afterAll(() => devKms?.close());

function notConfigured(env: KmsEnv): string {
  try {
    kmsFromEnv(env);
  } catch (e) {
    expect(e).toBeInstanceOf(KmsError);
    expect((e as KmsError).kind).toBe('not-configured');
    return (e as KmsError).message;
  }
  throw new Error('configured');
}

const object = { mode: 'SSE-KMS' as const, bucket: 'b', key: 'k' };

describe('kmsFromEnv', () => {
  it('keeps the built-in KMS as the default, its first master key sealing', () => {
    const kms = kmsFromEnv({ MASTER_KEY: `m1:${btoa('x'.repeat(32))},m2:${btoa('y'.repeat(32))}` });
    expect(kms).toBeInstanceOf(BuiltinKms);
    expect(kms.defaultKeyId).toBe('m1');
    expect(notConfigured({})).toMatch(/MASTER_KEY is not configured/);
  });

  it('selects each external backend by KMS_BACKEND', () => {
    const fetcher = devKms.fetcher();
    expect(kmsFromEnv(externalEnv('kes', devKms), fetcher)).toBeInstanceOf(KesKms);
    expect(kmsFromEnv(externalEnv('aws', devKms), fetcher)).toBeInstanceOf(AwsKms);
    expect(kmsFromEnv(externalEnv('vault', devKms), fetcher)).toBeInstanceOf(VaultKms);
    expect(kmsFromEnv(externalEnv('vault', devKms), fetcher).defaultKeyId).toBe('config-a');
  });

  it('reaches KES through the KMS_MTLS binding, which presents the client certificate', async () => {
    const kms = kmsFromEnv({ ...externalEnv('kes', devKms), KMS_MTLS: { fetch: devKms.fetcher() } });
    const dataKey = await kms.generateDataKey(kms.defaultKeyId, object);
    expect(await kms.decryptDataKey(dataKey.keyId, dataKey.sealed, object)).toEqual(dataKey.plaintext);
    expect(notConfigured(externalEnv('kes', devKms))).toMatch(/KMS_MTLS/);
  });

  it('refuses a KMS_ENDPOINT over plain http unless it is a loopback address', () => {
    const vault = (KMS_ENDPOINT: string) => ({ ...externalEnv('vault', devKms), KMS_ENDPOINT });
    expect(notConfigured(vault('http://kms.example.com:8200'))).toMatch(/KMS_ENDPOINT must use https/);
    expect(notConfigured(vault('http://10.0.0.5:8200'))).toMatch(/KMS_ENDPOINT must use https/);
    expect(notConfigured({ ...externalEnv('aws', devKms), KMS_ENDPOINT: 'http://kms.us-east-1.amazonaws.com' })).toMatch(/KMS_ENDPOINT must use https/);
    expect(notConfigured(vault('kms.example.com'))).toMatch(/KMS_ENDPOINT is not a URL/);
    for (const loopback of ['http://127.0.0.1:8200', 'http://localhost:8200', 'http://[::1]:8200', 'https://kms.example.com']) {
      expect(kmsFromEnv(vault(loopback), devKms.fetcher())).toBeInstanceOf(VaultKms);
    }
  });

  it('points the AWS backend at the region endpoint unless KMS_ENDPOINT says otherwise', async () => {
    const seen: string[] = [];
    const kms = kmsFromEnv({ ...externalEnv('aws', devKms), KMS_ENDPOINT: '', KMS_ATTEMPTS: '1' }, async (request) => {
      seen.push(request.url);
      return new Response('{"__type":"AccessDeniedException"}', { status: 400 });
    });
    await expect(kms.describeKey('k')).rejects.toMatchObject({ kind: 'access-denied' });
    expect(seen).toEqual([`https://kms.${devKms.region}.amazonaws.com/`]);
  });

  it('names what is missing or wrong', () => {
    expect(notConfigured({ KMS_BACKEND: 'hsm' })).toMatch(/not one of builtin, kes, aws, vault/);
    expect(notConfigured({ ...externalEnv('vault', devKms), VAULT_TOKEN: ' ' })).toMatch(/VAULT_TOKEN is not configured/);
    expect(notConfigured({ ...externalEnv('aws', devKms), KMS_DEFAULT_KEY_ID: undefined })).toMatch(/KMS_DEFAULT_KEY_ID/);
    expect(notConfigured({ ...externalEnv('aws', devKms), AWS_KMS_REGION: undefined })).toMatch(/AWS_KMS_REGION/);
    expect(notConfigured({ ...externalEnv('aws', devKms), KMS_TIMEOUT_MS: '1.5' })).toMatch(/KMS_TIMEOUT_MS must be a positive integer/);
  });
});
