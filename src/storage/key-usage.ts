// Which stored objects (and uploads in progress) each KMS key protects (D1): for the erasure report
// and the health report.
// An object under a bucket key is protected by the KMS key that seals that bucket key now (a re-wrap
// moves bucket keys without touching their objects' rows).

export interface ProtectedObject {
  bucket: string;
  key: string;
  size: number;
  lastModified: number;
  sseMode: 'SSE-S3' | 'SSE-KMS';
}

export interface KeyCount {
  kmsKeyId: string;
  objects: number;
  uploads: number;
}

export interface GcBacklog {
  trashedBlobs: number;
  oldestTrashedAt: number | null;
  uploadsInProgress: number;
  oldestUploadAt: number | null;
}

/** The KMS key protecting a row: its bucket key's when it has one. */
const PROTECTING_KEY = 'COALESCE(k.kek_id, t.kek_id)';
const UNDER = `(${PROTECTING_KEY} IN (SELECT value FROM json_each(?1)) OR k.key_id IN (SELECT value FROM json_each(?1)))`;
const KMS_SEALED = "t.sse_mode IN ('SSE-S3', 'SSE-KMS')";
/** An SSE-C upload whose parts-manifest key is sealed under one of ?1 (docs/KEYS.md). */
const MANIFEST_UNDER = 'manifest_kek_id IN (SELECT value FROM json_each(?1))';

export class KeyUsageStore {
  constructor(private readonly db: D1Database) {}

  /** Objects under any of `keyIds` (names of one KMS key), after `after` ([bucket, key]), in key order. */
  async objectsUnder(keyIds: string[], after: [string, string] | null, limit: number): Promise<ProtectedObject[]> {
    const { results } = await this.db
      .prepare(
        `SELECT t.bucket, t.key, t.size, t.last_modified, t.sse_mode FROM objects t LEFT JOIN bucket_keys k ON k.id = t.bucket_key_id
         WHERE ${KMS_SEALED} AND ${UNDER} AND (t.bucket, t.key) > (?2, ?3) ORDER BY t.bucket, t.key LIMIT ?4`,
      )
      .bind(JSON.stringify(keyIds), after?.[0] ?? '', after?.[1] ?? '', limit)
      .all<{ bucket: string; key: string; size: number; last_modified: number; sse_mode: ProtectedObject['sseMode'] }>();
    return results.map((r) => ({ bucket: r.bucket, key: r.key, size: r.size, lastModified: r.last_modified, sseMode: r.sse_mode }));
  }

  /** How many objects and uploads in progress `keyIds` protect (an SSE-C upload: its manifest key). */
  async countUnder(keyIds: string[]): Promise<{ objects: number; uploads: number }> {
    const ids = JSON.stringify(keyIds);
    const count = (table: string) =>
      this.db.prepare(`SELECT count(*) AS n FROM ${table} t LEFT JOIN bucket_keys k ON k.id = t.bucket_key_id WHERE ${KMS_SEALED} AND ${UNDER}`).bind(ids);
    const manifests = this.db.prepare(`SELECT count(*) AS n FROM uploads WHERE ${MANIFEST_UNDER}`).bind(ids);
    const [objects, uploads, manifestUploads] = await this.db.batch<{ n: number }>([count('objects'), count('uploads'), manifests]);
    return { objects: objects!.results[0]!.n, uploads: uploads!.results[0]!.n + manifestUploads!.results[0]!.n };
  }

  /** Objects and uploads per protecting KMS key (re-wrap progress: what is still under each key). */
  async perKey(): Promise<KeyCount[]> {
    const group = (table: string) =>
      this.db.prepare(`SELECT ${PROTECTING_KEY} AS protecting, count(*) AS n FROM ${table} t LEFT JOIN bucket_keys k ON k.id = t.bucket_key_id WHERE ${KMS_SEALED} GROUP BY protecting`);
    const manifests = this.db.prepare('SELECT manifest_kek_id AS protecting, count(*) AS n FROM uploads WHERE manifest_kek_id IS NOT NULL GROUP BY protecting');
    const [objects, uploads, manifestUploads] = await this.db.batch<{ protecting: string; n: number }>([group('objects'), group('uploads'), manifests]);
    const counts = new Map<string, KeyCount>();
    const at = (id: string) => counts.get(id) ?? counts.set(id, { kmsKeyId: id, objects: 0, uploads: 0 }).get(id)!;
    for (const r of objects!.results) at(r.protecting).objects = r.n;
    for (const r of [...uploads!.results, ...manifestUploads!.results]) at(r.protecting).uploads += r.n;
    return [...counts.values()].sort((a, b) => (a.kmsKeyId < b.kmsKeyId ? -1 : 1));
  }

  async gcBacklog(): Promise<GcBacklog> {
    const [trash, uploads] = await this.db.batch<{ n: number; oldest: number | null }>([
      this.db.prepare('SELECT count(*) AS n, min(trashed_at) AS oldest FROM blob_trash'),
      this.db.prepare('SELECT count(*) AS n, min(initiated) AS oldest FROM uploads'),
    ]);
    const t = trash!.results[0]!;
    const u = uploads!.results[0]!;
    return { trashedBlobs: t.n, oldestTrashedAt: t.oldest, uploadsInProgress: u.n, oldestUploadAt: u.oldest };
  }
}
