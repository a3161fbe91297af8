// Multipart uploads under SSE through the JS SDK (lib-storage and the raw commands): any part sizes
// and order, replaced parts, the S3 error rules of CompleteMultipartUpload, ranges and partNumber
// reads across parts, and atomic visibility.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { getBytes as readBytes } from './helpers/objects';
import { type Service, startService } from './helpers/service';

let svc: Service;
const bucket = 'multipart';
const MiB = 1024 * 1024;
const customerKey = randomBytes(32);
const ssec = (key: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64') }) as const;

beforeAll(async () => {
  svc = await startService();
  await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => svc?.stop());

const getBytes = (key: string, extra: Record<string, unknown> = {}) => readBytes(svc.client, bucket, key, extra);

/** Deterministic pseudo-random bytes, generated as a stream: `total` bytes in 1 MiB chunks. */
function* generated(total: number, seed: number): Generator<Buffer> {
  const block = createHash('sha256').update(String(seed)).digest();
  const chunk = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 32) block.copy(chunk, i);
  for (let sent = 0; sent < total; sent += MiB) {
    chunk.writeUInt32BE(sent / MiB, 0);
    yield Buffer.from(chunk.subarray(0, Math.min(MiB, total - sent)));
  }
}

async function uploadParts(key: string, sizes: number[], order: number[], extra: Record<string, unknown> = {}) {
  const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }));
  const bodies = sizes.map((n) => randomBytes(n));
  const etags: string[] = [];
  for (const i of order) {
    const r = await svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: bodies[i], ...extra }));
    etags[i] = r.ETag!;
  }
  return { uploadId: UploadId!, bodies, etags, parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) };
}

describe('multipart uploads', () => {
  it.each([
    ['SSE-S3', {}],
    ['SSE-C', ssec(customerKey)],
  ] as const)('uploads 1 GiB with lib-storage at its default part size (%s) and streams it back', async (_mode, sse) => {
    const total = 1024 * MiB;
    const sent = createHash('md5');
    const source = Readable.from(
      (function* () {
        for (const c of generated(total, 1)) {
          sent.update(c);
          yield c;
        }
      })(),
    );
    const key = `gib-${_mode}`;
    const done = await new Upload({ client: svc.client, params: { Bucket: bucket, Key: key, Body: source, ...sse } }).done();
    expect(done.ETag).toMatch(/-\d+"$/);
    const got = await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...sse }));
    expect(got.ContentLength).toBe(total);
    const received = createHash('md5');
    for await (const chunk of got.Body as AsyncIterable<Uint8Array>) received.update(chunk);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    const tail = await getBytes(key, { ...sse, Range: `bytes=${total - 10}-` });
    expect(tail.length).toBe(10);
  }, 600_000);

  it('takes unequal parts in any order, replaced parts, and reads ranges across them', async () => {
    const sizes = [6 * MiB, 5 * MiB + 3, 7 * MiB, 1];
    const { uploadId, bodies, parts } = await uploadParts('unequal', sizes, [2, 0, 3, 1]);
    const replacement = randomBytes(5 * MiB + 11);
    const again = await svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'unequal', UploadId: uploadId, PartNumber: 2, Body: replacement }));
    bodies[1] = replacement;
    parts[1] = { ETag: again.ETag!, PartNumber: 2 };
    const listed = await svc.client.send(new ListPartsCommand({ Bucket: bucket, Key: 'unequal', UploadId: uploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 6 * MiB], [2, 5 * MiB + 11], [3, 7 * MiB], [4, 1]]);
    const done = await svc.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'unequal', UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.ETag.replace(/"/g, ''), 'hex')));
    expect(done.ETag).toBe(`"${createHash('md5').update(md5s).digest('hex')}-4"`);
    const whole = Buffer.concat(bodies);
    expect((await getBytes('unequal')).equals(whole)).toBe(true);
    for (const [a, b] of [[6 * MiB - 5, 6 * MiB + 5], [0, 18 * MiB], [whole.length - 2, whole.length - 1], [11 * MiB, 11 * MiB + 100]]) {
      expect((await getBytes('unequal', { Range: `bytes=${a}-${b}` })).equals(whole.subarray(a, b + 1))).toBe(true);
    }
    const part2 = await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'unequal', PartNumber: 2 }));
    expect(part2.PartsCount).toBe(4);
    expect(Buffer.from(await part2.Body!.transformToByteArray()).equals(replacement)).toBe(true);
    const head = await svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'unequal', PartNumber: 4 }));
    expect(head.ContentLength).toBe(1);
    expect(await s3Error(svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'unequal', PartNumber: 5 })))).toMatchObject({ status: 416 });
  });

  it('keeps the previous version until the upload completes, then swaps atomically', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'swap', Body: 'old' }));
    const { uploadId, bodies, parts } = await uploadParts('swap', [5 * MiB, 10], [0, 1]);
    expect((await getBytes('swap')).toString()).toBe('old');
    await svc.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'swap', UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    expect((await getBytes('swap')).equals(Buffer.concat(bodies))).toBe(true);
  });

  it('refuses wrong ETags, small parts, disorder and finished uploads with the S3 errors', async () => {
    const { uploadId, parts } = await uploadParts('rules', [5 * MiB, 1024, 1024], [0, 1, 2]);
    const complete = (Parts: { ETag: string; PartNumber: number }[]) =>
      svc.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'rules', UploadId: uploadId, MultipartUpload: { Parts } }));
    expect(await s3Error(complete([parts[0]!, { ...parts[1]!, ETag: '"00000000000000000000000000000000"' }]))).toEqual({ name: 'InvalidPart', status: 400 });
    expect(await s3Error(complete([parts[0]!, { ETag: parts[1]!.ETag, PartNumber: 9 }]))).toEqual({ name: 'InvalidPart', status: 400 });
    expect(await s3Error(complete([parts[1]!, parts[0]!]))).toEqual({ name: 'InvalidPartOrder', status: 400 });
    expect(await s3Error(complete([parts[0]!, parts[1]!, parts[2]!]))).toEqual({ name: 'EntityTooSmall', status: 400 });
    const ok = await complete([parts[0]!, parts[2]!]);
    expect(ok.ETag).toMatch(/-2"$/);
    // A retry of the Complete that succeeded gets its answer again (as AWS); any other list does not.
    expect((await complete([parts[0]!, parts[2]!])).ETag).toBe(ok.ETag);
    expect(await s3Error(complete([parts[0]!, parts[1]!]))).toEqual({ name: 'NoSuchUpload', status: 404 });
  });

  it('deletes a bucket with uploads in progress, aborting them', async () => {
    await svc.client.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: 'short-lived', Key: 'k' }));
    await svc.client.send(new UploadPartCommand({ Bucket: 'short-lived', Key: 'k', UploadId, PartNumber: 1, Body: 'part' }));
    const part = await svc.db.prepare('SELECT blob_id FROM upload_parts WHERE upload_id = ?').bind(UploadId).first<{ blob_id: string }>();
    await svc.client.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
    expect(await s3Error(svc.client.send(new ListMultipartUploadsCommand({ Bucket: 'short-lived' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
    const left = await svc.db.prepare('SELECT count(*) AS n FROM upload_parts WHERE upload_id = ?').bind(UploadId).first<{ n: number }>();
    expect(left!.n).toBe(0);
    // The part's blob leaves R2 too, once GC has run past the grace period.
    await svc.collectGarbage(Date.now() + 3600_000);
    expect(await svc.r2.head(part!.blob_id)).toBeNull();
  });

  it('aborts uploads and lists the ones in progress', async () => {
    const a = await uploadParts('listed/a', [10], [0]);
    const b = await uploadParts('listed/b', [10], [0]);
    const listed = await svc.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'listed/' }));
    expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([
      ['listed/a', a.uploadId],
      ['listed/b', b.uploadId],
    ]);
    const paged = await svc.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'listed/', MaxUploads: 1 }));
    expect(paged.IsTruncated).toBe(true);
    expect(paged.NextKeyMarker).toBe('listed/a');
    await svc.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'listed/a', UploadId: a.uploadId }));
    expect(await s3Error(svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'listed/a', UploadId: a.uploadId, PartNumber: 1, Body: 'x' })))).toEqual({ name: 'NoSuchUpload', status: 404 });
    expect(await s3Error(svc.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'listed/a', UploadId: a.uploadId })))).toEqual({ name: 'NoSuchUpload', status: 404 });
    await svc.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'listed/b', UploadId: b.uploadId }));
  });

  it('needs the SSE-C key of the upload on every part and on reads', async () => {
    const key = 'ssec-multi';
    const { uploadId, bodies, parts } = await uploadParts(key, [5 * MiB, 100], [1, 0], ssec(customerKey));
    expect(await s3Error(svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 3, Body: 'x' })))).toMatchObject({ status: 400 });
    expect(await s3Error(svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 3, Body: 'x', ...ssec(randomBytes(32)) })))).toEqual({ name: 'AccessDenied', status: 403 });
    await svc.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts }, ...ssec(customerKey) }));
    const whole = Buffer.concat(bodies);
    expect((await getBytes(key, ssec(customerKey))).equals(whole)).toBe(true);
    expect((await getBytes(key, { ...ssec(customerKey), Range: `bytes=${5 * MiB - 1}-${5 * MiB + 1}` })).equals(whole.subarray(5 * MiB - 1, 5 * MiB + 2))).toBe(true);
    expect(await s3Error(getBytes(key))).toMatchObject({ status: 400 });
  });

  it('copies ranges of other objects into parts (UploadPartCopy)', async () => {
    const source = randomBytes(6 * MiB);
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-src', Body: source, ...ssec(customerKey) }));
    const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'assembled' }));
    const copySse = { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: customerKey.toString('base64') } as const;
    const p1 = await svc.client.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'assembled', UploadId, PartNumber: 1, CopySource: `${bucket}/copy-src`, CopySourceRange: `bytes=0-${5 * MiB - 1}`, ...copySse }));
    const p2 = await svc.client.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'assembled', UploadId, PartNumber: 2, CopySource: `${bucket}/copy-src`, CopySourceRange: `bytes=${5 * MiB}-${6 * MiB - 1}`, ...copySse }));
    expect(
      await s3Error(svc.client.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'assembled', UploadId, PartNumber: 3, CopySource: `${bucket}/copy-src`, CopySourceRange: 'bytes=0-99' }))),
    ).toMatchObject({ status: 400 });
    await svc.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'assembled',
        UploadId,
        MultipartUpload: { Parts: [{ ETag: p1.CopyPartResult!.ETag!, PartNumber: 1 }, { ETag: p2.CopyPartResult!.ETag!, PartNumber: 2 }] },
      }),
    );
    expect((await getBytes('assembled')).equals(source)).toBe(true);
  });
});
