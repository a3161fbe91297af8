// Buckets and object rows in D1. Every function is one round trip (a statement or an atomic batch).

export interface ObjectHeaders {
  contentType: string | null;
  cacheControl: string | null;
  contentDisposition: string | null;
  contentEncoding: string | null;
  contentLanguage: string | null;
  expires: string | null;
}

/** How an object's data key is sealed (docs/KEYS.md); the blob is a stream of `formatVersion`. */
export interface ObjectSealing {
  sseMode: 'SSE-S3' | 'SSE-C';
  formatVersion: number;
  kekId: string | null;
  sealedKey: Uint8Array;
  ssecSalt: Uint8Array | null;
  ssecFingerprint: Uint8Array | null;
}

export interface ObjectRecord extends ObjectHeaders, ObjectSealing {
  bucket: string;
  key: string;
  blobId: string;
  size: number;
  etag: string;
  lastModified: number;
  userMetadata: Record<string, string>;
  checksumAlgorithm: string | null;
  checksumValue: string | null;
}

export interface BucketEncryption {
  algorithm: 'AES256';
  bucketKeyEnabled: boolean;
  blockedEncryptionTypes: string[];
}

export interface BucketRecord {
  name: string;
  createdAt: number;
  /** Null: the default, SSE-S3. */
  encryption: BucketEncryption | null;
}

interface BucketRow {
  name: string;
  created_at: number;
  encryption: string | null;
}

const toBucket = (r: BucketRow): BucketRecord => ({
  name: r.name,
  createdAt: r.created_at,
  encryption: r.encryption === null ? null : (JSON.parse(r.encryption) as BucketEncryption),
});

/** D1 hands BLOB columns back as ArrayBuffer or as an array of numbers, depending on the runtime. */
function bytes(v: ArrayBuffer | number[] | null): Uint8Array | null {
  if (v === null) return null;
  return v instanceof ArrayBuffer ? new Uint8Array(v) : Uint8Array.from(v);
}

interface ObjectRow {
  bucket: string;
  key: string;
  blob_id: string;
  size: number;
  etag: string;
  last_modified: number;
  content_type: string | null;
  cache_control: string | null;
  content_disposition: string | null;
  content_encoding: string | null;
  content_language: string | null;
  expires: string | null;
  user_metadata: string;
  checksum_algorithm: string | null;
  checksum_value: string | null;
  sse_mode: 'SSE-S3' | 'SSE-C';
  format_version: number;
  kek_id: string | null;
  sealed_key: ArrayBuffer | number[];
  ssec_salt: ArrayBuffer | number[] | null;
  ssec_fingerprint: ArrayBuffer | number[] | null;
}

const OBJECT_COLUMNS =
  'bucket, key, blob_id, size, etag, last_modified, content_type, cache_control, content_disposition, ' +
  'content_encoding, content_language, expires, user_metadata, checksum_algorithm, checksum_value, ' +
  'sse_mode, format_version, kek_id, sealed_key, ssec_salt, ssec_fingerprint';

function toRecord(r: ObjectRow): ObjectRecord {
  return {
    bucket: r.bucket,
    key: r.key,
    blobId: r.blob_id,
    size: r.size,
    etag: r.etag,
    lastModified: r.last_modified,
    contentType: r.content_type,
    cacheControl: r.cache_control,
    contentDisposition: r.content_disposition,
    contentEncoding: r.content_encoding,
    contentLanguage: r.content_language,
    expires: r.expires,
    userMetadata: JSON.parse(r.user_metadata) as Record<string, string>,
    checksumAlgorithm: r.checksum_algorithm,
    checksumValue: r.checksum_value,
    sseMode: r.sse_mode,
    formatVersion: r.format_version,
    kekId: r.kek_id,
    sealedKey: bytes(r.sealed_key)!,
    ssecSalt: bytes(r.ssec_salt),
    ssecFingerprint: bytes(r.ssec_fingerprint),
  };
}

export type Lookup<T> = { bucketExists: false } | { bucketExists: true; value: T | null };

export class MetadataStore {
  constructor(private readonly db: D1Database) {}

  // Buckets

  async createBucket(name: string, now: number): Promise<boolean> {
    const r = await this.db
      .prepare('INSERT INTO buckets (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING')
      .bind(name, now)
      .run();
    return r.meta.changes > 0;
  }

  async getBucket(name: string): Promise<BucketRecord | null> {
    const r = await this.db.prepare('SELECT name, created_at, encryption FROM buckets WHERE name = ?').bind(name).first<BucketRow>();
    return r && toBucket(r);
  }

  async listBuckets(): Promise<BucketRecord[]> {
    const { results } = await this.db.prepare('SELECT name, created_at, encryption FROM buckets ORDER BY name').all<BucketRow>();
    return results.map(toBucket);
  }

  /** Sets (or with null, resets) a bucket's default encryption; false when the bucket is missing. */
  async setBucketEncryption(name: string, encryption: BucketEncryption | null): Promise<boolean> {
    const r = await this.db
      .prepare('UPDATE buckets SET encryption = ? WHERE name = ?')
      .bind(encryption && JSON.stringify(encryption), name)
      .run();
    return r.meta.changes > 0;
  }

  /** Deletes an empty bucket: 'deleted', 'missing', or 'not-empty' (checked in the same statement). */
  async deleteBucket(name: string): Promise<'deleted' | 'missing' | 'not-empty'> {
    const r = await this.db
      .prepare('DELETE FROM buckets WHERE name = ? AND NOT EXISTS (SELECT 1 FROM objects WHERE bucket = ?)')
      .bind(name, name)
      .run();
    if (r.meta.changes > 0) return 'deleted';
    return (await this.getBucket(name)) ? 'not-empty' : 'missing';
  }

  // Objects

  /** The object row, telling a missing bucket apart from a missing key in one query. */
  async getObject(bucket: string, key: string): Promise<Lookup<ObjectRecord>> {
    const row = await this.db
      .prepare(
        `SELECT b.name AS bucket_name, ${OBJECT_COLUMNS.split(', ').map((c) => `o.${c}`).join(', ')}
         FROM buckets b LEFT JOIN objects o ON o.bucket = b.name AND o.key = ?2 WHERE b.name = ?1`,
      )
      .bind(bucket, key)
      .first<ObjectRow & { bucket_name: string }>();
    if (!row) return { bucketExists: false };
    return { bucketExists: true, value: row.blob_id === null ? null : toRecord(row) };
  }

  /**
   * Makes `record` the visible version of its key, atomically: the replaced blob (if any) moves to
   * the trash in the same transaction, so concurrent writers each trash exactly what they replaced.
   */
  async putObject(record: ObjectRecord): Promise<void> {
    const trashReplaced = this.db
      .prepare(
        `INSERT INTO blob_trash (blob_id, trashed_at)
         SELECT blob_id, ?3 FROM objects WHERE bucket = ?1 AND key = ?2 ON CONFLICT DO NOTHING`,
      )
      .bind(record.bucket, record.key, record.lastModified);
    const upsert = this.db
      .prepare(
        `INSERT INTO objects (${OBJECT_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
         ON CONFLICT (bucket, key) DO UPDATE SET blob_id = ?3, size = ?4, etag = ?5, last_modified = ?6,
           content_type = ?7, cache_control = ?8, content_disposition = ?9, content_encoding = ?10,
           content_language = ?11, expires = ?12, user_metadata = ?13, checksum_algorithm = ?14, checksum_value = ?15,
           sse_mode = ?16, format_version = ?17, kek_id = ?18, sealed_key = ?19, ssec_salt = ?20, ssec_fingerprint = ?21`,
      )
      .bind(
        record.bucket,
        record.key,
        record.blobId,
        record.size,
        record.etag,
        record.lastModified,
        record.contentType,
        record.cacheControl,
        record.contentDisposition,
        record.contentEncoding,
        record.contentLanguage,
        record.expires,
        JSON.stringify(record.userMetadata),
        record.checksumAlgorithm,
        record.checksumValue,
        record.sseMode,
        record.formatVersion,
        record.kekId,
        record.sealedKey,
        record.ssecSalt,
        record.ssecFingerprint,
      );
    await this.db.batch([trashReplaced, upsert]);
  }

  /** Deletes rows of `keys` (missing keys are fine), trashing their blobs in the same transaction. */
  async deleteObjects(bucket: string, keys: string[], now: number): Promise<void> {
    if (!keys.length) return;
    const list = JSON.stringify(keys);
    await this.db.batch([
      this.db
        .prepare(
          `INSERT INTO blob_trash (blob_id, trashed_at) SELECT blob_id, ?3 FROM objects
           WHERE bucket = ?1 AND key IN (SELECT value FROM json_each(?2)) ON CONFLICT DO NOTHING`,
        )
        .bind(bucket, list, now),
      this.db.prepare('DELETE FROM objects WHERE bucket = ?1 AND key IN (SELECT value FROM json_each(?2))').bind(bucket, list),
    ]);
  }

  /** Up to `limit` rows with `from` <= key, `after` < key and key < `before` (each optional), in key order. */
  async listObjects(bucket: string, range: { from?: string; after?: string; before?: string }, limit: number): Promise<ObjectRecord[]> {
    const { results } = await this.db
      .prepare(
        `SELECT ${OBJECT_COLUMNS} FROM objects
         WHERE bucket = ?1 AND key >= ?2 AND key > ?3 AND (?4 IS NULL OR key < ?4)
         ORDER BY key LIMIT ?5`,
      )
      .bind(bucket, range.from ?? '', range.after ?? '', range.before ?? null, limit)
      .all<ObjectRow>();
    return results.map(toRecord);
  }

  // Trash

  /** Records blobs that are no longer (or were never) referenced by a row. */
  async trashBlobs(ids: string[], now: number): Promise<void> {
    if (!ids.length) return;
    await this.db
      .prepare('INSERT INTO blob_trash (blob_id, trashed_at) SELECT value, ?2 FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING')
      .bind(JSON.stringify(ids), now)
      .run();
  }

  async trashedBefore(cutoff: number, limit: number): Promise<string[]> {
    const { results } = await this.db
      .prepare('SELECT blob_id FROM blob_trash WHERE trashed_at < ? ORDER BY trashed_at LIMIT ?')
      .bind(cutoff, limit)
      .all<{ blob_id: string }>();
    return results.map((r) => r.blob_id);
  }

  async forgetTrash(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.db.prepare('DELETE FROM blob_trash WHERE blob_id IN (SELECT value FROM json_each(?))').bind(JSON.stringify(ids)).run();
  }
}
