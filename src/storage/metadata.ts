// Buckets and object rows in D1. Every function is one round trip (a statement or an atomic batch).
import { BucketCache, type BucketRow } from './bucket-cache';

/** Row columns of ObjectHeaders and user metadata, shared by objects and uploads. */
export interface DescriptionRow {
  content_type: string | null;
  cache_control: string | null;
  content_disposition: string | null;
  content_encoding: string | null;
  content_language: string | null;
  expires: string | null;
  user_metadata: string;
}

export const DESCRIPTION_COLUMNS = 'content_type, cache_control, content_disposition, content_encoding, content_language, expires, user_metadata';

export function toDescription(r: DescriptionRow): ObjectHeaders & { userMetadata: Record<string, string> } {
  return {
    contentType: r.content_type,
    cacheControl: r.cache_control,
    contentDisposition: r.content_disposition,
    contentEncoding: r.content_encoding,
    contentLanguage: r.content_language,
    expires: r.expires,
    userMetadata: JSON.parse(r.user_metadata) as Record<string, string>,
  };
}

/** Values for DESCRIPTION_COLUMNS, in order. */
export function descriptionValues(d: ObjectHeaders & { userMetadata: Record<string, string> }): unknown[] {
  return [d.contentType, d.cacheControl, d.contentDisposition, d.contentEncoding, d.contentLanguage, d.expires, JSON.stringify(d.userMetadata)];
}

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
  sseMode: 'SSE-S3' | 'SSE-KMS' | 'SSE-C';
  formatVersion: number;
  /** SSE-S3 / SSE-KMS: the KMS key that sealed the data key (or the bucket key). */
  kekId: string | null;
  sealedKey: Uint8Array;
  ssecSalt: Uint8Array | null;
  ssecFingerprint: Uint8Array | null;
  /** SSE-KMS: the client's encryption context pairs. */
  kmsContext: Record<string, string> | null;
  /** SSE-KMS with a bucket key: the bucket key that sealed `sealedKey`. */
  bucketKeyId: string | null;
}

/** Row columns of ObjectSealing, shared by objects and uploads. */
export interface SealingRow {
  sse_mode: ObjectSealing['sseMode'];
  format_version: number;
  kek_id: string | null;
  sealed_key: ArrayBuffer | number[];
  ssec_salt: ArrayBuffer | number[] | null;
  ssec_fingerprint: ArrayBuffer | number[] | null;
  kms_context: string | null;
  bucket_key_id: string | null;
}

export const SEALING_COLUMNS = 'sse_mode, format_version, kek_id, sealed_key, ssec_salt, ssec_fingerprint, kms_context, bucket_key_id';

export function toSealing(r: SealingRow): ObjectSealing {
  return {
    sseMode: r.sse_mode,
    formatVersion: r.format_version,
    kekId: r.kek_id,
    sealedKey: bytes(r.sealed_key)!,
    ssecSalt: bytes(r.ssec_salt),
    ssecFingerprint: bytes(r.ssec_fingerprint),
    kmsContext: r.kms_context === null ? null : (JSON.parse(r.kms_context) as Record<string, string>),
    bucketKeyId: r.bucket_key_id,
  };
}

/** Just the sealing fields of a record (to carry an upload's sealing over to its object). */
export function sealingOf(s: ObjectSealing): ObjectSealing {
  const { sseMode, formatVersion, kekId, sealedKey, ssecSalt, ssecFingerprint, kmsContext, bucketKeyId } = s;
  return { sseMode, formatVersion, kekId, sealedKey, ssecSalt, ssecFingerprint, kmsContext, bucketKeyId };
}

/** Values for SEALING_COLUMNS, in order. */
export function sealingValues(s: ObjectSealing): unknown[] {
  return [s.sseMode, s.formatVersion, s.kekId, s.sealedKey, s.ssecSalt, s.ssecFingerprint, s.kmsContext && JSON.stringify(s.kmsContext), s.bucketKeyId];
}

export interface ObjectRecord extends ObjectHeaders, ObjectSealing {
  bucket: string;
  key: string;
  /** The object's one blob; null for a multipart object (its parts are in object_parts) and an inline one. */
  blobId: string | null;
  /** A small object's encrypted stream, kept in its row instead of a blob (docs/DESIGN.md). */
  inline: Uint8Array | null;
  partsCount: number | null;
  size: number;
  etag: string;
  lastModified: number;
  userMetadata: Record<string, string>;
  checksumAlgorithm: string | null;
  checksumValue: string | null;
  checksumType: 'FULL_OBJECT' | 'COMPOSITE' | null;
  /** Multipart: HMAC of the parts list under a key derived from the data key (docs/KEYS.md). */
  partsMac: Uint8Array | null;
}

/** One part of a multipart object, in object order. */
export interface ObjectPart {
  partNumber: number;
  /** 1-based position in the object. */
  ordinal: number;
  blobId: string;
  size: number;
  etag: string;
  checksumValue: string | null;
  /** The part attempt's key-derivation salt; null for parts written before salts existed. */
  salt: Uint8Array | null;
}

/** An object row as a listing reads it: without an inline object's bytes. */
export type ListedObject = Omit<ObjectRecord, 'inline'>;

/** An object row with its parts (none for a single-PUT object), read in one transaction. */
export interface StoredObject extends ObjectRecord {
  parts: ObjectPart[];
}

export interface BucketEncryption {
  algorithm: 'AES256' | 'aws:kms';
  /** aws:kms: the KMS key of new objects (null: the KMS's default key). */
  kmsMasterKeyId: string | null;
  bucketKeyEnabled: boolean;
  blockedEncryptionTypes: string[];
}

export interface BucketRecord {
  name: string;
  createdAt: number;
  /** Null: the default, SSE-S3. */
  encryption: BucketEncryption | null;
}

const toBucket = (r: Omit<BucketRow, 'cors'>): BucketRecord => ({
  name: r.name,
  createdAt: r.created_at,
  encryption: r.encryption === null ? null : (JSON.parse(r.encryption) as BucketEncryption),
});

/** Rows whose key material the KMS sealed itself (not a bucket key, not an SSE-C key). */
const KMS_SEALED = "sse_mode IN ('SSE-S3', 'SSE-KMS') AND bucket_key_id IS NULL";
/** SSE-C uploads whose parts-manifest key is sealed through the KMS (docs/KEYS.md). */
const MANIFEST_SEALED = 'manifest_kek_id IS NOT NULL';

/** D1 hands BLOB columns back as ArrayBuffer or as an array of numbers, depending on the runtime. */
export function bytes(v: ArrayBuffer | number[] | null): Uint8Array | null {
  if (v === null) return null;
  return v instanceof ArrayBuffer ? new Uint8Array(v) : Uint8Array.from(v);
}

interface ObjectRow extends DescriptionRow, SealingRow {
  bucket: string;
  key: string;
  blob_id: string | null;
  parts_count: number | null;
  size: number;
  etag: string;
  last_modified: number;
  checksum_algorithm: string | null;
  checksum_value: string | null;
  checksum_type: 'FULL_OBJECT' | 'COMPOSITE' | null;
  parts_mac: ArrayBuffer | number[] | null;
}

interface StoredRow extends ObjectRow {
  inline_data: ArrayBuffer | number[] | null;
}

/** Every column of objects but inline_data: what a listing reads. */
const LISTED_COLUMNS = `bucket, key, blob_id, parts_count, size, etag, last_modified, ${DESCRIPTION_COLUMNS}, checksum_algorithm, checksum_value, checksum_type, ${SEALING_COLUMNS}, parts_mac`;
const OBJECT_COLUMNS = `${LISTED_COLUMNS}, inline_data`;

interface PartRow {
  part_number: number;
  ordinal: number;
  blob_id: string;
  size: number;
  etag: string;
  checksum_value: string | null;
  salt: ArrayBuffer | number[] | null;
}

const toPart = (r: PartRow): ObjectPart => ({
  partNumber: r.part_number,
  ordinal: r.ordinal,
  blobId: r.blob_id,
  size: r.size,
  etag: r.etag,
  checksumValue: r.checksum_value,
  salt: bytes(r.salt),
});

function toListed(r: ObjectRow): ListedObject {
  return {
    bucket: r.bucket,
    key: r.key,
    blobId: r.blob_id,
    partsCount: r.parts_count,
    size: r.size,
    etag: r.etag,
    lastModified: r.last_modified,
    ...toDescription(r),
    checksumAlgorithm: r.checksum_algorithm,
    checksumValue: r.checksum_value,
    checksumType: r.checksum_type,
    ...toSealing(r),
    partsMac: bytes(r.parts_mac),
  };
}

const toRecord = (r: StoredRow): ObjectRecord => ({ ...toListed(r), inline: bytes(r.inline_data) });

export type Lookup<T> = { bucketExists: false } | { bucketExists: true; value: T | null };

export class MetadataStore {
  private readonly buckets: BucketCache;

  constructor(private readonly db: D1Database) {
    this.buckets = new BucketCache(db);
  }

  // Buckets

  async createBucket(name: string, now: number): Promise<boolean> {
    const r = await this.buckets.writing(name, () =>
      this.db.prepare('INSERT INTO buckets (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').bind(name, now).run(),
    );
    return r.meta.changes > 0;
  }

  async getBucket(name: string): Promise<BucketRecord | null> {
    const r = await this.buckets.read(name);
    return r && toBucket(r);
  }

  /**
   * The bucket as this isolate last read it (at most BUCKET_CACHE_TTL_MS ago), for a write whose
   * commit names it: putObject fails rather than commit into a bucket deleted, re-created or given
   * another default encryption since.
   */
  async getBucketForWrite(name: string): Promise<BucketRecord | null> {
    const r = await this.buckets.get(name);
    return r && toBucket(r);
  }

  async listBuckets(): Promise<BucketRecord[]> {
    const { results } = await this.db.prepare('SELECT name, created_at, encryption FROM buckets ORDER BY name').all<BucketRow>();
    return results.map(toBucket);
  }

  /** Sets (or with null, resets) a bucket's default encryption; false when the bucket is missing. */
  async setBucketEncryption(name: string, encryption: BucketEncryption | null): Promise<boolean> {
    const r = await this.buckets.writing(name, () =>
      this.db.prepare('UPDATE buckets SET encryption = ? WHERE name = ?').bind(encryption && JSON.stringify(encryption), name).run(),
    );
    return r.meta.changes > 0;
  }

  /**
   * Deletes a bucket without objects, in one transaction: its unfinished multipart uploads are
   * aborted (their part blobs trashed) and its bucket keys forgotten. 'deleted', 'missing' or
   * 'not-empty'.
   */
  async deleteBucket(name: string, now: number): Promise<'deleted' | 'missing' | 'not-empty'> {
    const empty = 'NOT EXISTS (SELECT 1 FROM objects WHERE bucket = ?1)';
    const results = await this.buckets.writing(name, () => this.db.batch([
      this.db
        .prepare(
          `INSERT INTO blob_trash (blob_id, trashed_at) SELECT blob_id, ?2 FROM upload_parts
           WHERE upload_id IN (SELECT upload_id FROM uploads WHERE bucket = ?1) AND ${empty} ON CONFLICT DO NOTHING`,
        )
        .bind(name, now),
      this.db.prepare(`DELETE FROM upload_parts WHERE upload_id IN (SELECT upload_id FROM uploads WHERE bucket = ?1) AND ${empty}`).bind(name),
      this.db.prepare(`DELETE FROM uploads WHERE bucket = ?1 AND ${empty}`).bind(name),
      this.db.prepare(`DELETE FROM bucket_keys WHERE bucket = ?1 AND ${empty}`).bind(name),
      this.db.prepare(`DELETE FROM buckets WHERE name = ?1 AND ${empty}`).bind(name),
    ]));
    if ((results.at(-1)?.meta.changes ?? 0) > 0) return 'deleted';
    return (await this.getBucket(name)) ? 'not-empty' : 'missing';
  }

  // Objects

  /**
   * The object row and its parts, telling a missing bucket apart from a missing key, in one
   * transaction (one round trip): a concurrent overwrite never pairs a row with another version's parts.
   */
  async getObject(bucket: string, key: string): Promise<Lookup<StoredObject>> {
    const [objects, parts] = await this.db.batch([
      this.db
        .prepare(
          `SELECT b.name AS bucket_name, ${OBJECT_COLUMNS.split(', ').map((c) => `o.${c}`).join(', ')}
           FROM buckets b LEFT JOIN objects o ON o.bucket = b.name AND o.key = ?2 WHERE b.name = ?1`,
        )
        .bind(bucket, key),
      this.db
        .prepare('SELECT part_number, ordinal, blob_id, size, etag, checksum_value, salt FROM object_parts WHERE bucket = ? AND key = ? ORDER BY ordinal')
        .bind(bucket, key),
    ]);
    const row = (objects!.results as (StoredRow & { bucket_name: string })[])[0];
    if (!row) return { bucketExists: false };
    if (row.key === null) return { bucketExists: true, value: null };
    return { bucketExists: true, value: { ...toRecord(row), parts: (parts!.results as PartRow[]).map(toPart) } };
  }

  /**
   * Makes `record` the visible version of its key, atomically: the replaced blobs (if any) move to
   * the trash in the same transaction, so concurrent writers each trash exactly what they replaced.
   * Only if `condition` holds (a conditional PUT) and the bucket is still `bucket` (same creation,
   * same default encryption) at commit; false, with nothing changed, otherwise.
   */
  async putObject(record: ObjectRecord, bucket: BucketRecord, condition: WriteCondition = {}): Promise<boolean> {
    const statements = replaceObjectStatements(this.db, record);
    statements.unshift(
      guard(this.db, 'EXISTS (SELECT 1 FROM buckets WHERE name = ?1 AND created_at = ?2 AND encryption IS ?3)', bucket.name, bucket.createdAt, bucket.encryption && JSON.stringify(bucket.encryption)),
    );
    if (condition.ifNoneMatch) {
      statements.unshift(guard(this.db, 'NOT EXISTS (SELECT 1 FROM objects WHERE bucket = ?1 AND key = ?2)', record.bucket, record.key));
    }
    if (condition.ifMatch !== undefined) {
      statements.unshift(guard(this.db, "EXISTS (SELECT 1 FROM objects WHERE bucket = ?1 AND key = ?2 AND (?3 = '*' OR etag = ?3))", record.bucket, record.key, condition.ifMatch));
    }
    return runGuarded(this.db, statements);
  }

  /**
   * Rows sealed by the KMS itself (not under a bucket key or an SSE-C key), bucket keys first, then
   * uploads, then objects, then access keys' secrets, each in a stable order, after `cursor`.
   */
  async kmsSealedRows(cursor: string | null, limit: number): Promise<KmsSealedRow[]> {
    const [rank, position] = cursor ? (JSON.parse(cursor) as [number, string]) : [-1, ''];
    const { results } = await this.db
      .prepare(
        `SELECT * FROM (
           SELECT 0 AS rank, id AS position, 'bucket_keys' AS tbl, id, bucket, '' AS key, 'SSE-KMS' AS sse_mode, key_id, kek_id, sealed_key, NULL AS kms_context FROM bucket_keys
           UNION ALL
           SELECT 1, upload_id, 'uploads', upload_id, bucket, key, sse_mode, NULL, kek_id, sealed_key, kms_context FROM uploads WHERE ${KMS_SEALED}
           UNION ALL
           SELECT 2, bucket || char(0) || key, 'objects', '', bucket, key, sse_mode, NULL, kek_id, sealed_key, kms_context FROM objects WHERE ${KMS_SEALED}
           UNION ALL
           SELECT 3, access_key_id, 'users', access_key_id, '', '', 'SSE-KMS', NULL, kek_id, sealed_secret, NULL FROM users
           UNION ALL
           SELECT 4, upload_id, 'upload_manifests', upload_id, bucket, key, 'SSE-C', NULL, manifest_kek_id, manifest_sealed_key, NULL FROM uploads WHERE ${MANIFEST_SEALED}
         ) WHERE (rank, position) > (?1, ?2) ORDER BY rank, position LIMIT ?3`,
      )
      .bind(rank, position, limit)
      .all<{
        rank: number;
        position: string;
        tbl: KmsSealedRow['table'];
        id: string;
        bucket: string;
        key: string;
        sse_mode: KmsSealedRow['sseMode'];
        key_id: string | null;
        kek_id: string;
        sealed_key: ArrayBuffer | number[];
        kms_context: string | null;
      }>();
    return results.map((r) => ({
      table: r.tbl,
      cursor: JSON.stringify([r.rank, r.position]),
      id: r.id,
      bucket: r.bucket,
      key: r.key,
      sseMode: r.sse_mode,
      keyId: r.key_id,
      kekId: r.kek_id,
      sealedKey: bytes(r.sealed_key)!,
      kmsContext: r.kms_context === null ? null : (JSON.parse(r.kms_context) as Record<string, string>),
    }));
  }

  /** How many rows kmsSealedRows walks through from the start. */
  async countKmsSealedRows(): Promise<number> {
    const count = (table: string, where = '') => `(SELECT count(*) FROM ${table} ${where})`;
    const row = await this.db
      .prepare(
        `SELECT ${count('bucket_keys')} + ${count('uploads', `WHERE ${KMS_SEALED}`)} + ${count('objects', `WHERE ${KMS_SEALED}`)} + ${count('users')} + ${count('uploads', `WHERE ${MANIFEST_SEALED}`)} AS n`,
      )
      .first<{ n: number }>();
    return row!.n;
  }

  /** Re-seals an objects, uploads or upload_manifests row in place if its sealed key is still `row.sealedKey`. */
  async updateKmsSealing(row: KmsSealedRow, kekId: string, sealedKey: Uint8Array): Promise<boolean> {
    const statement =
      row.table === 'objects'
        ? this.db.prepare('UPDATE objects SET kek_id = ?1, sealed_key = ?2 WHERE bucket = ?3 AND key = ?4 AND sealed_key = ?5').bind(kekId, sealedKey, row.bucket, row.key, row.sealedKey)
        : row.table === 'uploads'
          ? this.db.prepare('UPDATE uploads SET kek_id = ?1, sealed_key = ?2 WHERE upload_id = ?3 AND sealed_key = ?4').bind(kekId, sealedKey, row.id, row.sealedKey)
          : this.db.prepare('UPDATE uploads SET manifest_kek_id = ?1, manifest_sealed_key = ?2 WHERE upload_id = ?3 AND manifest_sealed_key = ?4').bind(kekId, sealedKey, row.id, row.sealedKey);
    const r = await statement.run();
    return r.meta.changes > 0;
  }

  /**
   * Replaces the key wrapping (and metadata) of an object in place, if it is still the version
   * `previous` (same sealed key and blob): false when it changed meanwhile.
   */
  async resealObject(record: ObjectRecord, previous: ObjectSealing): Promise<boolean> {
    const r = await this.db
      .prepare(
        `UPDATE objects SET last_modified = ?3, content_type = ?4, cache_control = ?5, content_disposition = ?6,
           content_encoding = ?7, content_language = ?8, expires = ?9, user_metadata = ?10, etag = ?11,
           sse_mode = ?12, format_version = ?13, kek_id = ?14, sealed_key = ?15, ssec_salt = ?16,
           ssec_fingerprint = ?17, kms_context = ?18, bucket_key_id = ?19
         WHERE bucket = ?1 AND key = ?2 AND sealed_key = ?20 AND blob_id IS ?21`,
      )
      .bind(
        record.bucket,
        record.key,
        record.lastModified,
        ...descriptionValues(record),
        record.etag,
        ...sealingValues(record),
        previous.sealedKey,
        record.blobId,
      )
      .run();
    return r.meta.changes > 0;
  }

  /** Deletes rows of `keys` (missing keys are fine), trashing their blobs in the same transaction. */
  async deleteObjects(bucket: string, keys: string[], now: number): Promise<void> {
    if (!keys.length) return;
    const list = JSON.stringify(keys);
    const keysOf = 'SELECT value FROM json_each(?2)';
    await this.db.batch([
      this.db
        .prepare(
          `INSERT INTO blob_trash (blob_id, trashed_at)
           SELECT blob_id, ?3 FROM objects WHERE bucket = ?1 AND key IN (${keysOf}) AND blob_id IS NOT NULL
           UNION ALL SELECT blob_id, ?3 FROM object_parts WHERE bucket = ?1 AND key IN (${keysOf})
           ON CONFLICT DO NOTHING`,
        )
        .bind(bucket, list, now),
      this.db.prepare(`DELETE FROM object_parts WHERE bucket = ?1 AND key IN (${keysOf})`).bind(bucket, list),
      this.db.prepare(`DELETE FROM objects WHERE bucket = ?1 AND key IN (${keysOf})`).bind(bucket, list),
    ]);
  }

  /** Up to `limit` rows with `from` <= key, `after` < key and key < `before` (each optional), in key order. */
  async listObjects(bucket: string, range: { from?: string; after?: string; before?: string }, limit: number): Promise<ListedObject[]> {
    const { results } = await this.db
      .prepare(
        `SELECT ${LISTED_COLUMNS} FROM objects
         WHERE bucket = ?1 AND key >= ?2 AND key > ?3 AND (?4 IS NULL OR key < ?4)
         ORDER BY key LIMIT ?5`,
      )
      .bind(bucket, range.from ?? '', range.after ?? '', range.before ?? null, limit)
      .all<ObjectRow>();
    return results.map(toListed);
  }

  // Trash and garbage collection

  /** Records blobs that are no longer (or were never) referenced by a row. */
  async trashBlobs(ids: string[], now: number): Promise<void> {
    if (!ids.length) return;
    await this.db
      .prepare('INSERT INTO blob_trash (blob_id, trashed_at) SELECT value, ?2 FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING')
      .bind(JSON.stringify(ids), now)
      .run();
  }

  /**
   * Up to `limit` blobs trashed before `cutoff` that no row refers to, checked now, at deletion
   * time: the trash is a hint, never a licence. Trash entries of blobs that a row does refer to
   * (trashed after an ambiguous failure that did commit, say) are dropped in the same transaction,
   * and their ids returned as `kept`.
   */
  async expiredTrash(cutoff: number, limit: number): Promise<{ deletable: string[]; kept: string[] }> {
    const [kept, deletable] = await this.db.batch([
      this.db.prepare(`DELETE FROM blob_trash WHERE trashed_at < ?1 AND ${blobReferenced('blob_trash.blob_id')} RETURNING blob_id`).bind(cutoff),
      this.db
        .prepare(`SELECT blob_id FROM blob_trash WHERE trashed_at < ?1 AND NOT ${blobReferenced('blob_trash.blob_id')} ORDER BY trashed_at LIMIT ?2`)
        .bind(cutoff, limit),
    ]);
    const ids = (r: D1Result | undefined) => (r!.results as { blob_id: string }[]).map((row) => row.blob_id);
    return { deletable: ids(deletable), kept: ids(kept) };
  }

  async forgetTrash(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.db.prepare('DELETE FROM blob_trash WHERE blob_id IN (SELECT value FROM json_each(?))').bind(JSON.stringify(ids)).run();
  }
}

/** Every table whose rows refer to blobs by `blob_id`: a blob any of them names is never deleted. */
const BLOB_REFERENCES = ['objects', 'object_parts', 'upload_parts'] as const;

/** SQL that is true when some row refers to the blob `id` (a column or expression). */
export function blobReferenced(id: string): string {
  return `(${BLOB_REFERENCES.map((t) => `EXISTS (SELECT 1 FROM ${t} WHERE blob_id = ${id})`).join(' OR ')})`;
}

/** Conditions of a conditional write: If-None-Match: * and If-Match: "etag". */
export interface WriteCondition {
  ifNoneMatch?: boolean;
  /** A quoted ETag, or '*': any current version. */
  ifMatch?: string;
}

const GUARD_FAILED = 'edge-sse guard failed';

/**
 * A statement that fails its whole batch (rolling it back) unless `condition` holds: json() of
 * text that is not JSON raises an error, which D1 reports for the batch.
 */
export function guard(db: D1Database, condition: string, ...values: unknown[]): D1PreparedStatement {
  return db.prepare(`SELECT CASE WHEN ${condition} THEN 1 ELSE json('${GUARD_FAILED}') END`).bind(...values);
}

/** Runs a batch that starts with guards: false (and nothing changed) when a guard failed. */
export async function runGuarded(db: D1Database, statements: D1PreparedStatement[]): Promise<boolean> {
  try {
    await db.batch(statements);
    return true;
  } catch (e) {
    if (String(e).includes('malformed JSON')) return false;
    throw e;
  }
}

/**
 * The statements that make `record` visible in place of whatever the key held: its blob and parts
 * go to the trash, its part rows go, the row is upserted. For a multipart record the caller adds
 * the new object_parts rows after these, in the same batch.
 */
export function replaceObjectStatements(db: D1Database, record: ObjectRecord): D1PreparedStatement[] {
  const { bucket, key } = record;
  return [
    db
      .prepare(
        `INSERT INTO blob_trash (blob_id, trashed_at)
         SELECT blob_id, ?3 FROM objects WHERE bucket = ?1 AND key = ?2 AND blob_id IS NOT NULL
         UNION ALL SELECT blob_id, ?3 FROM object_parts WHERE bucket = ?1 AND key = ?2
         ON CONFLICT DO NOTHING`,
      )
      .bind(bucket, key, record.lastModified),
    db.prepare('DELETE FROM object_parts WHERE bucket = ?1 AND key = ?2').bind(bucket, key),
    db
      .prepare(
        `INSERT INTO objects (${OBJECT_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)
         ON CONFLICT (bucket, key) DO UPDATE SET blob_id = ?3, parts_count = ?4, size = ?5, etag = ?6, last_modified = ?7,
           content_type = ?8, cache_control = ?9, content_disposition = ?10, content_encoding = ?11,
           content_language = ?12, expires = ?13, user_metadata = ?14, checksum_algorithm = ?15, checksum_value = ?16,
           checksum_type = ?17, sse_mode = ?18, format_version = ?19, kek_id = ?20, sealed_key = ?21, ssec_salt = ?22,
           ssec_fingerprint = ?23, kms_context = ?24, bucket_key_id = ?25, parts_mac = ?26, inline_data = ?27`,
      )
      .bind(
        bucket,
        key,
        record.blobId,
        record.partsCount,
        record.size,
        record.etag,
        record.lastModified,
        ...descriptionValues(record),
        record.checksumAlgorithm,
        record.checksumValue,
        record.checksumType,
        ...sealingValues(record),
        record.partsMac,
        record.inline,
      ),
  ];
}

/** A row whose key material the KMS sealed: an object, an upload in progress or a bucket key. */
export interface KmsSealedRow {
  /** upload_manifests: the KMS-sealed parts-manifest key of an SSE-C upload (a row of uploads). */
  table: 'objects' | 'uploads' | 'bucket_keys' | 'users' | 'upload_manifests';
  /** Opaque position of this row in the re-wrap order. */
  cursor: string;
  /** Upload id, bucket key id or access key id ('' for objects). */
  id: string;
  bucket: string;
  /** Object key ('' for a bucket key). */
  key: string;
  sseMode: ObjectSealing['sseMode'];
  /** Bucket keys: the KMS key as requests name it. */
  keyId: string | null;
  kekId: string;
  sealedKey: Uint8Array;
  kmsContext: Record<string, string> | null;
}

export class GcStateStore {
  constructor(private readonly db: D1Database) {}

  /** Of `ids`, the blobs no row refers to (not an object, part, upload part, nor already trashed). */
  async unreferenced(ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const { results } = await this.db
      .prepare(`SELECT value AS id FROM json_each(?1) WHERE NOT ${blobReferenced('value')} AND NOT EXISTS (SELECT 1 FROM blob_trash WHERE blob_id = value)`)
      .bind(JSON.stringify(ids))
      .all<{ id: string }>();
    return results.map((r) => r.id);
  }

  async get(name: string): Promise<string | null> {
    const r = await this.db.prepare('SELECT value FROM gc_state WHERE name = ?').bind(name).first<{ value: string }>();
    return r?.value ?? null;
  }

  async set(name: string, value: string | null): Promise<void> {
    await (value === null
      ? this.db.prepare('DELETE FROM gc_state WHERE name = ?').bind(name)
      : this.db.prepare('INSERT INTO gc_state (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = ?2').bind(name, value)
    ).run();
  }
}
