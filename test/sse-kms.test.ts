// SSE-KMS through the JS SDK against every KMS backend: the built-in master keys, and MinIO KES,
// AWS KMS and Vault transit as spoken by the development KMS over real TLS (mTLS for KES).
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { type Service, startService } from './helpers/service';
import { type BackendName, type ExternalBackend, backend } from './kms/fixtures';

const KEYS = ['key-one', 'key-two'];
const bucket = 'kms-bucket';

describe.each(['builtin', 'kes', 'aws', 'vault'] as BackendName[])('SSE-KMS with the %s KMS', (name) => {
  let svc: Service;
  /** The id the KMS reports for a key name (AWS: its ARN). */
  const reported = (id: string) => (name === 'aws' ? expect.stringMatching(new RegExp(`^arn:aws:kms:.*:key/.*$`)) : id);

  beforeAll(async () => {
    svc =
      name === 'builtin'
        ? await startService({ MASTER_KEY: KEYS.map((k, i) => `${k}:${Buffer.alloc(32, i + 9).toString('base64')}`).join(','), KMS_CACHE_TTL_SECONDS: '1' })
        : await startService({ KMS_CACHE_TTL_SECONDS: '1' }, { kms: { backend: name as ExternalBackend, devKms: { keyIds: KEYS } } });
    await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
  }, 60_000);
  afterAll(() => svc?.stop());

  const get = async (Key: string, extra: Record<string, unknown> = {}) => {
    const got = await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key, ...extra }));
    return { got, body: Buffer.from(await got.Body!.transformToByteArray()) };
  };

  it('encrypts under the default key and echoes it on PUT, GET and HEAD', async () => {
    const body = randomBytes(100_000);
    const put = await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'default-key', Body: body, ServerSideEncryption: 'aws:kms' }));
    expect(put.ServerSideEncryption).toBe('aws:kms');
    expect(put.SSEKMSKeyId).toEqual(reported('key-one'));
    // As in AWS, the ETag of an SSE-KMS object is not the MD5 of its data.
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(put.ETag).not.toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    const { got, body: back } = await get('default-key', { Range: 'bytes=65530-65545' });
    expect(back.equals(body.subarray(65530, 65546))).toBe(true);
    expect([got.ServerSideEncryption, got.SSEKMSKeyId]).toEqual(['aws:kms', reported('key-one')]);
    const head = await svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'default-key' }));
    expect(head.SSEKMSKeyId).toEqual(reported('key-one'));
  });

  it('uses a named key and an encryption context, and echoes both', async () => {
    const context = Buffer.from(JSON.stringify({ project: 'apollo', '00123': '1e5' })).toString('base64');
    const keyId = name === 'aws' ? (await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'probe', Body: 'p', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-two' }))).SSEKMSKeyId! : 'key-two';
    const put = await svc.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'named', Body: 'secret', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId, SSEKMSEncryptionContext: context }),
    );
    expect(put.SSEKMSKeyId).toEqual(reported('key-two'));
    expect(JSON.parse(Buffer.from(put.SSEKMSEncryptionContext!, 'base64').toString())).toEqual({ project: 'apollo', '00123': '1e5' });
    const { got, body } = await get('named');
    expect(body.toString()).toBe('secret');
    expect(got.SSEKMSKeyId).toEqual(reported('key-two'));
  });

  it('refuses an unknown key with KMS.NotFoundException, storing nothing', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept', Body: 'previous', ServerSideEncryption: 'aws:kms' }));
    expect(await s3Error(svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept', Body: 'new', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'no-such-key' })))).toEqual({
      name: 'KMS.NotFoundException',
      status: 400,
    });
    expect((await get('kept')).body.toString()).toBe('previous');
    expect(await s3Error(svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept', Body: 'new', SSEKMSKeyId: 'key-one' })))).toEqual({ name: 'InvalidArgument', status: 400 });
  });

  it("answers KMS failures with AWS's generic messages, never the KMS's own text", async () => {
    const message = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);
    const unknown = await message(svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'm', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'no-such-key' })));
    expect(unknown).toBe('The specified KMS key does not exist.');
    if (name !== 'builtin') {
      svc.devKms!.faults.set({ mode: '5xx' });
      try {
        expect(await message(svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'm', Body: 'x', ServerSideEncryption: 'aws:kms' })))).toBe('The KMS is unavailable; nothing was written. Please retry.');
      } finally {
        svc.devKms!.faults.set({ mode: 'none' });
      }
    }
  });

  it('applies a bucket default of aws:kms, after checking its key exists', async () => {
    const b = 'kms-default';
    await svc.client.send(new CreateBucketCommand({ Bucket: b }));
    const config = (KMSMasterKeyID: string) => ({
      Bucket: b,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' as const, KMSMasterKeyID } }] },
    });
    expect(await s3Error(svc.client.send(new PutBucketEncryptionCommand(config('no-such-key'))))).toEqual({ name: 'KMS.NotFoundException', status: 400 });
    await svc.client.send(new PutBucketEncryptionCommand(config('key-two')));
    const stored = await svc.client.send(new GetBucketEncryptionCommand({ Bucket: b }));
    expect(stored.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'key-two' });
    const put = await svc.client.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'by default' }));
    expect([put.ServerSideEncryption, put.SSEKMSKeyId]).toEqual(['aws:kms', reported('key-two')]);
    const got = await svc.client.send(new GetObjectCommand({ Bucket: b, Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('by default');
  });

  it('encrypts multipart uploads and re-wraps in place under another key', async () => {
    const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp', ServerSideEncryption: 'aws:kms' }));
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(77)];
    const etags: string[] = [];
    for (const [i, Body] of parts.entries()) etags.push((await svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp', UploadId, PartNumber: i + 1, Body }))).ETag!);
    await svc.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
    const blobs = async () => (await svc.r2.list({ prefix: 'blobs/' })).objects.map((o) => o.key).sort();
    const before = await blobs();
    const target = name === 'aws' ? (await svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'named' }))).SSEKMSKeyId! : 'key-two';
    const copied = await svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'mp', CopySource: `${bucket}/mp`, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: target }));
    expect(copied.SSEKMSKeyId).toEqual(reported('key-two'));
    expect(await blobs()).toEqual(before);
    expect((await get('mp')).body.equals(Buffer.concat(parts))).toBe(true);
  });

  if (name !== 'builtin') {
    it('answers 503 when the KMS is down, slow or failing, storing nothing', async () => {
      await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'outage', Body: 'before', ServerSideEncryption: 'aws:kms' }));
      for (const fault of [{ mode: 'down' }, { mode: 'slow', delayMs: 5000 }, { mode: '5xx' }] as const) {
        svc.devKms!.faults.set(fault);
        try {
          expect(await s3Error(svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'outage', Body: 'after', ServerSideEncryption: 'aws:kms' })))).toEqual({ name: 'ServiceUnavailable', status: 503 });
          expect(await s3Error(get('outage'))).toEqual({ name: 'ServiceUnavailable', status: 503 });
        } finally {
          svc.devKms!.faults.set({ mode: 'none' });
        }
      }
      expect((await get('outage')).body.toString()).toBe('before');
    }, 120_000);

    it('makes objects unreadable once their key is deleted', async () => {
      const admin = backend(name, svc.devKms!);
      const keyId = await admin.createKey();
      await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'erased', Body: 'gone soon', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId }));
      expect((await get('erased')).body.toString()).toBe('gone soon');
      await admin.deleteKey(keyId);
      // Unsealed keys stay cached for at most KMS_CACHE_TTL_SECONDS (1 s here).
      await new Promise((r) => setTimeout(r, 1100));
      const err = await s3Error(get('erased'));
      expect(['KMS.NotFoundException', 'KMS.DisabledException']).toContain(err.name);
      expect(err.status).toBe(400);
    });
  }
});

describe('KMS calls', () => {
  let svc: Service;
  beforeAll(async () => {
    // Counts are exact only if no call is retried: a timeout long enough never to fire under load.
    svc = await startService({ KMS_TIMEOUT_MS: '120000' }, { kms: { backend: 'aws', devKms: { keyIds: KEYS } } });
    await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
  }, 60_000);
  afterAll(() => svc?.stop());

  const callsDuring = async (work: () => Promise<unknown>) => {
    const before = svc.devKms!.stats().aws;
    await work();
    return svc.devKms!.stats().aws - before;
  };
  const puts = (n: number, extra: Record<string, unknown>) => async () => {
    for (let i = 0; i < n; i++) await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: `calls/${i}`, Body: `${i}`, ServerSideEncryption: 'aws:kms', ...extra }));
  };

  it('makes one KMS call per PUT without bucket keys, and one per bucket key period with them', async () => {
    expect(await callsDuring(puts(100, {}))).toBe(100);
    const withBucketKey = await callsDuring(puts(100, { BucketKeyEnabled: true }));
    expect(withBucketKey).toBeLessThanOrEqual(1);
    const head = await svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'calls/7' }));
    expect(head.BucketKeyEnabled).toBe(true);
    const got = await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'calls/7' }));
    expect(await got.Body!.transformToString()).toBe('7');
  });

  it('serves repeated GETs of an object from the key cache', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'hot', Body: 'hot', ServerSideEncryption: 'aws:kms' }));
    const read = async () => (await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'hot' }))).Body!.transformToString();
    expect(await callsDuring(read)).toBeLessThanOrEqual(1);
    expect(await callsDuring(async () => { for (let i = 0; i < 20; i++) expect(await read()).toBe('hot'); })).toBe(0);
  });
});
