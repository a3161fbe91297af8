// Scrubbing (POST /_admin/scrub and the cron): every object's ciphertext and sealed key authenticated
// in bounded batches from a cursor, damaged objects named, SSE-C objects skipped, no plaintext served.
import { randomBytes } from 'node:crypto';
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRUB_CRON } from '../src/service/scrub';
import { storedStream } from './helpers/objects';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';

let svc: Service;
const admin = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: 'us-east-1', service: 's3' });
const MiB = 1024 * 1024;

interface Report {
  examined: number;
  verified: number;
  bytes: number;
  skipped: number;
  damaged: { bucket: string; key: string; reason: string }[];
  unchecked: unknown[];
  cursor: string | null;
}

async function scrub(body: object): Promise<Response> {
  return admin.fetch(`${svc.endpoint}/_admin/scrub`, { method: 'POST', body: JSON.stringify(body) });
}

const blobOf = async (bucket: string, key: string) =>
  (await svc.db.prepare('SELECT blob_id FROM objects WHERE bucket = ? AND key = ?').bind(bucket, key).first<{ blob_id: string }>())!.blob_id;

beforeAll(async () => {
  svc = await startService();
  const c = svc.client;
  for (const Bucket of ['scrub-a', 'scrub-b']) await c.send(new CreateBucketCommand({ Bucket }));
  await c.send(new PutObjectCommand({ Bucket: 'scrub-a', Key: 'fine', Body: randomBytes(100_000) }));
  await c.send(new PutObjectCommand({ Bucket: 'scrub-a', Key: 'flipped', Body: randomBytes(100_000) }));
  await c.send(new PutObjectCommand({ Bucket: 'scrub-a', Key: 'inline-flipped', Body: randomBytes(1000) }));
  await c.send(new PutObjectCommand({ Bucket: 'scrub-a', Key: 'kms', Body: randomBytes(10), ServerSideEncryption: 'aws:kms' }));
  const key = randomBytes(32).toString('base64');
  await c.send(new PutObjectCommand({ Bucket: 'scrub-b', Key: 'customer', Body: 'x', SSECustomerAlgorithm: 'AES256', SSECustomerKey: key }));
  await c.send(new PutObjectCommand({ Bucket: 'scrub-b', Key: 'missing', Body: randomBytes(5000) }));
  const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'scrub-b', Key: 'parts' }));
  const parts = [];
  for (const [i, n] of [5 * MiB, 1234].entries()) {
    const r = await c.send(new UploadPartCommand({ Bucket: 'scrub-b', Key: 'parts', UploadId, PartNumber: i + 1, Body: randomBytes(n) }));
    parts.push({ ETag: r.ETag, PartNumber: i + 1 });
  }
  await c.send(new CompleteMultipartUploadCommand({ Bucket: 'scrub-b', Key: 'parts', UploadId, MultipartUpload: { Parts: parts } }));

  const flipped = await blobOf('scrub-a', 'flipped');
  const bytes = Buffer.from(await (await svc.r2.get(flipped))!.arrayBuffer());
  bytes[66_000] ^= 0x40;
  await svc.r2.put(flipped, bytes);
  await svc.r2.delete(await blobOf('scrub-b', 'missing'));
  // A small object's stream is kept in its row: damage there is found the same way.
  const inline = (await storedStream(svc, 'scrub-a', 'inline-flipped'))!;
  inline[500] ^= 0x01;
  await svc.db.prepare("UPDATE objects SET inline_data = ? WHERE bucket = 'scrub-a' AND key = 'inline-flipped'").bind(inline).run();
}, 60_000);
afterAll(() => svc?.stop());

describe('scrub', () => {
  it('walks every object in bounded batches from a cursor, naming damaged ones and skipping SSE-C', async () => {
    const batches: Report[] = [];
    let cursor: string | null = null;
    do {
      const response = await scrub({ cursor, limit: 2 });
      expect(response.status).toBe(200);
      const report = (await response.json()) as Report;
      expect(report.examined).toBeLessThanOrEqual(2);
      batches.push(report);
      cursor = report.cursor;
    } while (cursor !== null);
    const sum = (f: (r: Report) => number) => batches.reduce((n, r) => n + f(r), 0);
    expect(sum((r) => r.examined)).toBe(7);
    expect(sum((r) => r.verified)).toBe(3);
    expect(sum((r) => r.bytes)).toBe(100_000 + 10 + 5 * MiB + 1234);
    expect(sum((r) => r.skipped)).toBe(1);
    expect(batches.flatMap((r) => r.unchecked)).toEqual([]);
    const damaged = batches.flatMap((r) => r.damaged);
    expect(damaged.map((d) => `${d.bucket}/${d.key}`)).toEqual(['scrub-a/flipped', 'scrub-a/inline-flipped', 'scrub-b/missing']);
    expect(damaged[0]!.reason).toMatch(/authentication/);
    expect(damaged[1]!.reason).toMatch(/authentication/);
  });

  it('stops a batch at its byte budget, but always checks at least one object', async () => {
    const report = (await (await scrub({ maxBytes: 1 })).json()) as Report;
    expect(report).toMatchObject({ examined: 1, verified: 1, bytes: 100_000, cursor: '["scrub-a","fine"]' });
  });

  it('answers a bad request with an S3 error', async () => {
    for (const body of [{ cursor: 'nope' }, { limit: 0 }, { maxBytes: 'all' }]) {
      const response = await scrub(body);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('<Code>InvalidArgument</Code>');
    }
  });

  it('runs one batch per cron run from the cursor it keeps, summing up each pass', async () => {
    const worker = await svc.mf.getWorker();
    const state = async (name: string) => (await svc.db.prepare('SELECT value FROM gc_state WHERE name = ?').bind(name).first<{ value: string }>())?.value ?? null;
    // A whole pass in one run: its summary is kept for a health report.
    await worker.scheduled({ scheduledTime: new Date(1000), cron: SCRUB_CRON });
    expect(await state('scrub-cursor')).toBeNull();
    expect(JSON.parse((await state('scrub-last-pass'))!)).toMatchObject({ startedAt: 1000, finishedAt: 1000, examined: 7, verified: 3, skipped: 1, damaged: 3 });
    expect(JSON.parse((await state('scrub-last-pass'))!).damagedObjects.map((d: { key: string }) => d.key)).toEqual(['flipped', 'inline-flipped', 'missing']);
    // The health report shows the damage, and is unhealthy until a pass finds none.
    const health = (await (await admin.fetch(`${svc.endpoint}/_admin/health`)).json()) as { ok: boolean; scrub: { lastPass: { damaged: number } } };
    expect([health.ok, health.scrub.lastPass.damaged]).toEqual([false, 3]);
    // A run goes on from the stored cursor.
    await svc.db.prepare("INSERT INTO gc_state (name, value) VALUES ('scrub-cursor', '[\"scrub-b\",\"missing\"]')").run();
    await worker.scheduled({ scheduledTime: new Date(2000), cron: SCRUB_CRON });
    expect(await state('scrub-cursor')).toBeNull();
    expect(JSON.parse((await state('scrub-last-pass'))!)).toMatchObject({ startedAt: 2000, examined: 1, verified: 1, damaged: 0 });
    // The collector's own runs do not scrub.
    await svc.db.prepare("INSERT INTO gc_state (name, value) VALUES ('scrub-cursor', '[\"scrub-b\",\"missing\"]')").run();
    await svc.collectGarbage(Date.now());
    expect(await state('scrub-cursor')).toBe('["scrub-b","missing"]');
  });
});
