// Access keys created by administrators, in D1. Every query is keyed by access key id (one row per
// key), except the listing, so the table can be sharded by that id later.
import { bytes } from './metadata';

export interface UserRecord {
  accessKeyId: string;
  name: string;
  /** The policy document as given at creation (JSON text). */
  policy: string;
  kekId: string;
  sealedSecret: Uint8Array;
  disabledAt: number | null;
  createdAt: number;
}

interface UserRow {
  access_key_id: string;
  name: string;
  policy: string;
  kek_id: string;
  sealed_secret: ArrayBuffer | number[];
  disabled_at: number | null;
  created_at: number;
}

const toRecord = (r: UserRow): UserRecord => ({
  accessKeyId: r.access_key_id,
  name: r.name,
  policy: r.policy,
  kekId: r.kek_id,
  sealedSecret: bytes(r.sealed_secret)!,
  disabledAt: r.disabled_at,
  createdAt: r.created_at,
});

export class UserStore {
  constructor(private readonly db: D1Database) {}

  async get(accessKeyId: string): Promise<UserRecord | null> {
    const row = await this.db.prepare('SELECT * FROM users WHERE access_key_id = ?').bind(accessKeyId).first<UserRow>();
    return row ? toRecord(row) : null;
  }

  /** Users in access key order after `after`, at most `limit`. */
  async list(after: string, limit: number): Promise<UserRecord[]> {
    const { results } = await this.db.prepare('SELECT * FROM users WHERE access_key_id > ? ORDER BY access_key_id LIMIT ?').bind(after, limit).all<UserRow>();
    return results.map(toRecord);
  }

  /** False when the access key id is taken. */
  async insert(u: UserRecord): Promise<boolean> {
    const result = await this.db
      .prepare('INSERT INTO users (access_key_id, name, policy, kek_id, sealed_secret, disabled_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .bind(u.accessKeyId, u.name, u.policy, u.kekId, u.sealedSecret, u.disabledAt, u.createdAt)
      .run();
    return result.meta.changes === 1;
  }

  /** Disables (at `at`) or, with null, enables the key; false when there is no such key. */
  async setDisabled(accessKeyId: string, at: number | null): Promise<boolean> {
    const result = await this.db.prepare('UPDATE users SET disabled_at = ? WHERE access_key_id = ?').bind(at, accessKeyId).run();
    return result.meta.changes === 1;
  }

  /** Re-seals the secret in place if it is still `previous` (re-wrap). */
  async reseal(accessKeyId: string, kekId: string, sealedSecret: Uint8Array, previous: Uint8Array): Promise<boolean> {
    const result = await this.db.prepare('UPDATE users SET kek_id = ?, sealed_secret = ? WHERE access_key_id = ? AND sealed_secret = ?').bind(kekId, sealedSecret, accessKeyId, previous).run();
    return result.meta.changes === 1;
  }

  async delete(accessKeyId: string): Promise<boolean> {
    const result = await this.db.prepare('DELETE FROM users WHERE access_key_id = ?').bind(accessKeyId).run();
    return result.meta.changes === 1;
  }
}
