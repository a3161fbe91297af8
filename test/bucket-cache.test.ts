// An isolate remembers bucket rows for a few seconds, so a PUT waits for one D1 round trip. A change
// made elsewhere (another isolate: here, straight in D1) must never let a PUT commit against the
// bucket as it was: it is refused with nothing stored, and the next attempt sees the change.
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketEncryptionCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Service, startService } from './helpers/service';

let svc: Service;
let bucket: string;
let n = 0;

beforeAll(async () => {
  svc = await startService();
});
afterAll(() => svc?.stop());

beforeEach(async () => {
  bucket = `cached-${++n}`;
  await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
  // The isolate now remembers the bucket as having no default encryption (SSE-S3).
  await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'warm', Body: 'warm' }));
});

const put = (Key: string, Body = 'new bytes') => svc.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));

async function s3Error(p: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(S3ServiceException);
  const err = e as S3ServiceException;
  return { code: err.name, status: err.$metadata.httpStatusCode };
}

/** Blobs no row refers to that are not in the trash either: what a refused PUT must not leave. */
async function strayBlobs(): Promise<string[]> {
  const listed = (await svc.r2.list({ prefix: 'blobs/' })).objects.map((o) => o.key);
  const { results } = await svc.db
    .prepare(
      `SELECT value AS id FROM json_each(?1) WHERE value NOT IN (SELECT blob_id FROM objects WHERE blob_id IS NOT NULL)
       AND value NOT IN (SELECT blob_id FROM blob_trash)`,
    )
    .bind(JSON.stringify(listed))
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

describe('a PUT against a remembered bucket row', () => {
  it('is refused with 503 and stores nothing when the default encryption changed elsewhere; the retry uses the new default', async () => {
    await put('k', 'old bytes');
    const kms = JSON.stringify({ algorithm: 'aws:kms', kmsMasterKeyId: null, bucketKeyEnabled: false, blockedEncryptionTypes: [] });
    await svc.db.prepare('UPDATE buckets SET encryption = ? WHERE name = ?').bind(kms, bucket).run();

    expect(await s3Error(put('k'))).toEqual({ code: 'ServiceUnavailable', status: 503 });
    const kept = await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(await kept.Body!.transformToString()).toBe('old bytes');
    expect(kept.ServerSideEncryption).toBe('AES256');
    expect(await strayBlobs()).toEqual([]);

    const retried = await put('k');
    expect(retried.ServerSideEncryption).toBe('aws:kms');
    expect(await (await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))).Body!.transformToString()).toBe('new bytes');
  });

  it('answers NoSuchBucket and stores nothing when the bucket was deleted elsewhere', async () => {
    await svc.db.batch([svc.db.prepare('DELETE FROM objects WHERE bucket = ?').bind(bucket), svc.db.prepare('DELETE FROM buckets WHERE name = ?').bind(bucket)]);
    const before = await strayBlobs(); // the deleted row's blob, as another isolate would leave it
    expect(await s3Error(put('k'))).toEqual({ code: 'NoSuchBucket', status: 404 });
    expect(await svc.db.prepare('SELECT count(*) AS n FROM objects WHERE bucket = ?').bind(bucket).first('n')).toBe(0);
    expect(await strayBlobs()).toEqual(before);
  });

  it('is refused when the bucket was deleted and created again elsewhere, then writes into the new bucket', async () => {
    await svc.db.batch([
      svc.db.prepare('DELETE FROM objects WHERE bucket = ?').bind(bucket),
      svc.db.prepare('DELETE FROM buckets WHERE name = ?').bind(bucket),
      svc.db.prepare('INSERT INTO buckets (name, created_at) VALUES (?, ?)').bind(bucket, Date.now() + 1),
    ]);
    expect(await s3Error(put('k'))).toEqual({ code: 'ServiceUnavailable', status: 503 });
    await expect(svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }))).rejects.toMatchObject({ name: 'NotFound' });
    await put('k');
    expect(await (await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))).Body!.transformToString()).toBe('new bytes');
  });

  it('sees a change made through the S3 API of the same isolate at once', async () => {
    await svc.client.send(
      new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } }),
    );
    expect((await put('k')).ServerSideEncryption).toBe('aws:kms');
  });
});
