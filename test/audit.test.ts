// The audit log of key use through real clients and the admin CLI, against MinIO KES as spoken by the
// development KMS: mixed traffic leaves a chain that verifies; entries edited, removed or reordered
// in R2, or a head moved in D1, are reported; queries by object, access key, KMS key and time;
// concurrent appenders never fork the chain; the erasure report after a key is deleted.
import { randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEntry, chain } from '../src/audit/chain';
import { AuditStore } from '../src/audit/store';
import { adminCli, adminGet } from './helpers/admin-cli';
import { s3Error } from './helpers/errors';
import { getBytes } from './helpers/objects';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';
import { backend } from './kms/fixtures';

let svc: Service;
const bucket = 'audited';
const customerKey = randomBytes(32);
const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey.toString('base64') } as const;
let started: number;

beforeAll(async () => {
  svc = await startService({ KMS_CACHE_TTL_SECONDS: '60' }, { kms: { backend: 'kes', devKms: { keyIds: ['key-one', 'key-two'] } } });
  started = Date.now();
  const c = svc.client;
  await c.send(new CreateBucketCommand({ Bucket: bucket }));
  await c.send(new PutObjectCommand({ Bucket: bucket, Key: 's3.txt', Body: 'sse-s3' }));
  await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'kms.txt', Body: 'sse-kms', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-two' }));
  await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'c.txt', Body: 'sse-c', ...ssec }));
  for (let i = 0; i < 2; i++) {
    await getBytes(c, bucket, 's3.txt');
    await getBytes(c, bucket, 'kms.txt');
    await getBytes(c, bucket, 'c.txt', ssec);
  }
  const wrong = { ...ssec, SSECustomerKey: randomBytes(32).toString('base64') };
  expect(await s3Error(getBytes(c, bucket, 'c.txt', wrong))).toMatchObject({ status: 403 });
  expect(await s3Error(c.send(new PutObjectCommand({ Bucket: bucket, Key: 'nokey', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'no-such-key' })))).toMatchObject({ status: 400 });
  const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'multi' }));
  const { ETag } = await c.send(new UploadPartCommand({ Bucket: bucket, Key: 'multi', UploadId, PartNumber: 1, Body: 'one part' }));
  await c.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'multi', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
  await c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy.txt', CopySource: `${bucket}/s3.txt` }));
  // A self-copy that only changes the KMS key re-wraps the data key.
  await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'rewrapped.txt', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-two' }));
  await c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'rewrapped.txt', CopySource: `${bucket}/rewrapped.txt`, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-one', MetadataDirective: 'REPLACE' }));
}, 120_000);

afterAll(() => svc?.stop());

const entries = async (query: Record<string, string> = {}) => (await adminGet<{ entries: AuditEntry[] }>(svc, `audit?${new URLSearchParams({ limit: '1000', ...query })}`)).body.entries;
const verify = async () => (await adminGet<{ ok: boolean; findings: unknown[] }>(svc, 'audit/verify')).body;

describe('audit log', () => {
  it('verifies after mixed traffic (admin CLI)', async () => {
    const { code, stdout } = await adminCli(svc, 'audit', 'verify');
    expect(stdout).toMatch(/audit log intact: \d+ entries/);
    expect(code).toBe(0);
  });

  it('records seals, unseals with cache hits, SSE-C key mismatches and KMS errors, for each object', async () => {
    const kms = await entries({ bucket, key: 'kms.txt' });
    expect(kms.map((e) => [e.action, e.mode, e.kmsKeyId, e.outcome, e.cached ?? null])).toEqual([
      ['seal', 'SSE-KMS', 'key-two', 'ok', null],
      ['unseal', 'SSE-KMS', 'key-two', 'ok', false],
      ['unseal', 'SSE-KMS', 'key-two', 'ok', true],
    ]);
    expect(kms.every((e) => e.accessKey === ACCESS_KEY_ID && /^[0-9A-F]{16}$/.test(e.requestId) && e.time >= started)).toBe(true);
    const c = await entries({ bucket, key: 'c.txt' });
    expect(c.map((e) => [e.action, e.mode, e.outcome])).toEqual([
      ['seal', 'SSE-C', 'ok'],
      ['unseal', 'SSE-C', 'ok'],
      ['unseal', 'SSE-C', 'ok'],
      ['ssec-key-mismatch', 'SSE-C', 'denied'],
    ]);
    expect(await entries({ key: 'nokey' })).toMatchObject([{ action: 'kms-error', kmsKeyId: 'no-such-key', outcome: 'key-not-found', bucket }]);
    expect(await entries({ key: 'rewrapped.txt' })).toContainEqual(expect.objectContaining({ action: 'rewrap', mode: 'SSE-KMS', kmsKeyId: 'key-one', detail: 'from key-two', outcome: 'ok' }));
    // CreateMultipartUpload seals the upload's key, UploadPart opens it.
    expect((await entries({ key: 'multi' })).map((e) => e.action).slice(0, 2)).toEqual(['seal', 'unseal']);
  });

  it('answers queries by KMS key, access key and time range', async () => {
    const all = await entries();
    expect((await entries({ kmsKeyId: 'key-two' })).length).toBe(all.filter((e) => e.kmsKeyId === 'key-two').length);
    expect(await entries({ accessKey: 'NOSUCHKEY' })).toEqual([]);
    expect((await entries({ accessKey: ACCESS_KEY_ID })).length).toBe(all.length);
    const middle = all[Math.floor(all.length / 2)]!;
    const since = await entries({ since: new Date(middle.time).toISOString() });
    expect(since.length).toBeGreaterThan(0);
    expect(since.every((e) => e.time >= middle.time)).toBe(true);
    expect(await entries({ until: new Date(started - 60_000).toISOString() })).toEqual([]);
    // The CLI pages through the same query and prints one JSON entry per line.
    const cli = await adminCli(svc, 'audit', 'list', '--kms-key', 'key-two', '--limit', '2');
    expect(cli.code).toBe(0);
    expect(cli.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual(all.filter((e) => e.kmsKeyId === 'key-two').slice(0, 2));
  });

  it('never holds key material', async () => {
    const raw = JSON.stringify(await entries());
    for (const secret of [customerKey.toString('base64'), customerKey.toString('hex'), SECRET_ACCESS_KEY, svc.devKms!.clientKey]) expect(raw).not.toContain(secret);
  });

  it('reports an edited, a removed and a reordered entry, a removed segment and a moved head', async () => {
    await verify();
    const names = (await svc.audit.list({ prefix: 'audit/' })).objects.map((o) => o.key);
    const name = names[0]!;
    const original = await (await svc.audit.get(name))!.text();
    const segment = JSON.parse(original) as { seq: number; entries: AuditEntry[] };
    expect(segment.entries.length).toBeGreaterThanOrEqual(3);
    const [a, b, c] = segment.entries as [AuditEntry, AuditEntry, AuditEntry];
    const tamper = async (entries: AuditEntry[]) => {
      await svc.audit.put(name, JSON.stringify({ ...segment, entries }));
      try {
        return (await verify()).findings;
      } finally {
        await svc.audit.put(name, original);
      }
    };

    expect(await tamper([{ ...a, outcome: 'ok', key: 'someone-else' }, ...segment.entries.slice(1)])).toEqual([{ problem: 'edited', n: a.n }]);
    expect(await tamper(segment.entries.filter((e) => e !== b))).toEqual([{ problem: 'removed', from: b.n, to: b.n }]);
    expect(await tamper([a, c, b, ...segment.entries.slice(3)])).toEqual([{ problem: 'reordered', n: b.n, after: c.n }]);
    expect(await verify()).toMatchObject({ ok: true });

    // The operator's view: the CLI says what is wrong in words and exits 1.
    await svc.audit.put(name, JSON.stringify({ ...segment, entries: [a, c, b, ...segment.entries.slice(3)] }));
    const cli = await adminCli(svc, 'audit', 'verify');
    await svc.audit.put(name, original);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`entry ${b.n} was moved (it comes after entry ${c.n})`);
    expect(cli.stdout).toContain('audit log NOT intact');

    // A removed segment (R2), then a head moved back to hide the newest entry (D1).
    const last = names.at(-1)!;
    const lastSegment = JSON.parse(await (await svc.audit.get(last))!.text()) as { seq: number; entries: AuditEntry[] };
    await svc.audit.delete(last);
    try {
      expect((await verify()).findings).toEqual([
        { problem: 'segment-missing', seq: lastSegment.seq },
        { problem: 'removed', from: lastSegment.entries[0]!.n, to: lastSegment.entries.at(-1)!.n },
      ]);
    } finally {
      await svc.audit.put(last, JSON.stringify(lastSegment));
    }
    const head = await svc.db.prepare('SELECT n FROM audit_head').first<{ n: number }>();
    await svc.db.prepare('UPDATE audit_head SET n = n - 1').run();
    try {
      expect((await verify()).ok).toBe(false);
    } finally {
      await svc.db.prepare('UPDATE audit_head SET n = ?').bind(head!.n).run();
    }
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('catches a consistent rewrite of R2 and D1 together against a head kept outside', async () => {
    const kept = (await adminGet<{ head: { n: number; hash: string } }>(svc, 'audit/verify')).body.head;
    const anchor = `${kept.n}:${kept.hash}`;
    expect((await adminCli(svc, 'audit', 'verify', '--anchor', anchor)).code).toBe(0);
    // Rewrite the newest segment with an entry changed, re-chained, and move the head to match.
    const name = (await svc.audit.list({ prefix: 'audit/' })).objects.at(-1)!.key;
    const original = await (await svc.audit.get(name))!.text();
    const segment = JSON.parse(original) as { seq: number; entries: AuditEntry[] };
    const first = segment.entries[0]!;
    const events = segment.entries.map(({ n: _n, prev: _p, hash: _h, ...event }, i) => (i === 0 ? { ...event, outcome: 'forged' } : event));
    const forged = await chain({ n: first.n - 1, hash: first.prev }, events);
    const forgedName = `${name.slice(0, 19)}${forged.at(-1)!.hash}`;
    await svc.audit.delete(name);
    await svc.audit.put(forgedName, JSON.stringify({ seq: segment.seq, entries: forged }));
    await svc.db.prepare('UPDATE audit_head SET hash = ?').bind(forged.at(-1)!.hash).run();
    try {
      expect(await verify()).toMatchObject({ ok: true });
      const cli = await adminCli(svc, 'audit', 'verify', '--anchor', anchor);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toContain(`entry ${kept.n} no longer has the hash you kept`);
    } finally {
      await svc.audit.delete(forgedName);
      await svc.audit.put(name, original);
      await svc.db.prepare('UPDATE audit_head SET hash = ?').bind(kept.hash).run();
    }
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('keeps one chain when several isolates append at once', async () => {
    // Stores as separate isolates would hold them: each with its own idea of the head.
    const isolates = Array.from({ length: 4 }, () => new AuditStore(svc.db as unknown as D1Database, svc.audit as unknown as R2Bucket));
    const event = (i: number, j: number) => ({ time: Date.now(), requestId: `ISOLATE${i}EVENT${j}`, accessKey: null, action: 'seal' as const, mode: null, bucket: 'concurrent', key: `${i}/${j}`, kmsKeyId: null, outcome: 'ok' });
    const before = (await entries({ bucket: 'concurrent' })).length;
    // Each isolate flushes one segment at a time (AuditLog serialises them), all isolates at once.
    const appended = await Promise.all(
      isolates.map(async (store, i) => {
        const results = [];
        for (const j of [0, 1, 2]) results.push(await store.append([event(i, j), event(i, j + 10)]));
        return results;
      }),
    );
    expect(appended.flat()).toEqual(Array(12).fill(true));
    const after = await entries({ bucket: 'concurrent' });
    expect(after.length - before).toBe(24);
    expect(await verify()).toMatchObject({ ok: true, findings: [] });
    // Losers deleted their segments: one object per segment number.
    const seqs = (await svc.audit.list({ prefix: 'audit/' })).objects.map((o) => o.key.slice(6, 18));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('appends in batches: a burst of GETs adds one segment, not one per request', async () => {
    await verify();
    const seq = async () => (await svc.db.prepare('SELECT seq FROM audit_head').first<{ seq: number }>())!.seq;
    const before = await seq();
    await Promise.all(Array.from({ length: 30 }, () => getBytes(svc.client, bucket, 's3.txt')));
    expect(await verify()).toMatchObject({ ok: true });
    // The admin request flushed what the 30 GETs buffered (2 s flush interval): at most 2 segments.
    expect((await seq()) - before).toBeLessThanOrEqual(2);
  });

  it('lists the objects a deleted KMS key made unreadable (erasure report), and health shows it', async () => {
    const admin = backend('kes', svc.devKms!);
    const keyId = await admin.createKey();
    await svc.client.send(new CreateBucketCommand({ Bucket: 'doomed' }));
    await svc.client.send(
      new PutBucketEncryptionCommand({
        Bucket: 'doomed',
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyId }, BucketKeyEnabled: true }] },
      }),
    );
    for (const key of ['a', 'b']) await svc.client.send(new PutObjectCommand({ Bucket: 'doomed', Key: key, Body: key }));
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'doomed-too', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId }));

    const before = await adminCli(svc, 'erasure-report', '--kms-key', keyId);
    expect(before.stdout).toContain(`KMS key ${keyId}: usable`);
    expect(before.stdout).toContain('3 object(s) and 0 upload(s) in progress are protected by it');

    await admin.deleteKey(keyId);
    const after = await adminCli(svc, 'erasure-report', '--kms-key', keyId, '--json');
    expect(after.code).toBe(0);
    const report = JSON.parse(after.stdout);
    expect(report).toMatchObject({ kmsKeyId: keyId, state: 'erased', count: 3 });
    expect(report.objects.map((o: { bucket: string; key: string }) => `${o.bucket}/${o.key}`)).toEqual([`${bucket}/doomed-too`, 'doomed/a', 'doomed/b']);
    expect(await entries({ kmsKeyId: keyId })).toContainEqual(expect.objectContaining({ action: 'erasure', outcome: 'erased' }));

    const health = await adminCli(svc, 'health', '--json');
    expect(health.code).toBe(1);
    const h = JSON.parse(health.stdout);
    expect(h).toMatchObject({ ok: false, d1: { ok: true }, r2: { ok: true }, kms: { ok: true, defaultKeyId: 'key-one' } });
    expect(h.keys).toContainEqual(expect.objectContaining({ kmsKeyId: keyId, state: 'erased', objects: 3 }));
    expect(h.keys).toContainEqual(expect.objectContaining({ kmsKeyId: 'key-one', default: true, state: 'usable' }));
  });
});
