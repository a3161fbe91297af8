// Re-wrap through `npm run admin -- rewrap` (tools/admin/rewrap.mjs → POST /_admin/rewrap) against MinIO KES as
// spoken by the development KMS: key material moves to another KMS key, object data stays untouched,
// and objects keep reading once the old key is gone.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';
import { ROOT } from './helpers/paths';
import { backend } from './kms/fixtures';

const run = promisify(execFile);
let svc: Service;
const bucket = 'rewrap-bucket';
const customerKey = randomBytes(32);
const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey.toString('base64') } as const;

beforeAll(async () => {
  svc = await startService({ KMS_CACHE_TTL_SECONDS: '1' }, { kms: { backend: 'kes', devKms: { keyIds: ['key-one', 'key-two'] } } });
  await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
}, 60_000);
afterAll(() => svc?.stop());

/** The admin CLI's rewrap: totals (JSON on stdout), progress (stderr) and exit status. */
const rewrap = async (...args: string[]) => {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY };
  const { stdout, stderr, code } = await run(process.execPath, [`${ROOT}tools/admin/main.mjs`, 'rewrap', '--endpoint', svc.endpoint, ...args], { env }).then(
    (r) => ({ ...r, code: 0 }),
    (e: { stdout: string; stderr: string; code: number }) => e,
  );
  return { totals: code === 0 || code === 3 ? JSON.parse(stdout) : null, progress: stderr, code };
};
const read = async (Key: string, extra: Record<string, unknown> = {}) =>
  Buffer.from(await (await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key, ...extra }))).Body!.transformToByteArray());
/** A new access key that may read objects. */
async function createUser(): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const admin = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, service: 's3', region: 'us-east-1' });
  const policy = { Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' } };
  const response = await admin.fetch(`${svc.endpoint}/_admin/users`, { method: 'POST', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, body: JSON.stringify({ name: 'reader', policy }) });
  return response.json();
}
/** What the health report counts under each KMS key (keys that protect nothing are left out). */
async function keyCounts(): Promise<Record<string, { objects: number; uploads: number }>> {
  const admin = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, service: 's3', region: 'us-east-1' });
  const { keys } = (await (await admin.fetch(`${svc.endpoint}/_admin/health`)).json()) as { keys: { kmsKeyId: string; objects: number; uploads: number }[] };
  return Object.fromEntries(keys.filter((k) => k.objects || k.uploads).map((k) => [k.kmsKeyId, { objects: k.objects, uploads: k.uploads }]));
}
const sealedKeys = async () => (await svc.db.prepare('SELECT key, kek_id, hex(sealed_key) FROM objects ORDER BY key').all()).results;
const blobs = async () => (await svc.r2.list({ prefix: 'blobs/' })).objects.map((o) => `${o.key}:${o.etag}`).sort();

describe('re-wrap', () => {
  it('moves every KMS-sealed key to another KMS key in resumable batches, touching no object data', async () => {
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 7; i++) {
      const body = randomBytes(1000 + i);
      bodies.set(`kms/${i}`, body);
      await svc.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `kms/${i}`,
          Body: body,
          ServerSideEncryption: 'aws:kms',
          ...(i === 3 ? { SSEKMSEncryptionContext: Buffer.from('{"team":"blue"}').toString('base64') } : {}),
          ...(i === 5 ? { BucketKeyEnabled: true } : {}),
        }),
      );
    }
    bodies.set('s3', randomBytes(500));
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 's3', Body: bodies.get('s3') }));
    bodies.set('ssec', randomBytes(500));
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'ssec', Body: bodies.get('ssec'), ...ssec }));
    const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'pending', ServerSideEncryption: 'aws:kms' }));
    const part = randomBytes(2000);
    const { ETag } = await svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'pending', UploadId, PartNumber: 1, Body: part }));
    // An SSE-C upload: its parts-manifest key is sealed under the KMS's default key (key-one).
    const ssecUpload = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'pending-ssec', ...ssec }));
    const ssecPart = randomBytes(3000);
    const ssecEtag = (await svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'pending-ssec', UploadId: ssecUpload.UploadId, PartNumber: 1, Body: ssecPart, ...ssec }))).ETag;
    const user = await createUser();
    const before = await blobs();
    expect((await keyCounts())['key-one']).toEqual({ objects: 8, uploads: 2 });

    const { totals, progress, code } = await rewrap('--key-id', 'key-two', '--batch', '3');
    // 6 objects sealed by the KMS, 1 SSE-S3 object, 1 upload, 1 bucket key (which seals kms/5), 1 access key's secret,
    // 1 SSE-C upload's manifest key.
    expect(code).toBe(0);
    expect(totals).toMatchObject({ examined: 11, rewrapped: 11, skipped: 0, failed: 0, failures: [] });
    expect(progress.trim().split('\n')).toEqual([
      expect.stringMatching(/^examined 3\/11, re-wrapped 3, skipped 0, failed 0; cursor '\[2,.*\]'$/),
      expect.stringMatching(/^examined 6\/11, re-wrapped 6, .*; cursor '/),
      expect.stringMatching(/^examined 9\/11, re-wrapped 9, .*; cursor '/),
      'examined 11/11, re-wrapped 11, skipped 0, failed 0; done',
    ]);
    expect(await blobs()).toEqual(before);
    expect((await keyCounts())['key-one']).toBeUndefined();

    // The old key goes: everything must now open under key-two.
    await backend('kes', svc.devKms!).deleteKey('key-one');
    await new Promise((r) => setTimeout(r, 1100));
    for (const [key, body] of bodies) expect((await read(key, key === 'ssec' ? ssec : {})).equals(body)).toBe(true);
    expect((await svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'kms/0' }))).SSEKMSKeyId).toBe('key-two');
    // The access key's secret, never used before, opens under key-two.
    const asUser = new S3Client({ endpoint: svc.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: user });
    expect(await (await asUser.send(new GetObjectCommand({ Bucket: bucket, Key: 's3' }))).Body!.transformToByteArray()).toEqual(new Uint8Array(bodies.get('s3')!));
    asUser.destroy();
    await svc.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'pending', UploadId, MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] } }));
    expect((await read('pending')).equals(part)).toBe(true);
    // Completed without the SSE-C key, as the aws CLI does: the manifest key opens under key-two.
    const parts = { Parts: [{ ETag: ssecEtag, PartNumber: 1 }] };
    await svc.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'pending-ssec', UploadId: ssecUpload.UploadId, MultipartUpload: parts }));
    expect((await read('pending-ssec', ssec)).equals(ssecPart)).toBe(true);

    expect((await rewrap('--key-id', 'key-two')).totals).toMatchObject({ rewrapped: 0, skipped: 0, failed: 0 });
  });

  it('checks the target key before re-sealing anything', async () => {
    const before = await sealedKeys();
    const { progress, code } = await rewrap('--key-id', 'key-one'); // deleted above
    expect(code).toBe(1);
    expect(progress).toMatch(/^error: KMS\.NotFoundException: /);
    expect(await sealedKeys()).toEqual(before);
  });

  it('reports the rows it cannot re-wrap and re-wraps the rest', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'damaged', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-two' }));
    await svc.db.prepare("UPDATE objects SET sealed_key = zeroblob(length(sealed_key)) WHERE key = 'damaged'").run();
    const { totals, code } = await rewrap('--key-id', 'key-two', '--all');
    expect(code).toBe(3);
    expect(totals.failed).toBe(1);
    expect(totals.rewrapped).toBe(totals.examined - 1);
    expect(totals.failures).toEqual([{ table: 'objects', bucket, key: 'damaged', id: '', kekId: 'key-two', error: expect.stringMatching(/^[a-z-]+: /) }]);
  });

  it('refuses unauthenticated and malformed requests', async () => {
    const anonymous = await fetch(`${svc.endpoint}/_admin/rewrap`, { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(403);
    const bad = await rewrap('--batch', '0');
    expect(bad.code).toBe(2);
    expect(bad.progress).toMatch(/--batch must be an integer from 1 to 1000/);
  });
});
