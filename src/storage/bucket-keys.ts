// Bucket keys in D1: KMS data keys (sealed by the KMS) under which SSE-KMS objects' data keys are
// sealed when BucketKeyEnabled, so writes do not call the KMS once per object.
import { bytes } from './metadata';

export interface BucketKeyRecord {
  id: string;
  bucket: string;
  /** The KMS key as requests name it. */
  keyId: string;
  /** The KMS key as the KMS names it (AWS: the ARN): what opens `sealedKey`. */
  kekId: string;
  sealedKey: Uint8Array;
  createdAt: number;
}

interface BucketKeyRow {
  id: string;
  bucket: string;
  key_id: string;
  kek_id: string;
  sealed_key: ArrayBuffer | number[];
  created_at: number;
}

const COLUMNS = 'id, bucket, key_id, kek_id, sealed_key, created_at';

const toRecord = (r: BucketKeyRow): BucketKeyRecord => ({
  id: r.id,
  bucket: r.bucket,
  keyId: r.key_id,
  kekId: r.kek_id,
  sealedKey: bytes(r.sealed_key)!,
  createdAt: r.created_at,
});

export class BucketKeyStore {
  constructor(private readonly db: D1Database) {}

  /** The newest bucket key of `bucket` under the KMS key `keyId` created at or after `since`. */
  async current(bucket: string, keyId: string, since: number): Promise<BucketKeyRecord | null> {
    const row = await this.db
      .prepare(`SELECT ${COLUMNS} FROM bucket_keys WHERE bucket = ? AND key_id = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 1`)
      .bind(bucket, keyId, since)
      .first<BucketKeyRow>();
    return row && toRecord(row);
  }

  async get(id: string): Promise<BucketKeyRecord | null> {
    const row = await this.db.prepare(`SELECT ${COLUMNS} FROM bucket_keys WHERE id = ?`).bind(id).first<BucketKeyRow>();
    return row && toRecord(row);
  }

  async insert(r: BucketKeyRecord): Promise<void> {
    await this.db
      .prepare(`INSERT INTO bucket_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`)
      .bind(r.id, r.bucket, r.keyId, r.kekId, r.sealedKey, r.createdAt)
      .run();
  }

  /** Replaces the sealing of a bucket key (re-wrap) if it is still `previous`. */
  async reseal(id: string, kekId: string, sealedKey: Uint8Array, previous: Uint8Array): Promise<boolean> {
    const r = await this.db.prepare('UPDATE bucket_keys SET kek_id = ?, sealed_key = ? WHERE id = ? AND sealed_key = ?').bind(kekId, sealedKey, id, previous).run();
    return r.meta.changes > 0;
  }
}
