// `npm run recover` with keys held by an external KMS (KES, AWS KMS, Vault transit, as spoken by the
// development KMS over TLS) and blobs from a directory or an S3-compatible endpoint.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, PutBucketEncryptionCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, startService } from '../helpers/service';
import { type ExternalBackend, externalEnv } from '../kms/fixtures';
import { recover } from './helpers';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A service on `backend` with objects sealed through the KMS, by a bucket key, and under a client context. */
async function serviceWithObjects(backend: ExternalBackend) {
  const dir = mkdtempSync(join(tmpdir(), `edge-sse-recover-${backend}-`));
  dirs.push(dir);
  const state = join(dir, 'v3');
  const svc = await startService({}, { kms: { backend }, persistTo: state });
  const bodies = new Map<string, Buffer>();
  try {
    await svc.client.send(new CreateBucketCommand({ Bucket: 'ext' }));
    for (const [key, extra] of [
      ['sse-s3', {}],
      ['sse-kms', { ServerSideEncryption: 'aws:kms', SSEKMSEncryptionContext: Buffer.from('{"app":"x"}').toString('base64') }],
      ['bucket-key', { ServerSideEncryption: 'aws:kms', BucketKeyEnabled: true }],
    ] as const) {
      const body = randomBytes(80_000);
      await svc.client.send(new PutObjectCommand({ Bucket: 'ext', Key: key, Body: body, ...extra }));
      bodies.set(key, body);
    }
  } catch (e) {
    await svc.stop();
    throw e;
  }
  const devKms = svc.devKms!;
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') };
  writeFileSync(files.ca, devKms.ca);
  writeFileSync(files.cert, devKms.clientCert);
  writeFileSync(files.key, devKms.clientKey);
  const env = Object.fromEntries(Object.entries(externalEnv(backend, devKms)).map(([k, v]) => [k, String(v)]));
  const tls = ['--kms-ca', files.ca, ...(backend === 'kes' ? ['--kms-cert', files.cert, '--kms-key', files.key] : [])];
  return { svc, dir, state, bodies, env, tls };
}

async function exportAndCompare(dir: string, args: string[], env: Record<string, string>, bodies: Map<string, Buffer>) {
  const out = join(dir, `export-${randomBytes(4).toString('hex')}`);
  const exported = await recover(['export', '--out', out, ...args], env);
  expect(exported.problems).toEqual([]);
  expect(exported.code).toBe(0);
  for (const [key, body] of bodies) expect(sha(readFileSync(join(out, 'ext', key))), key).toBe(sha(body));
}

describe('recover with an external KMS (and, with Vault, blobs from a directory and an S3 endpoint)', () => {
  for (const backend of ['kes', 'aws', 'vault'] as const) {
    it(`opens keys sealed by ${backend}`, async () => {
      const { svc, dir, state, bodies, env, tls } = await serviceWithObjects(backend);
      try {
        const verified = await recover(['verify', '--state', state, ...tls], env);
        expect(verified.problems).toEqual([]);
        expect(verified.summary).toBe('verified 3 objects (240000 bytes): 0 damaged, 0 missing, 0 unopenable');
        await exportAndCompare(dir, ['--state', state, ...tls], env, bodies);
        // Without the KMS's credentials nothing opens, and the tool says why.
        const denied = await recover(['verify', '--state', state, ...tls], { ...env, AWS_KMS_SECRET_ACCESS_KEY: 'wrong', VAULT_TOKEN: 'wrong' });
        if (backend !== 'kes') expect(denied.summary).toBe('verified 3 objects (240000 bytes): 0 damaged, 0 missing, 3 unopenable');
        if (backend === 'vault') await blobsFromElsewhere({ svc, dir, state, bodies, env, tls });
      } finally {
        await svc.stop();
      }
    });
  }
});

/** The R2 bucket copied out as it would be with rclone (DIR/blobs/<uuid>), and into a bucket of an S3 endpoint. */
async function blobsFromElsewhere({ svc, dir, state, bodies, env, tls }: Awaited<ReturnType<typeof serviceWithObjects>>) {
  const copy = join(dir, 'bucket-copy');
  await svc.client.send(new CreateBucketCommand({ Bucket: 'r2-copy' }));
  await svc.client.send(
    new PutBucketEncryptionCommand({ Bucket: 'r2-copy', ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } }),
  );
  const blobs = (await svc.r2.list({ prefix: 'blobs/' })).objects;
  for (const o of blobs) {
    const bytes = Buffer.from(await (await svc.r2.get(o.key))!.arrayBuffer());
    mkdirSync(dirname(join(copy, o.key)), { recursive: true });
    writeFileSync(join(copy, o.key), bytes);
    await svc.client.send(new PutObjectCommand({ Bucket: 'r2-copy', Key: o.key, Body: bytes }));
  }
  const db = ['--state', state];
  await exportAndCompare(dir, [...db, '--blobs', copy, '--bucket', 'ext', ...tls], env, bodies);
  const s3 = ['--s3-endpoint', svc.endpoint, '--s3-bucket', 'r2-copy', '--s3-region', 'us-east-1'];
  await exportAndCompare(dir, [...db, ...s3, '--bucket', 'ext', ...tls], { ...env, S3_ACCESS_KEY_ID: ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY }, bodies);
  rmSync(join(copy, blobs[0]!.key));
  const missing = await recover(['verify', ...db, '--blobs', copy, '--bucket', 'ext', ...tls], env);
  expect(missing.summary).toMatch(/: 0 damaged, 1 missing, 0 unopenable$/);
}
