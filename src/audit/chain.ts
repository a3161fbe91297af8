// The hash chain of the audit log (pure). Entry n commits to entry n-1: its hash is
// SHA-256(prev hash, canonical JSON of its fields). Each entry carries its number n and the hash of
// its predecessor, so a check tells an edited entry (its own hash does not match its fields) from a
// removed one (a gap in n) and a reordered one (n going back), and goes on after each finding.
import type { AuditEvent } from './event';

export interface AuditEntry extends AuditEvent {
  /** 1-based position in the whole log. */
  n: number;
  /** Hash of entry n-1 (GENESIS for the first). */
  prev: string;
  hash: string;
}

/** Where a chain stands: the last entry's number and hash. */
export interface ChainHead {
  n: number;
  hash: string;
}

export const GENESIS: ChainHead = { n: 0, hash: '0'.repeat(64) };

export type Finding =
  | { problem: 'edited'; n: number }
  | { problem: 'removed'; from: number; to: number }
  | { problem: 'reordered'; n: number; after: number }
  | { problem: 'unlinked'; n: number };

/** JSON with keys in sorted order, so the hash does not depend on how an entry was serialized. */
function canonical(fields: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function entryHash(entry: Omit<AuditEntry, 'hash'>): Promise<string> {
  const { prev, ...fields } = entry;
  return sha256Hex(`${prev}\n${canonical(fields)}`);
}

/** Chains `events` after `head`. */
export async function chain(head: ChainHead, events: AuditEvent[]): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let { n, hash } = head;
  for (const event of events) {
    const unhashed = { ...event, n: ++n, prev: hash };
    hash = await entryHash(unhashed);
    entries.push({ ...unhashed, hash });
  }
  return entries;
}

/**
 * Checks `entries` (in stored order) as the continuation of `head`; returns what it found and where
 * the chain stands after them. Each tampering is reported once: the check re-synchronises on the
 * entry that follows it. "unlinked": entry n does not follow entry n-1 (n-1 was rewritten with a
 * fresh hash, or replaced). With `end` (the recorded head), entries removed from the tail are found too.
 */
export async function verify(head: ChainHead, entries: readonly AuditEntry[], end?: ChainHead): Promise<{ findings: Finding[]; head: ChainHead }> {
  const findings: Finding[] = [];
  const present = new Set(entries.map((e) => e.n));
  let at = head;
  for (const e of entries) {
    const { hash, ...unhashed } = e;
    if ((await entryHash(unhashed)) !== hash) findings.push({ problem: 'edited', n: e.n });
    if (e.n <= at.n) {
      findings.push({ problem: 'reordered', n: e.n, after: at.n });
      continue;
    }
    if (e.n === at.n + 1 && e.prev !== at.hash) findings.push({ problem: 'unlinked', n: e.n });
    // Numbers skipped here but stored later are reordered, not removed.
    let from = at.n + 1;
    for (let m = at.n + 1; m <= e.n; m++) {
      if (m < e.n && !present.has(m)) continue;
      if (m > from) findings.push({ problem: 'removed', from, to: m - 1 });
      from = m + 1;
    }
    at = { n: e.n, hash };
  }
  if (end && end.n > at.n) findings.push({ problem: 'removed', from: at.n + 1, to: end.n });
  else if (end && (end.n < at.n || end.hash !== at.hash)) findings.push({ problem: 'unlinked', n: at.n });
  return { findings, head: at };
}
