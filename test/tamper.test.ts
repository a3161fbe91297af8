// Whoever can write D1 or R2 (but holds no key) cannot make the service serve bytes that were not
// written: tampering with any SSE mode's blob, a row's size, or a multipart object's part rows is
// an S3 error, and the object reads back whole once the damage is undone.
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBytes as readBytes, storedStream } from './helpers/objects';
import { type Service, startService } from './helpers/service';

let svc: Service;
const bucket = 'tamper';
const bucketKeyBucket = 'tamper-bucket-keys';
const customerKey = randomBytes(32);
const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey.toString('base64') } as const;

/** Each SSE mode as a test names it: its bucket and the request fields of writes and reads. */
const MODES = {
  'SSE-S3': { bucket, write: { ServerSideEncryption: 'AES256' }, read: {} },
  'SSE-C': { bucket, write: ssec, read: ssec },
  'SSE-KMS': { bucket, write: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'kms-key' }, read: {} },
  'SSE-KMS bucket key': { bucket: bucketKeyBucket, write: { ServerSideEncryption: 'aws:kms' }, read: {} },
} as const;
type Mode = keyof typeof MODES;

const DATA_DAMAGED = 'The stored object data failed authentication; no unauthenticated bytes were returned.';

/** How a request ends: its result, or the S3 error (code, status, message) the client got. */
async function outcome<T>(p: Promise<T>): Promise<T | { code: string; status?: number; message: string }> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return { code: e.name, status: e.$metadata.httpStatusCode, message: e.message };
    throw e;
  }
}
const damagedData = { code: 'InternalError', status: 500, message: DATA_DAMAGED };

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  svc = await startService({ MASTER_KEY: `kms-key:${Buffer.alloc(32, 3).toString('base64')}` });
  for (const b of [bucket, bucketKeyBucket]) await svc.client.send(new CreateBucketCommand({ Bucket: b }));
  await svc.client.send(
    new PutBucketEncryptionCommand({
      Bucket: bucketKeyBucket,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'kms-key' }, BucketKeyEnabled: true }] },
    }),
  );
}, 120_000);
afterAll(() => svc?.stop());

const row = (b: string, key: string) => svc.db.prepare('SELECT blob_id, size FROM objects WHERE bucket = ? AND key = ?').bind(b, key).first<{ blob_id: string; size: number }>();

/** Runs `check` on tampered state, then `undo`es the tampering. */
async function tampered(undo: () => Promise<unknown>, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } finally {
    await undo();
  }
}

describe.each(Object.keys(MODES) as Mode[])('single-PUT %s', (mode) => {
  const { bucket: b, write, read } = MODES[mode];
  const key = `single-${mode}`;
  const body = randomBytes(3 * 65536 + 77);
  const get = () => readBytes(svc.client, b, key, read);

  beforeAll(async () => {
    await svc.client.send(new PutObjectCommand({ Bucket: b, Key: key, Body: body, ...write }));
  });

  it('refuses a flipped ciphertext byte', async () => {
    const { blob_id } = (await row(b, key))!;
    const stored = Buffer.from(await (await svc.r2.get(blob_id))!.arrayBuffer());
    const bad = Buffer.from(stored);
    bad[2 * 65566 + 9]! ^= 0x40;
    await svc.r2.put(blob_id, bad);
    await tampered(
      () => svc.r2.put(blob_id, stored),
      async () => expect(await outcome(get())).toEqual(damagedData),
    );
    expect(sha(await get())).toBe(sha(body));
  });

  it.each([-1, 1, -65536, 65536])('refuses a row whose size was changed by %i', async (delta) => {
    const { size } = (await row(b, key))!;
    const setSize = (n: number) => svc.db.prepare('UPDATE objects SET size = ? WHERE bucket = ? AND key = ?').bind(n, b, key).run();
    await setSize(size + delta);
    await tampered(
      () => setSize(size),
      async () => expect(await outcome(get())).toEqual(damagedData),
    );
    expect(sha(await get())).toBe(sha(body));
  });
});

describe.each(Object.keys(MODES) as Mode[])('inline (kept in its row) %s', (mode) => {
  const { bucket: b, write, read } = MODES[mode];
  const key = `inline-${mode}`;
  const other = `inline-other-${mode}`;
  const body = randomBytes(3000);
  const get = () => readBytes(svc.client, b, key, read);
  const inlineOf = async (k: string) => (await storedStream(svc, b, k))!;
  const setInline = (bytes: Uint8Array) => svc.db.prepare('UPDATE objects SET inline_data = ? WHERE bucket = ? AND key = ?').bind(bytes, b, key).run();

  beforeAll(async () => {
    await svc.client.send(new PutObjectCommand({ Bucket: b, Key: key, Body: body, ...write }));
    await svc.client.send(new PutObjectCommand({ Bucket: b, Key: other, Body: randomBytes(3000), ...write }));
    expect((await row(b, key))!.blob_id).toBeNull();
  });

  it.each([
    ['a flipped ciphertext byte', (s: Buffer) => Buffer.from(s.map((x, i) => (i === 1500 ? x ^ 0x01 : x)))],
    ['a cut-off tag', (s: Buffer) => s.subarray(0, s.length - 1)],
    ['an empty stream', () => Buffer.alloc(0)],
  ])('refuses %s', async (_, damage) => {
    const stored = await inlineOf(key);
    await setInline(damage(stored));
    await tampered(
      () => setInline(stored),
      async () => expect(await outcome(get())).toEqual(damagedData),
    );
    expect(sha(await get())).toBe(sha(body));
  });

  it("refuses another object's stream of the same size, under the same key", async () => {
    const stored = await inlineOf(key);
    await setInline(await inlineOf(other));
    await tampered(
      () => setInline(stored),
      async () => expect(await outcome(get())).toEqual(damagedData),
    );
    expect(sha(await get())).toBe(sha(body));
  });
});

describe.each(Object.keys(MODES) as Mode[])('multipart %s', (mode) => {
  const { bucket: b, write, read } = MODES[mode];
  const key = `multi-${mode}`;
  const MiB = 1024 * 1024;
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 3), randomBytes(70_000)];
  const body = Buffer.concat(parts);
  const get = (extra: Record<string, unknown> = {}) => readBytes(svc.client, b, key, { ...read, ...extra });
  const attributes = () => svc.client.send(new GetObjectAttributesCommand({ Bucket: b, Key: key, ObjectAttributes: ['ObjectParts', 'ObjectSize'], ...read }));
  const partRows = async () =>
    (await svc.db.prepare('SELECT part_number, ordinal, blob_id, size FROM object_parts WHERE bucket = ? AND key = ? ORDER BY ordinal').bind(b, key).all<{ part_number: number; ordinal: number; blob_id: string; size: number }>())
      .results;
  const exec = (sql: string, ...values: unknown[]) => svc.db.prepare(sql).bind(...values).run();

  beforeAll(async () => {
    const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: b, Key: key, ...write }));
    const uploaded = [];
    for (const [i, part] of parts.entries()) {
      const { ETag } = await svc.client.send(new UploadPartCommand({ Bucket: b, Key: key, UploadId, PartNumber: i + 1, Body: part, ...read }));
      uploaded.push({ PartNumber: i + 1, ETag });
    }
    // Without the SSE-C key, as the aws CLI completes: the sealed manifest key authenticates the parts.
    await svc.client.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: key, UploadId, MultipartUpload: { Parts: uploaded } }));
    expect(sha(await get())).toBe(sha(body));
  }, 120_000);

  /** The object's row and part rows as stored, and a function that puts them back. */
  async function saved(): Promise<() => Promise<unknown>> {
    const object = (await svc.db.prepare('SELECT * FROM objects WHERE bucket = ? AND key = ?').bind(b, key).first<Record<string, unknown>>())!;
    const rows = (await svc.db.prepare('SELECT * FROM object_parts WHERE bucket = ? AND key = ?').bind(b, key).all<Record<string, unknown>>()).results;
    const insert = (table: string, r: Record<string, unknown>) =>
      svc.db.prepare(`INSERT INTO ${table} (${Object.keys(r).join(', ')}) VALUES (${Object.keys(r).map(() => '?').join(', ')})`).bind(...Object.values(r));
    return () =>
      svc.db.batch([
        svc.db.prepare('DELETE FROM object_parts WHERE bucket = ? AND key = ?').bind(b, key),
        svc.db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?').bind(b, key),
        insert('objects', object),
        ...rows.map((r) => insert('object_parts', r)),
      ]);
  }

  /**
   * Applies `statements` to the stored rows, expects the damaged-data error (also for `extra` reads,
   * and from GetObjectAttributes when the part list no longer matches its manifest), restores.
   */
  async function refuses(statements: [string, ...unknown[]][], { extra = [] as Record<string, unknown>[], partListForged = true } = {}): Promise<void> {
    const restore = await saved();
    for (const [sql, ...values] of statements) await exec(sql, ...values);
    await tampered(restore, async () => {
      expect(await outcome(get())).toEqual(damagedData);
      if (partListForged) expect(await outcome(attributes())).toEqual(damagedData);
      for (const e of extra) expect(await outcome(get(e))).toEqual(damagedData);
    });
  }

  const where = 'bucket = ? AND key = ?';

  it('refuses swapped part positions', () =>
    refuses(
      [
        [`UPDATE object_parts SET ordinal = 99 WHERE ${where} AND ordinal = 1`, b, key],
        [`UPDATE object_parts SET ordinal = 1 WHERE ${where} AND ordinal = 2`, b, key],
        [`UPDATE object_parts SET ordinal = 2 WHERE ${where} AND ordinal = 99`, b, key],
      ],
      { extra: [{ PartNumber: 2 }, { Range: 'bytes=0-10' }] },
    ));

  // The part list (numbers, sizes) stays the sealed one, so GetObjectAttributes may report it.
  it('refuses swapped part blobs', async () => {
    const [one, two] = await partRows();
    await refuses(
      [
        [`UPDATE object_parts SET blob_id = ? WHERE ${where} AND ordinal = 1`, two!.blob_id, b, key],
        [`UPDATE object_parts SET blob_id = ? WHERE ${where} AND ordinal = 2`, one!.blob_id, b, key],
      ],
      { partListForged: false },
    );
  });

  it('refuses a dropped part with the sizes adjusted to match', async () => {
    const [, middle] = await partRows();
    await refuses([
      [`DELETE FROM object_parts WHERE ${where} AND ordinal = 2`, b, key],
      [`UPDATE object_parts SET ordinal = 2 WHERE ${where} AND ordinal = 3`, b, key],
      [`UPDATE objects SET size = size - ?, parts_count = 2 WHERE ${where}`, middle!.size, b, key],
    ]);
  });

  it('refuses a resized part', () =>
    refuses([
      [`UPDATE object_parts SET size = size - 1 WHERE ${where} AND ordinal = 3`, b, key],
      [`UPDATE objects SET size = size - 1 WHERE ${where}`, b, key],
    ]));

  it('refuses an object whose manifest was removed', () => refuses([[`UPDATE objects SET parts_mac = NULL WHERE ${where}`, b, key]]));

  it('reads back whole once the damage is undone', async () => {
    expect(sha(await get())).toBe(sha(body));
    const { ObjectParts, ObjectSize } = await attributes();
    expect([ObjectSize, ObjectParts?.Parts?.map((p) => p.Size)]).toEqual([body.length, parts.map((p) => p.length)]);
    expect(sha(await get({ Range: 'bytes=5242870-5242890' }))).toBe(sha(body.subarray(5242870, 5242891)));
  });
});

describe('a missing blob', () => {
  it('is the damaged-data S3 error', async () => {
    const key = 'single-SSE-S3';
    const { blob_id } = (await row(bucket, key))!;
    const stored = await (await svc.r2.get(blob_id))!.arrayBuffer();
    await svc.r2.delete(blob_id);
    await tampered(
      () => svc.r2.put(blob_id, stored),
      async () => expect(await outcome(readBytes(svc.client, bucket, key))).toEqual(damagedData),
    );
  });
});
