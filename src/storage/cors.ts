// Buckets' CORS rules in D1 (buckets.cors, migration 0007), read through the isolate's bucket cache:
// like AWS, a change made through another isolate may take a few seconds to apply.
import { BucketCache } from './bucket-cache';

export class CorsStore<Rule> {
  private readonly buckets: BucketCache;

  constructor(private readonly db: D1Database) {
    this.buckets = new BucketCache(db);
  }

  /**
   * The bucket's rules (null: none configured), or undefined when the bucket does not exist; with
   * `fresh` read from D1, otherwise possibly a few seconds old.
   */
  async get(bucket: string, fresh = false): Promise<Rule[] | null | undefined> {
    const row = await (fresh ? this.buckets.read(bucket) : this.buckets.get(bucket));
    if (!row) return undefined;
    return row.cors === null ? null : (JSON.parse(row.cors) as Rule[]);
  }

  /** Sets (or with null, removes) the rules; false when the bucket does not exist. */
  async set(bucket: string, rules: Rule[] | null): Promise<boolean> {
    const r = await this.buckets.writing(bucket, () => this.db.prepare('UPDATE buckets SET cors = ? WHERE name = ?').bind(rules && JSON.stringify(rules), bucket).run());
    return r.meta.changes > 0;
  }
}
