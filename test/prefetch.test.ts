// A small GET of an object this isolate recently wrote starts reading the blob it remembers while
// D1 is asked for the row. The row decides: when it names another blob (the object was overwritten
// elsewhere; here the row is put back straight in D1), the answer is the row's bytes, not the guess.
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService } from './helpers/service';

let svc: Service;
const Bucket = 'prefetch';

beforeAll(async () => {
  svc = await startService();
  await svc.client.send(new CreateBucketCommand({ Bucket }));
});
afterAll(() => svc?.stop());

const get = async (Key: string, Range?: string) => (await svc.client.send(new GetObjectCommand({ Bucket, Key, Range }))).Body!.transformToString();

describe('a GET started before its row is read', () => {
  it('answers what the row names when the remembered blob is stale', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'first version' }));
    const first = await svc.db.prepare('SELECT * FROM objects WHERE bucket = ? AND key = ?').bind(Bucket, 'k').first<Record<string, unknown>>();
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'second version' })); // remembered: the second blob
    // Another isolate's view: the first version's row is current again (its blob out of the trash).
    const columns = Object.keys(first!);
    await svc.db.batch([
      svc.db.prepare('DELETE FROM blob_trash WHERE blob_id = ?').bind(first!.blob_id),
      svc.db.prepare(`INSERT OR REPLACE INTO objects (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).bind(...Object.values(first!)),
    ]);
    expect(await get('k')).toBe('first version');
    expect(await get('k', 'bytes=0-4')).toBe('first');
    // The row read just now is remembered in turn.
    expect(await get('k', 'bytes=6-12')).toBe('version');
  });

  it('serves a recent object and its ranges', async () => {
    const body = 'x'.repeat(70_000) + 'tail';
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'r', Body: body }));
    expect(await get('r')).toBe(body);
    expect(await get('r', 'bytes=-4')).toBe('tail');
    expect(await get('r', 'bytes=65535-65537')).toBe('xxx');
  });
});
