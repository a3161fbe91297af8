import { randomBytes } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** The whole body of a GetObject, with any extra request fields (Range, SSE-C key, PartNumber…). */
/**
 * The three SSE modes as an SDK request asks for them: the fields of a write and of a read, under
 * one random customer key (`ssec`) for SSE-C.
 */
export function sseModes() {
  const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: randomBytes(32).toString('base64') } as const;
  const modes = {
    'SSE-S3': { write: {}, read: {} },
    'SSE-KMS': { write: { ServerSideEncryption: 'aws:kms' }, read: {} },
    'SSE-C': { write: ssec, read: ssec },
  } as const;
  return { ssec, modes, names: Object.keys(modes) as (keyof typeof modes)[] };
}

export async function getBytes(client: S3Client, Bucket: string, Key: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

/** A D1 BLOB column's value as bytes (D1 hands them back as ArrayBuffer or number[]). */
export const blobColumn = (v: ArrayBuffer | number[]) => Buffer.from(v instanceof ArrayBuffer ? new Uint8Array(v) : v);

/**
 * The encrypted stream of a single-PUT object as stored: its row's inline_data (a small object) or
 * its R2 blob; null if the key has no such object.
 */
export async function storedStream(s: { r2: { get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null> }; db: D1Like }, bucket: string, key: string): Promise<Buffer | null> {
  const row = await s.db.prepare('SELECT blob_id, inline_data FROM objects WHERE bucket = ? AND key = ?').bind(bucket, key).first<{ blob_id: string | null; inline_data: ArrayBuffer | number[] | null }>();
  if (row?.inline_data) return blobColumn(row.inline_data);
  const blob = row?.blob_id ? await s.r2.get(row.blob_id) : null;
  return blob && Buffer.from(await blob.arrayBuffer());
}

interface D1Like {
  prepare(sql: string): { bind(...values: unknown[]): { first<T>(): Promise<T | null> } };
}

/** The raw local R2 bucket and D1 database of a service (Service.r2, Service.db). */
export interface Stores {
  r2: { list(o: { prefix: string; cursor?: string }): Promise<{ objects: { key: string }[]; truncated: boolean; cursor?: string }> };
  db: { prepare(sql: string): { all<T>(): Promise<{ results: T[] }> } };
}

/** Blob ids any row refers to: every column named blob_id of every table, so tables added later count too. */
export async function referencedBlobs(db: Stores['db']): Promise<Set<string>> {
  const { results: tables } = await db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all<{ name: string; sql: string }>();
  const ids = new Set<string>();
  for (const { name } of tables.filter((t) => /\bblob_id\b/.test(t.sql) && !/trash/.test(t.name) && !t.name.startsWith('_cf'))) {
    const { results } = await db.prepare(`SELECT blob_id FROM "${name}" WHERE blob_id IS NOT NULL`).all<{ blob_id: string }>();
    for (const r of results) ids.add(r.blob_id);
  }
  return ids;
}

/** Every blob in R2, read from R2 itself. */
export async function storedBlobs(r2: Stores['r2']): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await r2.list({ prefix: 'blobs/', cursor });
    for (const o of page.objects) ids.add(o.key);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return ids;
}

/** Blobs in the trash: written by a failed or replaced write, deleted by GC after the grace period. */
export async function trashedBlobs(db: Stores['db']): Promise<Set<string>> {
  const { results } = await db.prepare('SELECT blob_id FROM blob_trash').all<{ blob_id: string }>();
  return new Set(results.map((r) => r.blob_id));
}

/** Every object row as a version (key, ETag, time): a small object's bytes are in its row, not in R2. */
async function objectVersions(db: Stores['db']): Promise<Set<string>> {
  const { results } = await db.prepare('SELECT bucket, key, etag, last_modified FROM objects').all<{ bucket: string; key: string; etag: string; last_modified: number }>();
  return new Set(results.map((r) => `${r.bucket}/${r.key} ${r.etag} ${r.last_modified}`));
}

type Snapshot = { stored: Set<string>; referenced: Set<string>; versions: Set<string> };

/** What R2 holds, rows refer to and object rows are now, for nothingStoredSince. */
export async function blobSnapshot(s: Stores): Promise<Snapshot> {
  return { stored: await storedBlobs(s.r2), referenced: await referencedBlobs(s.db), versions: await objectVersions(s.db) };
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/**
 * What a refused write left behind since `before`, looking at R2 itself and not only at D1: object
 * rows changed, rows that refer to other blobs than before, and blobs new in R2 that are not in the
 * trash (GC would never collect them). Empty when nothing was stored.
 */
export async function nothingStoredSince(s: Stores, before: Snapshot): Promise<string[]> {
  const now = await blobSnapshot(s);
  const trashed = await trashedBlobs(s.db);
  return [
    ...(sameSet(now.versions, before.versions) ? [] : [`object rows are now ${[...now.versions].join(', ')} instead of ${[...before.versions].join(', ')}`]),
    ...(sameSet(now.referenced, before.referenced) ? [] : [`rows now refer to ${[...now.referenced].join(' ')} instead of ${[...before.referenced].join(' ')}`]),
    ...[...now.stored].filter((id) => !before.stored.has(id) && !trashed.has(id)).map((id) => `${id} stored in R2 and not in the trash`),
  ];
}
