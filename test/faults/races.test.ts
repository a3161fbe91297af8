// Races, each GET checked against every version written: 100 concurrent overwriters of one key
// (single PUTs and multipart uploads) with concurrent readers; a Complete and an Abort of one
// upload, each side made to win in turn by holding the other's commit; copies while the source is
// overwritten. Every GET must return exactly one whole written version.
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService } from '../helpers/service';
import { ABSENT, FULL, collectToConvergence, faultControl, outcome, readVersion, recordFigures, sha256 } from './harness';

let svc: Service;
let client: S3Client;
let faults: ReturnType<typeof faultControl>;
const bucket = 'races';
const KiB = 1024;
const figures = { raceRuns: 0, reads: 0, tornReads: 0, failedReads: 0, failedWrites: 0 };

beforeAll(async () => {
  svc = await startService({ FAULT_INJECTION: 'on' });
  client = svc.client;
  faults = faultControl(svc.mf);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  recordFigures('races', figures);
  await svc?.stop();
});

async function multipartPut(Key: string, Body: Uint8Array): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
  const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body }));
  await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] } }));
}

/** Reads `key` over and over until `done` settles; returns what each read saw. */
async function readUntil(key: string, done: Promise<unknown>): Promise<string[]> {
  let finished = false;
  void done.finally(() => (finished = true));
  const seen: string[] = [];
  while (!finished) seen.push(await readVersion(client, bucket, key));
  seen.push(await readVersion(client, bucket, key));
  return seen;
}

/** Counts reads against the versions that may be seen: torn (a body no writer sent) and failed reads. */
function tally(seen: string[], written: Set<string>): string[] {
  figures.reads += seen.length;
  const torn = seen.filter((v) => !written.has(v) && !v.startsWith('error:'));
  const failed = seen.filter((v) => v.startsWith('error:'));
  figures.tornReads += torn.length;
  figures.failedReads += failed.length;
  return [...torn, ...failed];
}

describe('races', () => {
  it('100 concurrent overwriters of one key, single PUT and multipart, with concurrent readers: every GET one whole version', async () => {
    const writers = FULL ? 100 : 40;
    // Sizes across package boundaries (64 KiB packages): a torn read would show as a wrong hash.
    const bodies = Array.from({ length: writers }, (_, i) => randomBytes(((i * 37) % 200) * KiB + i));
    const written = new Set([ABSENT, ...bodies.map(sha256)]);
    const writes = Promise.all(bodies.map((b, i) => outcome(i % 3 === 0 ? multipartPut('contended', b) : client.send(new PutObjectCommand({ Bucket: bucket, Key: 'contended', Body: b })))));
    const reads = await Promise.all(Array.from({ length: 8 }, () => readUntil('contended', writes)));
    const results = await writes;
    figures.raceRuns++;
    figures.failedWrites += results.filter((r) => !r.ok).length;
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(tally(reads.flat(), written)).toEqual([]);
    const final = await readVersion(client, bucket, 'contended');
    expect(written.has(final) && final !== ABSENT).toBe(true);
    const gc = await collectToConvergence(svc);
    expect(gc).toMatchObject({ missing: [], orphans: [] });
    expect(await readVersion(client, bucket, 'contended')).toBe(final);
  }, 300_000);

  /** An upload of `key` with one part, over an existing object; returns how to complete and abort it. */
  async function prepared(key: string) {
    const old = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'previous version' })).then(() => sha256('previous version'));
    const body = randomBytes(100 * KiB);
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: body }));
    return {
      old,
      completed: sha256(body),
      complete: () => client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] } })),
      abort: () => client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })),
    };
  }

  /** Runs `held` until its commit (its first D1 batch) is held, runs `winner` to the end, then lets `held` go on. */
  async function race(held: () => Promise<unknown>, winner: () => Promise<unknown>) {
    await faults.set({ call: 'd1.batch', nth: 1, mode: 'hold' });
    const loser = outcome(held());
    while ((await faults.log()).held === 0) await new Promise((r) => setTimeout(r, 5));
    const won = await outcome(winner());
    await faults.release();
    const lost = await loser;
    await faults.clear();
    figures.raceRuns++;
    return { won, lost };
  }

  const rounds = FULL ? 10 : 2;

  it('Abort wins over a Complete held at its commit: Complete answers NoSuchUpload and the previous version stays', async () => {
    for (let round = 0; round < rounds; round++) {
      const key = `abort-wins-${round}`;
      const upload = await prepared(key);
      const { won, lost } = await race(upload.complete, upload.abort);
      expect(won).toEqual({ ok: true });
      expect(lost).toEqual({ ok: false, code: 'NoSuchUpload', status: 404 });
      expect(await readVersion(client, bucket, key)).toBe(upload.old);
      expect(await collectToConvergence(svc)).toMatchObject({ missing: [], orphans: [] });
      expect(await readVersion(client, bucket, key)).toBe(upload.old);
    }
  }, 120_000);

  it('Complete wins over an Abort held at its commit: Abort answers NoSuchUpload and the object survives GC whole', async () => {
    for (let round = 0; round < rounds; round++) {
      const key = `complete-wins-${round}`;
      const upload = await prepared(key);
      const { won, lost } = await race(upload.abort, upload.complete);
      expect(won).toEqual({ ok: true });
      expect(lost).toEqual({ ok: false, code: 'NoSuchUpload', status: 404 });
      expect(await readVersion(client, bucket, key)).toBe(upload.completed);
      expect(await collectToConvergence(svc)).toMatchObject({ missing: [], orphans: [] });
      expect(await readVersion(client, bucket, key)).toBe(upload.completed);
    }
  }, 120_000);

  it('copies during overwrites of the source: every copy is one whole source version', async () => {
    const versions = Array.from({ length: FULL ? 40 : 12 }, (_, i) => randomBytes(((i * 53) % 150) * KiB + i));
    const written = new Set([ABSENT, ...versions.map(sha256)]);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-src', Body: versions[0] }));
    const overwrites = Promise.all(versions.slice(1).map((Body) => outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-src', Body })))));
    const copies = Promise.all(versions.map(() => outcome(client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy-dst', CopySource: `${bucket}/copy-src` })))));
    const reads = await readUntil('copy-dst', Promise.all([overwrites, copies]));
    const results = [...(await overwrites), ...(await copies)];
    figures.raceRuns++;
    figures.failedWrites += results.filter((r) => !r.ok).length;
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(tally(reads, written)).toEqual([]);
    expect(await collectToConvergence(svc)).toMatchObject({ missing: [], orphans: [] });
    expect(written.has(await readVersion(client, bucket, 'copy-dst'))).toBe(true);
  }, 300_000);
});
