// The JS SDK v3 at its default settings (flexible checksums, aws-chunked with CRC32 trailers,
// Expect: 100-continue) against the worker running in workerd with local R2 and D1.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { type Service, startService } from './helpers/service';

let svc: Service;
let s3: S3Client;
const bucket = 'sdk-bucket';

beforeAll(async () => {
  svc = await startService();
  s3 = svc.client;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => svc?.stop());

describe('buckets', () => {
  it('creates, lists, heads, locates and deletes buckets', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'other-bucket', ACL: 'private' }));
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).toEqual(['other-bucket', bucket]);
    await s3.send(new HeadBucketCommand({ Bucket: 'other-bucket' }));
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: 'other-bucket' }));
    expect(loc.LocationConstraint ?? '').toBe('');
    expect(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'other-bucket' })))).toEqual({ name: 'BucketAlreadyOwnedByYou', status: 409 });
    await s3.send(new PutObjectCommand({ Bucket: 'other-bucket', Key: 'x', Body: 'x' }));
    expect(await s3Error(s3.send(new DeleteBucketCommand({ Bucket: 'other-bucket' })))).toEqual({ name: 'BucketNotEmpty', status: 409 });
    await s3.send(new DeleteObjectCommand({ Bucket: 'other-bucket', Key: 'x' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'other-bucket' }));
    expect(await s3Error(s3.send(new HeadBucketCommand({ Bucket: 'other-bucket' })))).toMatchObject({ status: 404 });
  });

  it('refuses invalid bucket names and missing buckets', async () => {
    expect(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toEqual({ name: 'InvalidBucketName', status: 400 });
    expect(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
  });
});

describe('objects', () => {
  it('round-trips bytes, metadata and standard headers', async () => {
    const body = randomBytes(100_000);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'dir/file.bin',
        Body: body,
        ContentType: 'application/x-test',
        CacheControl: 'max-age=60',
        ContentDisposition: 'attachment; filename="f.bin"',
        ContentLanguage: 'en',
        Metadata: { colour: 'blue', 'two-words': 'a b' },
      }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/file.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.ContentType).toBe('application/x-test');
    expect(got.CacheControl).toBe('max-age=60');
    expect(got.ContentDisposition).toBe('attachment; filename="f.bin"');
    expect(got.ContentLanguage).toBe('en');
    expect(got.ContentLength).toBe(body.length);
    expect(got.Metadata).toEqual({ colour: 'blue', 'two-words': 'a b' });
    expect(got.ETag).toBe(put.ETag);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/file.bin' }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.ETag).toBe(put.ETag);
  });

  // A Buffer body goes with an x-amz-checksum-crc32 header; aws-chunked bodies: test/aws-chunked.test.ts.
  it('stores a body sent with its CRC32 and returns the CRC32 it verified', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'chunked', Body: body, ChecksumAlgorithm: 'CRC32' }));
    expect(put.ChecksumCRC32).toBeTruthy();
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'chunked', ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('uploads 64 MiB in one PUT and streams it back', async () => {
    const body = randomBytes(64 * 1024 * 1024);
    const md5 = createHash('md5').update(body).digest('hex');
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'big', Body: body }));
    expect(put.ETag).toBe(`"${md5}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big' }));
    expect(got.ContentLength).toBe(body.length);
    const hash = createHash('md5');
    for await (const chunk of got.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
    expect(hash.digest('hex')).toBe(md5);
  });

  it('uploads a stream read from a Node Readable', async () => {
    const parts = Array.from({ length: 40 }, () => randomBytes(100_000));
    const whole = Buffer.concat(parts);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'streamed', Body: Readable.from(parts), ContentLength: whole.length }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'streamed' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(whole)).toBe(true);
  });

  it('keeps keys with odd characters as they are', async () => {
    const keys = ['f//g', 'sp ace+plus%25', 'ünï©ødé', '00123', '1e5', 'q?x=1&y', 'tab\there', 'a.b/..c/.d'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `odd/${Key}`, Body: Key }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'odd/' }));
    expect(listed.Contents?.map((c) => c.Key).sort()).toEqual(keys.map((k) => `odd/${k}`).sort());
    for (const Key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `odd/${Key}` }));
      expect(await got.Body!.transformToString()).toBe(Key);
    }
  });

  it('refuses keys with "." or ".." segments rather than storing them under another key', async () => {
    // Workers resolve dot segments in request URLs before the worker sees them (see README).
    for (const Key of ['dots/a/../b', 'dots/./c']) {
      expect(await s3Error(s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' })))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dots/' }));
    expect(listed.KeyCount).toBe(0);
  });

  it('serves ranges, and refuses unsatisfiable ones', async () => {
    const body = Buffer.from('0123456789');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'range', Body: body }));
    const read = async (Range: string) => {
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', Range }));
      return [r.ContentRange, await r.Body!.transformToString()];
    };
    expect(await read('bytes=2-4')).toEqual(['bytes 2-4/10', '234']);
    expect(await read('bytes=7-')).toEqual(['bytes 7-9/10', '789']);
    expect(await read('bytes=-3')).toEqual(['bytes 7-9/10', '789']);
    expect(await read('bytes=5-100')).toEqual(['bytes 5-9/10', '56789']);
    expect(await s3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', Range: 'bytes=10-' })))).toEqual({ name: 'InvalidRange', status: 416 });
  });

  it('answers conditional requests with 304 and 412', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond', Body: 'c' }));
    expect(await s3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond', IfNoneMatch: put.ETag })))).toMatchObject({ status: 304 });
    expect(await s3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond', IfMatch: '"nope"' })))).toEqual({ name: 'PreconditionFailed', status: 412 });
    const ok = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond', IfMatch: put.ETag }));
    expect(await ok.Body!.transformToString()).toBe('c');
  });

  it('overwrites, deletes, and reports missing keys', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'ow', Body: 'one' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'ow', Body: 'two' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'ow' }));
    expect(await got.Body!.transformToString()).toBe('two');
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'ow' }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'ow' }));
    expect(await s3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'ow' })))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await s3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ow' })))).toMatchObject({ status: 404 });
  });

  it('stores empty objects', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'empty', Body: '' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'empty' }));
    expect(got.ContentLength).toBe(0);
    expect(await got.Body!.transformToString()).toBe('');
  });
});

describe('listing', () => {
  const b = 'list-bucket';
  const keys = ['a', 'b/1', 'b/2', 'b/3/x', 'c', 'd/1', 'e'];
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: b, Key, Body: Key }));
  });

  it('rolls keys up into common prefixes and pages with continuation tokens', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: b, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((c) => c.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
      expect(page.KeyCount).toBeLessThanOrEqual(2);
      token = page.NextContinuationToken;
    } while (token);
    expect(seen.sort()).toEqual(['a', 'b/', 'c', 'd/', 'e']);
  });

  it('lists under a prefix, after start-after, and in v1 with markers', async () => {
    const v2 = await s3.send(new ListObjectsV2Command({ Bucket: b, Prefix: 'b/', Delimiter: '/' }));
    expect(v2.Contents?.map((c) => c.Key)).toEqual(['b/1', 'b/2']);
    expect(v2.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/3/']);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: b, StartAfter: 'b/2' }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(['b/3/x', 'c', 'd/1', 'e']);
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: b, Marker: 'c', MaxKeys: 2 }));
    expect(v1.Contents?.map((c) => c.Key)).toEqual(['d/1', 'e']);
    expect(v1.IsTruncated).toBe(false);
    const v1page = await s3.send(new ListObjectsCommand({ Bucket: b, MaxKeys: 3 }));
    expect(v1page.Contents?.map((c) => c.Key)).toEqual(['a', 'b/1', 'b/2']);
    expect(v1page.IsTruncated).toBe(true);
  });

  it('deletes many keys with DeleteObjects, quietly or not', async () => {
    const r = await s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'a' }, { Key: 'c' }, { Key: 'missing' }] } }));
    expect(r.Deleted?.map((d) => d.Key).sort()).toEqual(['a', 'c', 'missing']);
    const q = await s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Quiet: true, Objects: [{ Key: 'e' }] } }));
    expect(q.Deleted ?? []).toEqual([]);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: b }));
    expect(left.Contents?.map((c) => c.Key)).toEqual(['b/1', 'b/2', 'b/3/x', 'd/1']);
  });
});

describe('presigned URLs', () => {
  it('GETs and PUTs through presigned URLs and refuses tampered ones', async () => {
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'presigned' }), { expiresIn: 60 });
    const put = await fetch(putUrl, { method: 'PUT', body: 'via presign' });
    expect(put.status).toBe(200);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'presigned' }), { expiresIn: 60 });
    const got = await fetch(getUrl);
    expect(await got.text()).toBe('via presign');
    const tampered = await fetch(getUrl.replace('presigned', 'presigneX'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});
