// The scheduled garbage collector, run with a clock set ahead: replaced blobs go after the grace
// period, stale uploads are aborted, orphans are swept, and nothing a row refers to is ever deleted.
import { CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService } from './helpers/service';

let svc: Service;
const bucket = 'gc-bucket';
const MINUTE = 60_000;

beforeAll(async () => {
  svc = await startService({ UPLOAD_MAX_AGE_HOURS: '24' });
  await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => svc?.stop());

const stored = async () => (await svc.r2.list({ prefix: 'blobs/' })).objects.map((o) => o.key).sort();
const referenced = async () => {
  const { results } = await svc.db
    .prepare('SELECT blob_id FROM objects WHERE blob_id IS NOT NULL UNION SELECT blob_id FROM object_parts UNION SELECT blob_id FROM upload_parts')
    .all<{ blob_id: string }>();
  return results.map((r) => r.blob_id).sort();
};
const read = async (Key: string) => (await (await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToString());

describe('garbage collection', () => {
  it('deletes replaced blobs after the grace period, orphans after a sweep, and nothing referenced', async () => {
    // Judged by which blobs, not how many: other tests (and their order) may leave blobs of their own.
    const before = await stored();
    // Bodies over INLINE_MAX_BYTES, so each version is a blob.
    const blobBody = (text: string) => text.repeat(5000);
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: blobBody('one') }));
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: blobBody('two') }));
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'gone', Body: blobBody('x') }));
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'gone', Body: blobBody('y') }));
    await svc.r2.put('blobs/orphan-from-a-crashed-write', 'ciphertext');
    const written = (await stored()).filter((id) => !before.includes(id));
    expect(written).toContain('blobs/orphan-from-a-crashed-write');
    expect(written.length).toBeGreaterThanOrEqual(5);

    // Within the grace period nothing goes: a GET holding the old row could still be streaming.
    await svc.collectGarbage(Date.now() + 5 * MINUTE);
    expect(await stored()).toEqual(expect.arrayContaining([...before, ...written]));

    // Past it: replaced blobs are deleted, the orphan is trashed (deleted one grace period later).
    await svc.collectGarbage(Date.now() + 20 * MINUTE);
    expect(await stored()).toEqual([...(await referenced()), 'blobs/orphan-from-a-crashed-write'].sort());
    await svc.collectGarbage(Date.now() + 40 * MINUTE);
    expect(await stored()).toEqual(await referenced());
    expect(await read('k')).toBe(blobBody('two'));
    expect(await read('gone')).toBe(blobBody('y'));
  });

  it('aborts uploads older than the configured age and collects their parts', async () => {
    const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'stale' }));
    await svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'stale', UploadId, PartNumber: 1, Body: 'part' }));
    await svc.collectGarbage(Date.now() + 23 * 60 * MINUTE);
    expect((await svc.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toHaveLength(1);
    await svc.collectGarbage(Date.now() + 25 * 60 * MINUTE);
    expect((await svc.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toHaveLength(0);
    await svc.collectGarbage(Date.now() + 26 * 60 * MINUTE);
    expect(await stored()).toEqual(await referenced());
  });

  it('never touches a blob written moments ago, even before its row exists', async () => {
    await svc.r2.put('blobs/commit-in-flight', 'ciphertext');
    await svc.collectGarbage(Date.now() + MINUTE);
    await svc.collectGarbage(Date.now() + 2 * MINUTE);
    expect(await stored()).toContain('blobs/commit-in-flight');
  });
});
