import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** The whole body of a GetObject, with any extra request fields (Range, SSE-C key, PartNumber…). */
export async function getBytes(client: S3Client, Bucket: string, Key: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return Buffer.from(await got.Body!.transformToByteArray());
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

/** What R2 holds and rows refer to now, for nothingStoredSince. */
export async function blobSnapshot(s: Stores): Promise<{ stored: Set<string>; referenced: Set<string> }> {
  return { stored: await storedBlobs(s.r2), referenced: await referencedBlobs(s.db) };
}

/**
 * What a refused write left behind since `before`, looking at R2 itself and not only at D1: rows
 * that refer to other blobs than before, and blobs new in R2 that are not in the trash (GC would
 * never collect them). Empty when nothing was stored.
 */
export async function nothingStoredSince(s: Stores, before: { stored: Set<string>; referenced: Set<string> }): Promise<string[]> {
  const now = await blobSnapshot(s);
  const trashed = await trashedBlobs(s.db);
  const same = now.referenced.size === before.referenced.size && [...now.referenced].every((id) => before.referenced.has(id));
  return [
    ...(same ? [] : [`rows now refer to ${[...now.referenced].join(' ')} instead of ${[...before.referenced].join(' ')}`]),
    ...[...now.stored].filter((id) => !before.stored.has(id) && !trashed.has(id)).map((id) => `${id} stored in R2 and not in the trash`),
  ];
}
