// Unsealed data keys kept in isolate memory for a short time, so repeated reads of an object (and
// writes under one bucket key) do not call the KMS each time. Bounded in size and age: a key deleted
// or disabled in the KMS stops opening objects at the latest `ttlMs` after its last successful use.

export interface KeyCacheOptions {
  /** 0 turns the cache off. */
  ttlMs: number;
  maxEntries: number;
}

export class KeyCache {
  private readonly entries = new Map<string, { key: Uint8Array; expires: number }>();
  /** When the next sweep of expired entries is due: at most one per TTL, on some access. */
  private nextSweep = 0;

  constructor(private readonly options: KeyCacheOptions) {}

  /** How long entries live (0: the cache is off). */
  get ttlMs(): number {
    return this.options.ttlMs;
  }

  /** Entries cached now (expired ones may linger until the next sweep). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Drops expired keys, so plaintext key material does not outlive its TTL in memory. Workers have
   * no timers between requests: the sweep runs on access, at most once per TTL.
   */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.options.ttlMs;
    for (const [id, entry] of this.entries) if (entry.expires <= now) this.entries.delete(id);
  }

  /** Caches a key just made (a new bucket key), so its first uses need no KMS call. */
  set(id: string, key: Uint8Array, now = Date.now()): void {
    if (this.options.ttlMs <= 0) return;
    this.sweep(now);
    this.entries.delete(id);
    this.entries.set(id, { key, expires: now + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The cached value for `id`, or what `load` gives (then cached). */
  async get(id: string, load: () => Promise<Uint8Array>, now = Date.now()): Promise<Uint8Array> {
    if (this.options.ttlMs <= 0) return load();
    this.sweep(now);
    const hit = this.entries.get(id);
    if (hit && hit.expires <= now) this.entries.delete(id);
    else if (hit) {
      // Re-insert to keep Map order least-recently-used first.
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit.key;
    }
    const key = await load();
    this.set(id, key, now);
    return key;
  }
}

/** A cache id from the parts that determine what a sealed key opens to (never the key itself). */
export async function cacheId(...parts: (string | Uint8Array)[]): Promise<string> {
  const utf8 = new TextEncoder();
  const encoded = parts.map((p) => (typeof p === 'string' ? utf8.encode(p) : p));
  const joined = new Uint8Array(encoded.reduce((n, p) => n + 4 + p.length, 0));
  let offset = 0;
  for (const p of encoded) {
    new DataView(joined.buffer).setUint32(offset, p.length);
    joined.set(p, offset + 4);
    offset += 4 + p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
