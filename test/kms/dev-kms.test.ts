// The development KMS itself: faults set over HTTP, and keys and certificates kept in stateDir.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevKms } from '../../dev-kms/server.mjs';
import { externalKms } from './fixtures';

const stateDir = mkdtempSync(join(tmpdir(), 'edge-sse-dev-kms-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const object = { mode: 'SSE-KMS' as const, bucket: 'b', key: 'k' };

describe('development KMS', () => {
  it('takes faults over HTTP at /_faults', async () => {
    const devKms = await startDevKms();
    try {
      const post = (body: unknown) => devKms.fetcher()(new Request(`${devKms.origin}/_faults`, { method: 'POST', body: JSON.stringify(body) }));
      expect(await (await post({ mode: 'slow', delayMs: 50, count: 2 })).json()).toEqual({ mode: 'slow', delayMs: 50, remaining: 2 });
      expect(devKms.faults.current.mode).toBe('slow');
      expect((await post({ mode: 'broken' })).status).toBe(400);
      await post({ mode: 'none' });
      expect(devKms.faults.current).toEqual({ mode: 'none', delayMs: 10_000, remaining: null });
    } finally {
      await devKms.close();
    }
  });

  it('keeps keys and certificates across a restart when given a state folder', async () => {
    const first = await startDevKms({ stateDir, keyIds: ['kept'] });
    const sealed = await externalKms('aws', first, first.fetcher()).generateDataKey('kept', object);
    const ca = first.ca;
    await first.close();
    expect(readdirSync(stateDir).sort()).toEqual(['ca.pem', 'client-cert.pem', 'client-key.pem', 'keys.json', 'server-cert.pem', 'server-key.pem']);

    const second = await startDevKms({ stateDir, keyIds: ['kept'] });
    try {
      expect(second.ca).toBe(ca);
      expect(await externalKms('aws', second, second.fetcher()).decryptDataKey(sealed.keyId, sealed.sealed, object)).toEqual(sealed.plaintext);
    } finally {
      await second.close();
    }
  });
});
