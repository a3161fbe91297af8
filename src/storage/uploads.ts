// Multipart uploads in D1: the upload, its parts, and the one transaction that completes it.
import {
  DESCRIPTION_COLUMNS,
  type DescriptionRow,
  type ObjectHeaders,
  type ObjectRecord,
  type ObjectSealing,
  SEALING_COLUMNS,
  type SealingRow,
  descriptionValues,
  bytes,
  guard,
  runGuarded,
  replaceObjectStatements,
  sealingValues,
  toDescription,
  toSealing,
} from './metadata';

export interface UploadRecord extends ObjectHeaders, ObjectSealing {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  userMetadata: Record<string, string>;
  checksumAlgorithm: string | null;
  /** SSE-C: the manifest key sealed through the KMS for a Complete without the customer key (docs/KEYS.md). */
  manifestKekId: string | null;
  manifestSealedKey: Uint8Array | null;
  manifestKey: Uint8Array | null;
}

export interface PartRecord {
  partNumber: number;
  blobId: string;
  size: number;
  etag: string;
  checksumValue: string | null;
  lastModified: number;
  /** This part attempt's key-derivation salt; null for a part uploaded before salts existed. */
  salt: Uint8Array | null;
}

/** What a completed upload answered, remembered for a while for retried Completes. */
export interface CompletedUpload {
  bucket: string;
  key: string;
  /** The completed parts as `partNumber:etag`, in order. */
  parts: string[];
  etag: string;
  completedAt: number;
}

interface UploadRow extends DescriptionRow, SealingRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  checksum_algorithm: string | null;
  manifest_kek_id: string | null;
  manifest_sealed_key: ArrayBuffer | number[] | null;
  manifest_key: ArrayBuffer | number[] | null;
}

interface PartRow {
  part_number: number;
  blob_id: string;
  size: number;
  etag: string;
  checksum_value: string | null;
  last_modified: number;
  salt: ArrayBuffer | number[] | null;
}

const UPLOAD_COLUMNS = `upload_id, bucket, key, initiated, ${DESCRIPTION_COLUMNS}, checksum_algorithm, ${SEALING_COLUMNS}, manifest_kek_id, manifest_sealed_key, manifest_key`;

const toUpload = (r: UploadRow): UploadRecord => ({
  uploadId: r.upload_id,
  bucket: r.bucket,
  key: r.key,
  initiated: r.initiated,
  ...toDescription(r),
  checksumAlgorithm: r.checksum_algorithm,
  ...toSealing(r),
  manifestKekId: r.manifest_kek_id,
  manifestSealedKey: bytes(r.manifest_sealed_key),
  manifestKey: bytes(r.manifest_key),
});

const toPart = (r: PartRow): PartRecord => ({
  partNumber: r.part_number,
  blobId: r.blob_id,
  size: r.size,
  etag: r.etag,
  checksumValue: r.checksum_value,
  lastModified: r.last_modified,
  salt: bytes(r.salt),
});

export class UploadStore {
  constructor(private readonly db: D1Database) {}

  async create(u: UploadRecord): Promise<void> {
    await this.db
      .prepare(`INSERT INTO uploads (${UPLOAD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)`)
      .bind(
        u.uploadId,
        u.bucket,
        u.key,
        u.initiated,
        ...descriptionValues(u),
        u.checksumAlgorithm,
        ...sealingValues(u),
        u.manifestKekId,
        u.manifestSealedKey,
        u.manifestKey,
      )
      .run();
  }

  async get(bucket: string, key: string, uploadId: string): Promise<UploadRecord | null> {
    const row = await this.db
      .prepare(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ? AND bucket = ? AND key = ?`)
      .bind(uploadId, bucket, key)
      .first<UploadRow>();
    return row && toUpload(row);
  }

  /** Uploads in key then upload-id order after the markers, optionally under a prefix. */
  async list(bucket: string, q: { prefix: string; keyMarker: string; uploadIdMarker: string; limit: number }): Promise<UploadRecord[]> {
    const { results } = await this.db
      .prepare(
        `SELECT ${UPLOAD_COLUMNS} FROM uploads
         WHERE bucket = ?1 AND substr(key, 1, length(?2)) = ?2 AND (key > ?3 OR (key = ?3 AND upload_id > ?4))
         ORDER BY key, upload_id LIMIT ?5`,
      )
      .bind(bucket, q.prefix, q.keyMarker, q.uploadIdMarker, q.limit)
      .all<UploadRow>();
    return results.map(toUpload);
  }

  /**
   * Records a part if its upload still exists, trashing the blob of a part it replaces; false when
   * the upload is gone (the caller trashes the new blob).
   */
  async putPart(uploadId: string, part: PartRecord): Promise<boolean> {
    const exists = 'EXISTS (SELECT 1 FROM uploads WHERE upload_id = ?1)';
    const [, upsert] = await this.db.batch([
      this.db
        .prepare(
          `INSERT INTO blob_trash (blob_id, trashed_at) SELECT blob_id, ?3 FROM upload_parts
           WHERE upload_id = ?1 AND part_number = ?2 AND ${exists} ON CONFLICT DO NOTHING`,
        )
        .bind(uploadId, part.partNumber, part.lastModified),
      this.db
        .prepare(
          `INSERT INTO upload_parts (upload_id, part_number, blob_id, size, etag, checksum_value, last_modified, salt)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE ${exists}
           ON CONFLICT (upload_id, part_number) DO UPDATE SET blob_id = ?3, size = ?4, etag = ?5, checksum_value = ?6, last_modified = ?7, salt = ?8`,
        )
        .bind(uploadId, part.partNumber, part.blobId, part.size, part.etag, part.checksumValue, part.lastModified, part.salt),
    ]);
    return (upsert?.meta.changes ?? 0) > 0;
  }

  async parts(uploadId: string, after = 0, limit = 10_000): Promise<PartRecord[]> {
    const { results } = await this.db
      .prepare(
        'SELECT part_number, blob_id, size, etag, checksum_value, last_modified, salt FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
      )
      .bind(uploadId, after, limit)
      .all<PartRow>();
    return results.map(toPart);
  }

  /** Aborts an upload: its part blobs go to the trash. False when there was no such upload. */
  async abort(uploadId: string, now: number): Promise<boolean> {
    const [, , removed] = await this.db.batch([
      this.db
        .prepare('INSERT INTO blob_trash (blob_id, trashed_at) SELECT blob_id, ?2 FROM upload_parts WHERE upload_id = ?1 ON CONFLICT DO NOTHING')
        .bind(uploadId, now),
      this.db.prepare('DELETE FROM upload_parts WHERE upload_id = ?').bind(uploadId),
      this.db.prepare('DELETE FROM uploads WHERE upload_id = ?').bind(uploadId),
    ]);
    return (removed?.meta.changes ?? 0) > 0;
  }

  /** Upload ids initiated before `cutoff` (for garbage collection). */
  async initiatedBefore(cutoff: number, limit: number): Promise<string[]> {
    const { results } = await this.db
      .prepare('SELECT upload_id FROM uploads WHERE initiated < ? ORDER BY initiated LIMIT ?')
      .bind(cutoff, limit)
      .all<{ upload_id: string }>();
    return results.map((r) => r.upload_id);
  }

  /**
   * Completes an upload in one transaction: the object row and its parts become visible, whatever
   * the key held and every part not chosen go to the trash, the upload disappears. The first
   * statement fails the whole transaction unless every chosen part is still current (not aborted,
   * completed or re-uploaded meanwhile), so a racing abort, complete or part upload never leaves an
   * object pointing at a trashed blob. False when that guard failed. The upload is remembered as
   * completed (completedUpload) in the same transaction.
   */
  async complete(uploadId: string, record: ObjectRecord, chosen: PartRecord[]): Promise<boolean> {
    const current = JSON.stringify(chosen.map((p) => `${p.partNumber}:${p.blobId}`));
    const partsJson = JSON.stringify(chosen.map((p, i) => [p.partNumber, i + 1]));
    const statements = [
      guard(
        this.db,
        `(SELECT count(*) FROM upload_parts WHERE upload_id = ?1 AND part_number || ':' || blob_id IN (SELECT value FROM json_each(?2))) = ?3`,
        uploadId,
        current,
        chosen.length,
      ),
      ...replaceObjectStatements(this.db, record),
      this.db
        .prepare(
          `INSERT INTO object_parts (bucket, key, part_number, ordinal, blob_id, size, etag, checksum_value, salt)
           SELECT ?1, ?2, p.part_number, j.value ->> 1, p.blob_id, p.size, p.etag, p.checksum_value, p.salt
           FROM json_each(?3) j JOIN upload_parts p ON p.upload_id = ?4 AND p.part_number = j.value ->> 0`,
        )
        .bind(record.bucket, record.key, partsJson, uploadId),
      this.db
        .prepare(
          `INSERT INTO blob_trash (blob_id, trashed_at) SELECT blob_id, ?2 FROM upload_parts
           WHERE upload_id = ?1 AND part_number NOT IN (SELECT value ->> 0 FROM json_each(?3)) ON CONFLICT DO NOTHING`,
        )
        .bind(uploadId, record.lastModified, partsJson),
      this.db.prepare('DELETE FROM upload_parts WHERE upload_id = ?').bind(uploadId),
      this.db.prepare('DELETE FROM uploads WHERE upload_id = ?').bind(uploadId),
      this.db
        .prepare('INSERT INTO completed_uploads (upload_id, bucket, key, parts, etag, completed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)')
        .bind(uploadId, record.bucket, record.key, JSON.stringify(chosen.map((p) => `${p.partNumber}:${p.etag}`)), record.etag, record.lastModified),
    ];
    return runGuarded(this.db, statements);
  }

  /** The answer a completed upload gave, while it is remembered (see forgetCompletedBefore). */
  async completedUpload(uploadId: string, bucket: string, key: string): Promise<CompletedUpload | null> {
    const row = await this.db
      .prepare('SELECT bucket, key, parts, etag, completed_at FROM completed_uploads WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3')
      .bind(uploadId, bucket, key)
      .first<{ bucket: string; key: string; parts: string; etag: string; completed_at: number }>();
    return row && { bucket: row.bucket, key: row.key, parts: JSON.parse(row.parts) as string[], etag: row.etag, completedAt: row.completed_at };
  }

  /** Forgets uploads completed before `cutoff`; how many. */
  async forgetCompletedBefore(cutoff: number): Promise<number> {
    const r = await this.db.prepare('DELETE FROM completed_uploads WHERE completed_at < ?').bind(cutoff).run();
    return r.meta.changes;
  }
}
