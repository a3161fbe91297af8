// GetObjectAttributes and ListBuckets paging, through the JS SDK.
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  ListBucketsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { type Service, startService } from './helpers/service';

let svc: Service;
const Bucket = 'attrs';
const MiB = 1024 * 1024;
const ALL = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;

beforeAll(async () => {
  svc = await startService();
  await svc.client.send(new CreateBucketCommand({ Bucket }));
});
afterAll(() => svc?.stop());

describe('GetObjectAttributes', () => {
  it('reports a single-PUT object: ETag unquoted, checksum, size, storage class, no parts', async () => {
    const put = await svc.client.send(new PutObjectCommand({ Bucket, Key: 'one', Body: 'attributes', ChecksumAlgorithm: 'SHA256' }));
    const got = await svc.client.send(new GetObjectAttributesCommand({ Bucket, Key: 'one', ObjectAttributes: [...ALL] }));
    expect([got.ETag, got.Checksum?.ChecksumSHA256, got.Checksum?.ChecksumType, got.ObjectSize, got.StorageClass, got.ObjectParts]).toEqual([
      put.ETag!.replace(/"/g, ''),
      createHash('sha256').update('attributes').digest('base64'),
      'FULL_OBJECT',
      10,
      'STANDARD',
      undefined,
    ]);
    expect(got.LastModified).toBeInstanceOf(Date);
    const some = await svc.client.send(new GetObjectAttributesCommand({ Bucket, Key: 'one', ObjectAttributes: ['ObjectSize'] }));
    expect([some.ObjectSize, some.ETag]).toEqual([10, undefined]);
  });

  it('pages the parts of a multipart object with max-parts and part-number-marker', async () => {
    const Key = 'multi';
    const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: 'CRC32' }));
    const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), Buffer.from('tail')];
    const parts = [];
    for (const [i, Body] of bodies.entries()) {
      const r = await svc.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: 'CRC32' }));
      parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    await svc.client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));

    const first = await svc.client.send(new GetObjectAttributesCommand({ Bucket, Key, ObjectAttributes: ['ObjectParts', 'ObjectSize', 'Checksum'], MaxParts: 2 }));
    expect(first.ObjectSize).toBe(10 * MiB + 4);
    expect(first.Checksum?.ChecksumType).toBe('COMPOSITE');
    expect(first.Checksum?.ChecksumCRC32).toMatch(/^[A-Za-z0-9+/]{6}==$/); // no "-3" here, unlike HeadObject
    expect(first.ObjectParts).toMatchObject({ TotalPartsCount: 3, MaxParts: 2, IsTruncated: true, NextPartNumberMarker: '2' });
    expect(first.ObjectParts!.Parts!.map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32])).toEqual(parts.slice(0, 2).map((p, i) => [p.PartNumber, bodies[i]!.length, p.ChecksumCRC32]));
    const rest = await svc.client.send(new GetObjectAttributesCommand({ Bucket, Key, ObjectAttributes: ['ObjectParts'], MaxParts: 2, PartNumberMarker: '2' }));
    expect(rest.ObjectParts).toMatchObject({ IsTruncated: false, PartNumberMarker: '2' });
    expect(rest.ObjectParts!.Parts!.map((p) => [p.PartNumber, p.Size])).toEqual([[3, 4]]);
  });

  it('needs the SSE-C key of an SSE-C object', async () => {
    const key = randomBytes(32).toString('base64');
    const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key };
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'ssec', Body: 'secret', ...ssec }));
    expect((await s3Error(svc.client.send(new GetObjectAttributesCommand({ Bucket, Key: 'ssec', ObjectAttributes: ['ObjectSize'] })))).status).toBe(400);
    const wrong = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: randomBytes(32).toString('base64') };
    expect((await s3Error(svc.client.send(new GetObjectAttributesCommand({ Bucket, Key: 'ssec', ObjectAttributes: ['ObjectSize'], ...wrong })))).status).toBe(403);
    const got = await svc.client.send(new GetObjectAttributesCommand({ Bucket, Key: 'ssec', ObjectAttributes: ['ObjectSize'], ...ssec }));
    expect(got.ObjectSize).toBe(6);
  });

  it('refuses unknown attributes and answers NoSuchKey for a missing object', async () => {
    expect(await s3Error(svc.client.send(new GetObjectAttributesCommand({ Bucket, Key: 'one', ObjectAttributes: ['Color' as never] })))).toEqual({ name: 'InvalidArgument', status: 400 });
    expect(await s3Error(svc.client.send(new GetObjectAttributesCommand({ Bucket, Key: 'absent', ObjectAttributes: ['ETag'] })))).toEqual({ name: 'NoSuchKey', status: 404 });
  });
});

describe('ListBuckets paging', () => {
  it('pages with max-buckets and continuation-token under a prefix', async () => {
    for (const name of ['page-a1', 'page-a2', 'page-a3', 'page-b1']) await svc.client.send(new CreateBucketCommand({ Bucket: name }));
    const first = await svc.client.send(new ListBucketsCommand({ Prefix: 'page-a', MaxBuckets: 2 }));
    expect([first.Buckets?.map((b) => b.Name), first.Prefix]).toEqual([['page-a1', 'page-a2'], 'page-a']);
    expect(first.ContinuationToken).toBeTruthy();
    const second = await svc.client.send(new ListBucketsCommand({ Prefix: 'page-a', MaxBuckets: 2, ContinuationToken: first.ContinuationToken }));
    expect([second.Buckets?.map((b) => b.Name), second.ContinuationToken]).toEqual([['page-a3'], undefined]);
    const all = await svc.client.send(new ListBucketsCommand({}));
    expect(all.Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining(['attrs', 'page-a1', 'page-b1']));
    expect(all.ContinuationToken).toBeUndefined();
    expect(await s3Error(svc.client.send(new ListBucketsCommand({ MaxBuckets: 0 })))).toEqual({ name: 'InvalidArgument', status: 400 });
  });
});
