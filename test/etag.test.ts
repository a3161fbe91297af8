// ETags and Content-MD5 in every encryption mode, as in AWS: an SSE-S3 object's (and part's) ETag is
// the MD5 of its data; SSE-KMS and SSE-C ETags are not, and the service computes no MD5 for them,
// yet a Content-MD5 the client sends is checked in every mode.
import { createHash, randomBytes } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { getBytes, sseModes } from './helpers/objects';
import { type Service, startService } from './helpers/service';

const bucket = 'etags';
const { modes: MODES, names } = sseModes();

let svc: Service;
beforeAll(async () => {
  svc = await startService();
  await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
}, 120_000);
afterAll(() => svc?.stop());

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest();
const etag = (b: Uint8Array) => `"${md5(b).toString('hex')}"`;
const wrongMd5 = md5(Buffer.from('something else')).toString('base64');

describe.each(names)('%s', (mode) => {
  const { write, read } = MODES[mode];
  // Kept in its row, sealed in one pass, and streamed through the encrypting stream.
  const sizes = [100, 100_000, 600_000];

  it.each(sizes)('PUT of %i bytes: the ETag is the MD5 only in SSE-S3; a right Content-MD5 is taken, a wrong one refused', async (size) => {
    const key = `put-${mode}-${size}`;
    const body = randomBytes(size);
    const put = await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentMD5: md5(body).toString('base64'), ...write }));
    if (mode === 'SSE-S3') expect(put.ETag).toBe(etag(body));
    else expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/), expect(put.ETag).not.toBe(etag(body));
    const next = randomBytes(size);
    expect((await s3Error(svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: next, ContentMD5: wrongMd5, ...write })))).name).toBe('BadDigest');
    expect((await getBytes(svc.client, bucket, key, read)).equals(body)).toBe(true);
  });

  it('UploadPart and UploadPartCopy: part ETags are MD5s only in SSE-S3; a wrong Content-MD5 is refused', async () => {
    const key = `mp-${mode}`;
    const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...write }));
    const part = randomBytes(300_000);
    const uploaded = await svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: part, ContentMD5: md5(part).toString('base64'), ...write }));
    expect((await s3Error(svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 2, Body: part, ContentMD5: wrongMd5, ...write })))).name).toBe('BadDigest');
    const source = randomBytes(200_000);
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: `${key}-source`, Body: source }));
    const copied = await svc.client.send(
      new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 3, CopySource: `${bucket}/${key}-source`, CopySourceRange: 'bytes=1000-150999', ...write }),
    );
    if (mode === 'SSE-S3') {
      expect(uploaded.ETag).toBe(etag(part));
      expect(copied.CopyPartResult?.ETag).toBe(etag(source.subarray(1000, 151000)));
    } else {
      expect(uploaded.ETag).not.toBe(etag(part));
      expect(copied.CopyPartResult?.ETag).not.toBe(etag(source.subarray(1000, 151000)));
    }
  });

  it('CopyObject into this mode: the ETag is the MD5 only in SSE-S3', async () => {
    const body = randomBytes(70_000);
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: `copy-${mode}-source`, Body: body, ServerSideEncryption: 'aws:kms' }));
    const copied = await svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: `copy-${mode}`, CopySource: `${bucket}/copy-${mode}-source`, ...write }));
    if (mode === 'SSE-S3') expect(copied.CopyObjectResult?.ETag).toBe(etag(body));
    else expect(copied.CopyObjectResult?.ETag).not.toBe(etag(body));
    expect((await getBytes(svc.client, bucket, `copy-${mode}`, read)).equals(body)).toBe(true);
  });
});
