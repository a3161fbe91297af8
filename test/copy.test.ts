// CopyObject across SSE modes, metadata directives, copy-source conditions and self-copy rules, and
// SSE-C key rotation that re-seals the key without touching object data.
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { getBytes as readBytes } from './helpers/objects';
import { type Service, startService } from './helpers/service';

let svc: Service;
const bucket = 'copies';
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const ssec = (key: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64') }) as const;
const sourceSsec = (key: Buffer) => ({ CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: key.toString('base64') }) as const;

type Mode = 'default' | 'SSE-S3' | 'SSE-KMS' | 'SSE-C';
const putSse = (m: Mode, key = keyA) =>
  m === 'SSE-S3'
    ? { ServerSideEncryption: 'AES256' as const }
    : m === 'SSE-KMS'
      ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: 'test-key' }
      : m === 'SSE-C'
        ? ssec(key)
        : {};

beforeAll(async () => {
  svc = await startService();
  await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => svc?.stop());

const getBytes = (key: string, extra: Record<string, unknown> = {}) => readBytes(svc.client, bucket, key, extra);

async function blobs(): Promise<string[]> {
  const listed = await svc.r2.list({ prefix: 'blobs/' });
  return listed.objects.map((o) => o.key).sort();
}

describe('CopyObject', () => {
  const modes: Mode[] = ['default', 'SSE-S3', 'SSE-KMS', 'SSE-C'];
  for (const from of modes) {
    for (const to of modes) {
      it(`copies ${from} to ${to}`, async () => {
        const body = randomBytes(70_000);
        const src = `pair/${from}-${to}/src`;
        const dst = `pair/${from}-${to}/dst`;
        await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: src, Body: body, ...putSse(from), Metadata: { origin: from } }));
        const copied = await svc.client.send(
          new CopyObjectCommand({ Bucket: bucket, Key: dst, CopySource: `${bucket}/${src}`, ...(from === 'SSE-C' ? sourceSsec(keyA) : {}), ...putSse(to, keyB) }),
        );
        if (to === 'SSE-C') expect(copied.SSECustomerKeyMD5).toBe(createHash('md5').update(keyB).digest('base64'));
        else expect(copied.ServerSideEncryption).toBe(to === 'SSE-KMS' ? 'aws:kms' : 'AES256');
        const got = await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: dst, ...(to === 'SSE-C' ? ssec(keyB) : {}) }));
        expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
        expect(got.Metadata).toEqual({ origin: from });
      });
    }
  }

  it('replaces metadata with REPLACE and keeps it with COPY', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'meta/src', Body: 'm', ContentType: 'text/plain', Metadata: { a: '1' } }));
    await svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'meta/copy', CopySource: `${bucket}/meta/src` }));
    await svc.client.send(
      new CopyObjectCommand({ Bucket: bucket, Key: 'meta/replace', CopySource: `${bucket}/meta/src`, MetadataDirective: 'REPLACE', ContentType: 'text/html', Metadata: { b: '2' } }),
    );
    const copy = await svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta/copy' }));
    expect([copy.ContentType, copy.Metadata]).toEqual(['text/plain', { a: '1' }]);
    const replaced = await svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta/replace' }));
    expect([replaced.ContentType, replaced.Metadata]).toEqual(['text/html', { b: '2' }]);
  });

  it('honours x-amz-copy-source-if-* conditions with 412', async () => {
    const put = await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond/src', Body: 'c' }));
    const copy = (extra: Record<string, unknown>) => svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'cond/dst', CopySource: `${bucket}/cond/src`, ...extra }));
    expect(await s3Error(copy({ CopySourceIfMatch: '"nope"' }))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await s3Error(copy({ CopySourceIfNoneMatch: put.ETag }))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await s3Error(copy({ CopySourceIfModifiedSince: new Date(Date.now() + 3600_000) }))).toEqual({ name: 'PreconditionFailed', status: 412 });
    await copy({ CopySourceIfMatch: put.ETag });
    expect((await getBytes('cond/dst')).toString()).toBe('c');
  });

  it('refuses a self-copy that changes nothing, and missing sources', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'self', Body: 's' }));
    expect(await s3Error(svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'self', CopySource: `${bucket}/self` })))).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await s3Error(svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'x', CopySource: `${bucket}/missing` })))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await s3Error(svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'x', CopySource: 'no-such-bucket/k' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
  });

  it('copies a multipart source into a single object', async () => {
    const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp/src' }));
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1000)];
    const etags = [];
    for (const [i, Body] of parts.entries()) {
      etags.push((await svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp/src', UploadId, PartNumber: i + 1, Body }))).ETag!);
    }
    await svc.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp/src', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
    const copied = await svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'mp/dst', CopySource: `${bucket}/mp/src` }));
    const whole = Buffer.concat(parts);
    expect(copied.CopyObjectResult?.ETag).toBe(`"${createHash('md5').update(whole).digest('hex')}"`);
    expect((await getBytes('mp/dst')).equals(whole)).toBe(true);
  });
});

describe('key rotation by self-copy', () => {
  it('re-seals an SSE-C object under a new key without reading or writing its data', async () => {
    const body = randomBytes(200_000);
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'rotate', Body: body, ...ssec(keyA) }));
    const before = await blobs();
    const row = await svc.db.prepare('SELECT blob_id FROM objects WHERE bucket = ? AND key = ?').bind(bucket, 'rotate').first<{ blob_id: string }>();
    // Replace the stored bytes with garbage: a rotation that read them would fail to authenticate.
    const stored = await svc.r2.get(row!.blob_id);
    const original = Buffer.from(await stored!.arrayBuffer());
    await svc.r2.put(row!.blob_id, randomBytes(original.length));
    await svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'rotate', CopySource: `${bucket}/rotate`, ...sourceSsec(keyA), ...ssec(keyB) }));
    await svc.r2.put(row!.blob_id, original);
    expect(await blobs()).toEqual(before);
    expect((await getBytes('rotate', ssec(keyB))).equals(body)).toBe(true);
    expect(await s3Error(getBytes('rotate', ssec(keyA)))).toEqual({ name: 'AccessDenied', status: 403 });
  });

  it('re-wraps an SSE-S3 object in place', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'rewrap', Body: 'wrapped' }));
    const sealed = async () =>
      Buffer.from((await svc.db.prepare('SELECT sealed_key FROM objects WHERE bucket = ? AND key = ?').bind(bucket, 'rewrap').first<{ sealed_key: ArrayBuffer }>())!.sealed_key);
    const first = await sealed();
    const before = await blobs();
    await svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'rewrap', CopySource: `${bucket}/rewrap`, ServerSideEncryption: 'AES256' }));
    expect((await sealed()).equals(first)).toBe(false);
    expect(await blobs()).toEqual(before);
    expect((await getBytes('rewrap')).toString()).toBe('wrapped');
  });
});
