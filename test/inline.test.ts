// Small objects kept in their D1 row (INLINE_MAX_BYTES, default 4096): no R2 blob is written or
// read for them, their stream is the same ciphertext a blob would hold, and every S3 operation
// treats them as any other object (ranges, HEAD, overwrite, copy, delete, UploadPartCopy).
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobColumn, getBytes, sseModes, storedBlobs, trashedBlobs } from './helpers/objects';
import { type Service, startService } from './helpers/service';
import { tempDir } from './helpers/temp';

const bucket = 'inline';
const { ssec, modes: MODES, names } = sseModes();

let svc: Service;
beforeAll(async () => {
  svc = await startService();
  await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
}, 120_000);
afterAll(() => svc?.stop());

const row = (key: string) =>
  svc.db.prepare('SELECT blob_id, inline_data, size FROM objects WHERE bucket = ? AND key = ?').bind(bucket, key).first<{ blob_id: string | null; inline_data: ArrayBuffer | number[] | null; size: number }>();
const inlineBytes = async (key: string) => {
  const r = await row(key);
  return r?.inline_data ? blobColumn(r.inline_data) : null;
};
const put = (Key: string, Body: Uint8Array, extra: Record<string, unknown> = {}) => svc.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ...extra }));
const md5 = (b: Uint8Array) => `"${createHash('md5').update(b).digest('hex')}"`;

describe.each(names)('%s', (mode) => {
  const { write, read } = MODES[mode];
  const key = `small-${mode}`;
  const body = randomBytes(4096);

  it('keeps an object of INLINE_MAX_BYTES in its row, as ciphertext, and writes no blob', async () => {
    const before = await storedBlobs(svc.r2);
    await put(key, body, write);
    expect(await storedBlobs(svc.r2)).toEqual(before);
    const r = await row(key);
    expect(r!.blob_id).toBeNull();
    const stored = (await inlineBytes(key))!;
    // The stream of docs/FORMAT.md: one package, its 14-byte header and 16-byte tag around the ciphertext.
    expect(stored.length).toBe(4096 + 30);
    expect(stored.includes(body.subarray(0, 32))).toBe(false);
  });

  it('reads it back whole, in ranges and through HEAD', async () => {
    expect((await getBytes(svc.client, bucket, key, read)).equals(body)).toBe(true);
    expect((await getBytes(svc.client, bucket, key, { ...read, Range: 'bytes=4000-' })).equals(body.subarray(4000))).toBe(true);
    expect((await getBytes(svc.client, bucket, key, { ...read, Range: 'bytes=17-17' })).equals(body.subarray(17, 18))).toBe(true);
    const head = await svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...read }));
    expect(head.ContentLength).toBe(4096);
    if (mode === 'SSE-S3') expect(head.ETag).toBe(md5(body));
  });

  it('copies it to another key and to another mode', async () => {
    const source = mode === 'SSE-C' ? { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: ssec.SSECustomerKey } : {};
    await svc.client.send(new CopyObjectCommand({ Bucket: bucket, Key: `${key}-copy`, CopySource: `${bucket}/${key}`, ...source, ServerSideEncryption: 'aws:kms' }));
    expect((await row(`${key}-copy`))!.blob_id).toBeNull();
    expect((await getBytes(svc.client, bucket, `${key}-copy`)).equals(body)).toBe(true);
  });
});

it('keeps a body one byte over INLINE_MAX_BYTES, and any multipart part, in R2', async () => {
  const body = randomBytes(4097);
  await put('over', body);
  const r = await row('over');
  expect(r!.blob_id).not.toBeNull();
  expect(r!.inline_data).toBeNull();
  expect((await storedBlobs(svc.r2)).has(r!.blob_id!)).toBe(true);
  expect((await getBytes(svc.client, bucket, 'over')).equals(body)).toBe(true);
});

it('keeps an empty object in its row', async () => {
  await put('empty', new Uint8Array(0));
  expect((await row('empty'))!.blob_id).toBeNull();
  expect(await getBytes(svc.client, bucket, 'empty')).toEqual(Buffer.alloc(0));
});

it('overwrites across the limit both ways: a replaced blob is trashed, nothing is left behind an inline row', async () => {
  const large = randomBytes(70_000);
  const small = randomBytes(100);
  await put('flip', large);
  const { blob_id: first } = (await row('flip'))!;
  await put('flip', small);
  expect((await row('flip'))!.blob_id).toBeNull();
  expect((await trashedBlobs(svc.db)).has(first!)).toBe(true);
  expect((await getBytes(svc.client, bucket, 'flip')).equals(small)).toBe(true);
  await put('flip', large);
  const { blob_id: second, inline_data } = (await row('flip'))!;
  expect(second).not.toBeNull();
  expect(inline_data).toBeNull();
  expect((await getBytes(svc.client, bucket, 'flip')).equals(large)).toBe(true);
  const trashed = await trashedBlobs(svc.db);
  await put('flip', small);
  await svc.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'flip' }));
  expect(await row('flip')).toBeNull();
  expect(await trashedBlobs(svc.db)).toEqual(new Set([...trashed, second!]));
});

it('re-seals an inline object copied onto itself without rewriting its stream', async () => {
  const body = randomBytes(1000);
  await put('reseal', body, ssec);
  const stored = await inlineBytes('reseal');
  const next = randomBytes(32).toString('base64');
  await svc.client.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: 'reseal',
      CopySource: `${bucket}/reseal`,
      CopySourceSSECustomerAlgorithm: 'AES256',
      CopySourceSSECustomerKey: ssec.SSECustomerKey,
      SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: next,
    }),
  );
  expect(await inlineBytes('reseal')).toEqual(stored);
  expect((await getBytes(svc.client, bucket, 'reseal', { SSECustomerAlgorithm: 'AES256', SSECustomerKey: next })).equals(body)).toBe(true);
  const old = await getBytes(svc.client, bucket, 'reseal', ssec).catch((e: S3ServiceException) => e.$metadata.httpStatusCode);
  expect(old).toBe(403);
});

it('serves an inline object as a multipart part source (UploadPartCopy)', async () => {
  const head = randomBytes(5 * 1024 * 1024);
  const tail = randomBytes(3000);
  await put('tail', tail);
  const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'joined' }));
  const first = await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'head', Body: head }));
  expect(first.ETag).toBe(md5(head));
  const parts = [];
  for (const [PartNumber, source] of [[1, 'head'], [2, 'tail']] as const) {
    const { CopyPartResult } = await svc.client.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'joined', UploadId, PartNumber, CopySource: `${bucket}/${source}` }));
    parts.push({ PartNumber, ETag: CopyPartResult!.ETag });
  }
  await svc.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'joined', UploadId, MultipartUpload: { Parts: parts } }));
  expect((await getBytes(svc.client, bucket, 'joined')).equals(Buffer.concat([head, tail]))).toBe(true);
});

describe('INLINE_MAX_BYTES', () => {
  it('0 keeps every object in R2', async () => {
    const off = await startService({ INLINE_MAX_BYTES: '0' });
    try {
      await off.client.send(new CreateBucketCommand({ Bucket: 'off' }));
      await off.client.send(new PutObjectCommand({ Bucket: 'off', Key: 'k', Body: 'tiny' }));
      const r = await off.db.prepare("SELECT blob_id, inline_data FROM objects WHERE key = 'k'").first<{ blob_id: string | null; inline_data: unknown }>();
      expect(r!.inline_data).toBeNull();
      expect((await storedBlobs(off.r2)).has(r!.blob_id!)).toBe(true);
      expect((await getBytes(off.client, 'off', 'k')).toString()).toBe('tiny');
    } finally {
      await off.stop();
    }
  }, 120_000);

  it('changed later, still reads what was kept in rows before', async () => {
    const state = tempDir('inline');
    try {
      const before = await startService({}, { persistTo: state.path });
      await before.client.send(new CreateBucketCommand({ Bucket: 'kept' }));
      await before.client.send(new PutObjectCommand({ Bucket: 'kept', Key: 'k', Body: 'written inline' }));
      await before.stop();
      const after = await startService({ INLINE_MAX_BYTES: '0' }, { persistTo: state.path });
      try {
        expect((await getBytes(after.client, 'kept', 'k')).toString()).toBe('written inline');
      } finally {
        await after.stop();
      }
    } finally {
      state.remove();
    }
  }, 120_000);

  it('out of range fails requests with InternalError and says why in the log', async () => {
    const logs: string[] = [];
    const bad = await startService({ INLINE_MAX_BYTES: '1MB' }, { logs });
    try {
      const err = await bad.client.send(new CreateBucketCommand({ Bucket: 'bad' })).catch((e: S3ServiceException) => e);
      expect(err).toBeInstanceOf(S3ServiceException);
      expect((err as S3ServiceException).name).toBe('InternalError');
      expect(logs.some((l) => l.includes('INLINE_MAX_BYTES must be an integer from 0 to 262144, not 1MB'))).toBe(true);
    } finally {
      await bad.stop();
    }
  }, 120_000);
});
