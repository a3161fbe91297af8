// The external backends inside workerd (Miniflare), over real TLS to the development KMS: KES
// through a service standing in for the mtls_certificates binding (it presents the client
// certificate), AWS and Vault through the worker's global fetch, trusting the dev CA.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevKms, startDevKms } from '../../dev-kms/server.mjs';
import { ROOT } from '../helpers/paths';
import { type TempDir, inTempDir } from '../helpers/temp';
import { externalEnv } from './fixtures';

let devKms: DevKms;
let mf: Miniflare;
let dir: TempDir | undefined;
let worker: URL;
// Inside the checkout: workerd refuses module paths that climb out of its working directory.
const scriptPath = `${ROOT}.build/kms-probe.js`;

beforeAll(async () => {
  devKms = await startDevKms({ keyIds: ['workerd-a'] });
  await build({ entryPoints: [new URL('./worker/kms-probe.ts', import.meta.url).pathname], outfile: scriptPath, bundle: true, format: 'esm', platform: 'neutral', logLevel: 'warning' });
  const trust = { trustedCertificates: [devKms.ca] };
  // workerd reaches loopback only where allowed: the dev KMS is there.
  const network = (tlsOptions: object) => ({ network: { allow: ['local'], tlsOptions } });
  const bindings = { ...externalEnv('aws', devKms), ...externalEnv('vault', devKms), KMS_TIMEOUT_MS: '3000' };
  ({ value: mf, dir } = inTempDir('miniflare', () => new Miniflare({
    modules: true,
    scriptPath,
    compatibilityDate: /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync(`${ROOT}wrangler.toml`, 'utf8'))![1],
    bindings: bindings as Record<string, string>,
    serviceBindings: { KMS_MTLS: network({ ...trust, keypair: { privateKey: devKms.clientKey, certificateChain: devKms.clientCert } }) },
    outboundService: network(trust),
  })));
  worker = await mf.ready;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  dir?.remove();
  await devKms?.close();
});

async function probe(query: string): Promise<Record<string, unknown>> {
  return (await fetch(new URL(`/?${query}`, worker))).json();
}

describe.each(['kes', 'aws', 'vault'] as const)('%s KMS in workerd', (backend) => {
  it('generates and decrypts a data key over TLS', async () => {
    const before = devKms.stats()[backend];
    const body = await probe(`backend=${backend}`);
    expect(body, JSON.stringify(body)).toMatchObject({ roundTrip: true, keyId: expect.stringMatching(/workerd-a$/) });
    expect(devKms.stats()[backend] - before).toBe(2);
  });
});

it('KES refuses a worker that presents no client certificate', async () => {
  expect(await probe('backend=kes&mtls=none')).toMatchObject({ kind: 'access-denied' });
});
