// Buckets' CORS rules in D1 (buckets.cors, migration 0007).
import type { CorsRule } from '../s3/cors';

export class CorsStore {
  constructor(private readonly db: D1Database) {}

  /** The bucket's rules (null: none configured), or undefined when the bucket does not exist. */
  async get(bucket: string): Promise<CorsRule[] | null | undefined> {
    const row = await this.db.prepare('SELECT cors FROM buckets WHERE name = ?').bind(bucket).first<{ cors: string | null }>();
    if (!row) return undefined;
    return row.cors === null ? null : (JSON.parse(row.cors) as CorsRule[]);
  }

  /** Sets (or with null, removes) the rules; false when the bucket does not exist. */
  async set(bucket: string, rules: CorsRule[] | null): Promise<boolean> {
    const r = await this.db.prepare('UPDATE buckets SET cors = ? WHERE name = ?').bind(rules && JSON.stringify(rules), bucket).run();
    return r.meta.changes > 0;
  }
}
