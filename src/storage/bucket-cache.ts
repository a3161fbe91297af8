// Bucket rows remembered per isolate, so that a PUT or a CORS answer does not wait for a D1 round
// trip to learn what rarely changes. Writes through this isolate drop the entry at once; writes
// through another isolate show within BUCKET_CACHE_TTL_MS. Nothing is committed against a stale
// entry: a PUT's commit re-checks the bucket it was written for (MetadataStore.putObject), and
// only configuration that AWS itself propagates eventually (CORS) is ever served from it.

/** How long an isolate trusts a bucket row it read. */
export const BUCKET_CACHE_TTL_MS = 10_000;
const MAX_ENTRIES = 1000;

/** The buckets table's row, as stored. */
export interface BucketRow {
  name: string;
  created_at: number;
  encryption: string | null;
  cors: string | null;
}

interface Entry {
  row: BucketRow;
  expires: number;
}

/** One cache per database binding: the binding lives as long as the isolate. */
const caches = new WeakMap<D1Database, Map<string, Entry>>();

export class BucketCache {
  private readonly entries: Map<string, Entry>;

  constructor(private readonly db: D1Database) {
    let entries = caches.get(db);
    if (!entries) caches.set(db, (entries = new Map()));
    this.entries = entries;
  }

  /** The bucket's row, from the cache while it is fresh; null (never cached) when there is no such bucket. */
  async get(name: string): Promise<BucketRow | null> {
    const hit = this.entries.get(name);
    if (hit && hit.expires > Date.now()) return hit.row;
    return this.read(name);
  }

  /** The bucket's row from D1, remembered. */
  async read(name: string): Promise<BucketRow | null> {
    const row = await this.db.prepare('SELECT name, created_at, encryption, cors FROM buckets WHERE name = ?').bind(name).first<BucketRow>();
    if (!row) {
      this.entries.delete(name);
      return null;
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(name, { row, expires: Date.now() + BUCKET_CACHE_TTL_MS });
    return row;
  }

  /** Runs a write to the bucket's row; whatever its outcome, the row is read afresh next time. */
  async writing<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.entries.delete(name);
    }
  }
}
