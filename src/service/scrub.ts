// Scrubbing: a bounded background verification that walks every object over time, opening its data
// key and authenticating every package of its blobs (and whatever else a read checks: part list,
// sizes) through the service's own read path, discarding the plaintext. Each batch goes on from a
// cursor; the cron keeps it in gc_state, so a pass over all objects spreads across many runs.
// SSE-C objects cannot be opened without their customer's key: they are counted as skipped.
import { isS3Error } from '../error';
import type { GcStateStore, MetadataStore, ListedObject } from '../storage/metadata';
import type { ObjectService } from './objects';

export interface ScrubBatch {
  /** Where the previous batch stopped; null to start a pass. */
  cursor: string | null;
  /** Objects per batch at most. */
  limit: number;
  /** Plaintext bytes per batch at most; the first object is read whatever its size, so a pass always advances. */
  maxBytes: number;
}

export interface ScrubProblem {
  bucket: string;
  key: string;
  reason: string;
}

export interface ScrubReport {
  examined: number;
  verified: number;
  /** Plaintext bytes authenticated. */
  bytes: number;
  /** SSE-C objects: not openable without the customer's key. */
  skipped: number;
  /** Failed authentication or lost data: a read of them fails. */
  damaged: ScrubProblem[];
  /** Could not be checked now (KMS unavailable, key disabled or denied): checked again next pass. */
  unchecked: ScrubProblem[];
  /** Where the next batch starts; null when this batch ended the pass. */
  cursor: string | null;
}

const CURSOR = 'scrub-cursor';
/** The running totals of the current pass, and those of the last complete one (for a health report). */
const PASS = 'scrub-pass';
const LAST_PASS = 'scrub-last-pass';
/** Damaged objects a pass summary keeps by name (the logs have them all). */
const KEEP_DAMAGED = 100;
/** The cron trigger (wrangler.toml) that runs a scrub batch: between the collector's runs, not with them. */
export const SCRUB_CRON = '5,20,35,50 * * * *';
/** What one cron run checks at most. */
const SCHEDULED_SCRUB: Omit<ScrubBatch, 'cursor'> = { limit: 100, maxBytes: 256 * 1024 * 1024 };
/** S3 errors of a read that mean the object itself is bad; any other is the KMS or storage failing now. */
const DAMAGE_CODES = new Set(['InternalError']);
const SSE_NONE = { mode: 'default' } as const;

export class Scrubber {
  constructor(
    private readonly meta: MetadataStore,
    private readonly objects: ObjectService,
  ) {}

  async batch(b: ScrubBatch): Promise<ScrubReport> {
    const report: ScrubReport = { examined: 0, verified: 0, bytes: 0, skipped: 0, damaged: [], unchecked: [], cursor: null };
    const rows = await this.next(parseCursor(b.cursor), b.limit);
    let budget = b.maxBytes;
    for (const row of rows) {
      if (report.examined > 0 && row.size > budget) break;
      report.examined++;
      report.cursor = JSON.stringify([row.bucket, row.key]);
      if (row.sseMode === 'SSE-C') {
        report.skipped++;
        continue;
      }
      budget -= row.size;
      const outcome = await this.check(row);
      if (outcome === 'verified') {
        report.verified++;
        report.bytes += row.size;
      } else if (outcome === 'gone') {
        continue;
      } else if (outcome.damaged) {
        console.error('scrub: damaged object', row.bucket, JSON.stringify(row.key), outcome.reason);
        report.damaged.push({ bucket: row.bucket, key: row.key, reason: outcome.reason });
      } else {
        report.unchecked.push({ bucket: row.bucket, key: row.key, reason: outcome.reason });
      }
    }
    // A batch that read fewer rows than it could have reached the end of the walk.
    if (rows.length < b.limit && report.examined === rows.length) report.cursor = null;
    return report;
  }

  /**
   * Reads the object (its row and parts read again, together) as a GET would and drops the bytes:
   * 'verified' when every byte authenticated, 'gone' when it was deleted meanwhile.
   */
  private async check(listed: ListedObject): Promise<'verified' | 'gone' | { damaged: boolean; reason: string }> {
    try {
      const found = await this.meta.getObject(listed.bucket, listed.key);
      const stored = found.bucketExists ? found.value : null;
      if (!stored) return 'gone';
      const reader = (await this.objects.open(stored, SSE_NONE).read(null)).getReader();
      while (!(await reader.read()).done);
      return 'verified';
    } catch (e) {
      if (isS3Error(e)) return { damaged: DAMAGE_CODES.has(e.code), reason: e.message };
      // A stream error after the first package: the format's own message (authentication, truncation).
      return { damaged: true, reason: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Up to `limit` objects after `after` in (bucket, key) order, across buckets. */
  private async next(after: [string, string] | null, limit: number): Promise<ListedObject[]> {
    const rows: ListedObject[] = [];
    for (const bucket of await this.meta.listBuckets()) {
      if (after && bucket.name < after[0]) continue;
      const from = after && bucket.name === after[0] ? { after: after[1] } : {};
      rows.push(...(await this.meta.listObjects(bucket.name, from, limit - rows.length)));
      if (rows.length === limit) break;
    }
    return rows;
  }
}

/** A cursor as batches hand out: JSON [bucket, key]. */
export function isScrubCursor(cursor: string): boolean {
  try {
    const parsed: unknown = JSON.parse(cursor);
    return Array.isArray(parsed) && parsed.length === 2 && parsed.every((s) => typeof s === 'string');
  } catch {
    return false;
  }
}

function parseCursor(cursor: string | null): [string, string] | null {
  if (cursor === null) return null;
  if (!isScrubCursor(cursor)) throw new RangeError('not a scrub cursor');
  return JSON.parse(cursor) as [string, string];
}

/** A pass's totals, kept in gc_state across the cron runs that make it up. */
export interface ScrubPass {
  startedAt: number;
  finishedAt: number | null;
  examined: number;
  verified: number;
  bytes: number;
  skipped: number;
  damaged: number;
  unchecked: number;
  /** The first damaged objects found in the pass. */
  damagedObjects: ScrubProblem[];
}

/** The scrub's pass in progress and its last complete one, for the health report. */
export async function scrubStatus(state: GcStateStore): Promise<{ current: ScrubPass | null; lastPass: ScrubPass | null }> {
  const [current, lastPass] = await Promise.all([state.get(PASS), state.get(LAST_PASS)]);
  const parse = (value: string | null) => (value === null ? null : (JSON.parse(value) as ScrubPass));
  return { current: parse(current), lastPass: parse(lastPass) };
}

/**
 * One cron run's batch, from and to the cursor in gc_state; adds its counts to the pass (`scrub-pass`,
 * moved to `scrub-last-pass` when the pass ends) and logs the outcome.
 */
export async function scheduledScrub(scrubber: Scrubber, state: GcStateStore, now: number): Promise<ScrubReport> {
  const stored = await state.get(CURSOR);
  const cursor = stored !== null && isScrubCursor(stored) ? stored : null;
  const report = await scrubber.batch({ cursor, ...SCHEDULED_SCRUB });
  const kept = cursor === null ? null : await state.get(PASS);
  const pass: ScrubPass = kept ? (JSON.parse(kept) as ScrubPass) : { startedAt: now, finishedAt: null, examined: 0, verified: 0, bytes: 0, skipped: 0, damaged: 0, unchecked: 0, damagedObjects: [] };
  pass.examined += report.examined;
  pass.verified += report.verified;
  pass.bytes += report.bytes;
  pass.skipped += report.skipped;
  pass.damaged += report.damaged.length;
  pass.unchecked += report.unchecked.length;
  pass.damagedObjects = [...pass.damagedObjects, ...report.damaged].slice(0, KEEP_DAMAGED);
  if (report.cursor === null) {
    await state.set(LAST_PASS, JSON.stringify({ ...pass, finishedAt: now }));
    await state.set(PASS, null);
  } else {
    await state.set(PASS, JSON.stringify(pass));
  }
  await state.set(CURSOR, report.cursor);
  const { examined, verified, bytes, skipped, damaged, unchecked } = report;
  console.log('scrub', JSON.stringify({ examined, verified, bytes, skipped, damaged: damaged.length, unchecked: unchecked.length, passComplete: report.cursor === null }));
  return report;
}
