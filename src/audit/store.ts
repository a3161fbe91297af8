// Where the audit log lives: its entries in R2 segments (the AUDIT bucket, one object per flush,
// named by segment number and last hash), its head in one D1 row. Appending writes the segment first and then moves
// the head by compare-and-set; a flush that loses to another isolate deletes its segment and chains
// again after the winner. So the head only ever names complete segments, and the chain never forks.
import { type AuditEntry, type ChainHead, type Finding, GENESIS, chain, verify } from './chain';
import type { AuditEvent } from './event';

const PREFIX = 'audit/';
/** Compare-and-set attempts per flush before the events go back to the buffer for the next one. */
const ATTEMPTS = 16;

export interface SegmentHead extends ChainHead {
  seq: number;
}

interface Segment {
  seq: number;
  entries: AuditEntry[];
}

const segmentName = (seq: number, hash: string) => `${PREFIX}${String(seq).padStart(12, '0')}-${hash}`;
const seqOf = (name: string) => Number(name.slice(PREFIX.length, PREFIX.length + 12));

export interface VerifyReport {
  ok: boolean;
  /** Segments and entries checked in this call. */
  segments: number;
  entries: number;
  findings: (
    | Finding
    | { problem: 'segment-missing'; seq: number }
    | { problem: 'segment-unreadable'; seq: number }
    | { problem: 'anchor-mismatch'; n: number }
    | { problem: 'anchor-missing'; n: number }
  )[];
  /** The head recorded in D1: keep it outside to detect a wholesale rewrite later. */
  head: SegmentHead;
  /** Where the chain stands after what was checked; pass as `from` to go on; null at the head. */
  next: SegmentHead | null;
}

export interface EntryFilter {
  bucket?: string;
  key?: string;
  accessKey?: string;
  kmsKeyId?: string;
  /** ms since epoch, inclusive */
  since?: number;
  until?: number;
  /** entries after this number */
  after?: number;
  limit: number;
}

export class AuditStore {
  /** The head as this isolate last saw it: most flushes need no D1 read. */
  private known: SegmentHead | null = null;

  constructor(
    private readonly db: D1Database,
    private readonly r2: R2Bucket,
  ) {}

  /** Whether the segments' bucket answers (health report). */
  async reachable(): Promise<void> {
    await this.r2.list({ prefix: PREFIX, limit: 1 });
  }

  async head(): Promise<SegmentHead> {
    const row = await this.db.prepare('SELECT seq, n, hash FROM audit_head WHERE id = 1').first<SegmentHead>();
    return row ?? { seq: 0, ...GENESIS };
  }

  /** Appends `events` as one segment; false when the head kept moving under it (retry later). */
  async append(events: AuditEvent[]): Promise<boolean> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const at = (this.known ??= await this.head());
      const entries = await chain(at, events);
      const last = entries.at(-1)!;
      const next: SegmentHead = { seq: at.seq + 1, n: last.n, hash: last.hash };
      const name = segmentName(next.seq, next.hash);
      await this.r2.put(name, JSON.stringify({ seq: next.seq, entries } satisfies Segment), {
        httpMetadata: { contentType: 'application/json' },
        customMetadata: { first: String(entries[0]!.time), last: String(last.time), from: String(entries[0]!.n), to: String(last.n) },
      });
      const moved = await this.db
        .prepare('UPDATE audit_head SET seq = ?1, n = ?2, hash = ?3 WHERE id = 1 AND seq = ?4 AND hash = ?5')
        .bind(next.seq, next.n, next.hash, at.seq, at.hash)
        .run();
      if (moved.meta.changes === 1) {
        this.known = next;
        return true;
      }
      this.known = null;
      // Under a bucket lock the loser's segment stays: verify and list skip it (nothing links to it).
      await this.r2.delete(name).catch(() => undefined);
      // Jittered backoff, so isolates that lost together do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * (attempt + 1)));
    }
    return false;
  }

  /** Segment names in chain order from segment `fromSeq` on, up to `limit`, with their R2 metadata. */
  private async segments(fromSeq: number, limit: number): Promise<R2Object[]> {
    const out: R2Object[] = [];
    let cursor: string | undefined;
    const startAfter = fromSeq > 1 ? `${PREFIX}${String(fromSeq - 1).padStart(12, '0')}-~` : undefined;
    do {
      const page = await this.r2.list({ prefix: PREFIX, cursor, startAfter: cursor ? undefined : startAfter, limit: 1000, include: ['customMetadata'] });
      out.push(...page.objects);
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor && out.length < limit);
    return out;
  }

  private async read(name: string): Promise<Segment | null> {
    const object = await this.r2.get(name);
    if (!object) return null;
    try {
      return (await object.json()) as Segment;
    } catch {
      return null;
    }
  }

  /**
   * Verifies up to `limit` segments from `from` (the genesis when null) against the head in D1:
   * edited, removed and reordered entries, missing segments and a truncated tail. `anchor` is a head
   * recorded earlier outside the service: entry anchor.n must still have that hash, which a rewrite
   * of the whole chain (R2 and D1 together) cannot keep.
   */
  async verify(from: SegmentHead | null, limit: number, anchor: ChainHead | null = null): Promise<VerifyReport> {
    const head = await this.head();
    let at: SegmentHead = from ?? { seq: 0, ...GENESIS };
    const report: VerifyReport = { ok: true, segments: 0, entries: 0, findings: [], head, next: null };
    const listed = (await this.segments(at.seq + 1, limit + 1)).filter((o) => seqOf(o.key) <= head.seq);
    const bySeq = new Map<number, R2Object[]>();
    for (const o of listed) bySeq.set(seqOf(o.key), [...(bySeq.get(seqOf(o.key)) ?? []), o]);
    let seq = at.seq + 1;
    for (; seq <= head.seq && report.segments < limit; seq++) {
      const candidates = bySeq.get(seq) ?? [];
      if (candidates.length === 0) {
        report.findings.push({ problem: 'segment-missing', seq });
        at = { ...at, seq };
        continue;
      }
      // Several candidates only after an isolate died between writing its segment and losing the
      // compare-and-set: the one that belongs is the one the next segment (or the head) links to.
      const segment = await this.pick(candidates, seq, bySeq.get(seq + 1) ?? [], head);
      report.segments++;
      if (!segment) {
        report.findings.push({ problem: 'segment-unreadable', seq });
        at = { ...at, seq };
        continue;
      }
      report.entries += segment.entries.length;
      const checked = await verify(at, segment.entries);
      report.findings.push(...checked.findings);
      const anchored = anchor && segment.entries.find((e) => e.n === anchor.n);
      if (anchored && anchored.hash !== anchor.hash) report.findings.push({ problem: 'anchor-mismatch', n: anchor.n });
      at = { seq, ...checked.head };
    }
    if (seq > head.seq) {
      const end = await verify(at, [], head);
      report.findings.push(...end.findings);
      if (anchor && anchor.n > head.n) report.findings.push({ problem: 'anchor-missing', n: anchor.n });
    } else {
      report.next = at;
    }
    report.ok = report.findings.length === 0;
    return report;
  }

  private async pick(candidates: R2Object[], seq: number, following: R2Object[], head: SegmentHead): Promise<Segment | null> {
    if (candidates.length === 1) return this.read(candidates[0]!.key);
    const wanted = seq === head.seq ? [head.hash] : await Promise.all(following.map(async (o) => (await this.read(o.key))?.entries[0]?.prev));
    const match = candidates.find((o) => wanted.includes(o.key.slice(-64)));
    return this.read((match ?? candidates[0]!).key);
  }

  /** Entries that match `filter`, in chain order (segments outside the time range are not read). */
  async list(filter: EntryFilter): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    const head = await this.head();
    // An interrupted flush can leave a second segment with the same entry numbers: list each once.
    let seen = filter.after ?? 0;
    for (const o of await this.segments(1, Number.MAX_SAFE_INTEGER)) {
      const meta = o.customMetadata ?? {};
      if (seqOf(o.key) > head.seq) continue;
      if (filter.since !== undefined && Number(meta.last) < filter.since) continue;
      if (filter.until !== undefined && Number(meta.first) > filter.until) continue;
      if (Number(meta.to) <= seen) continue;
      const segment = await this.read(o.key);
      for (const e of segment?.entries ?? []) {
        if (e.n <= seen) continue;
        seen = e.n;
        if (matches(e, filter)) out.push(e);
        if (out.length >= filter.limit) return out;
      }
    }
    return out;
  }
}

function matches(e: AuditEntry, f: EntryFilter): boolean {
  return (
    (f.bucket === undefined || e.bucket === f.bucket) &&
    (f.key === undefined || e.key === f.key) &&
    (f.accessKey === undefined || e.accessKey === f.accessKey) &&
    (f.kmsKeyId === undefined || e.kmsKeyId === f.kmsKeyId) &&
    (f.since === undefined || e.time >= f.since) &&
    (f.until === undefined || e.time <= f.until)
  );
}
