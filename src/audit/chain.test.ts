import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuditEntry, GENESIS, chain, verify } from './chain';
import type { AuditEvent } from './event';

const event = fc.record<AuditEvent>({
  time: fc.integer({ min: 0, max: 2 ** 42 }),
  requestId: fc.stringMatching(/^[0-9A-F]{16}$/),
  accessKey: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
  action: fc.constantFrom('seal', 'unseal', 'rewrap', 'ssec-key-mismatch', 'kms-error'),
  mode: fc.constantFrom('SSE-S3', 'SSE-KMS', 'SSE-C', null),
  bucket: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
  key: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
  kmsKeyId: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
  outcome: fc.constantFrom('ok', 'key-not-found', 'denied'),
});

const log = fc.array(event, { minLength: 3, maxLength: 20 });
const end = (entries: AuditEntry[]) => ({ n: entries.at(-1)!.n, hash: entries.at(-1)!.hash });

describe('audit chain', () => {
  it('an untouched chain verifies, also when checked in pieces', async () => {
    await fc.assert(
      fc.asyncProperty(log, fc.nat(), async (events, cut) => {
        const entries = await chain(GENESIS, events);
        expect((await verify(GENESIS, entries, end(entries))).findings).toEqual([]);
        const at = cut % entries.length;
        const first = await verify(GENESIS, entries.slice(0, at));
        expect((await verify(first.head, entries.slice(at), end(entries))).findings).toEqual([]);
      }),
    );
  });

  it('reports an edited entry by its number', async () => {
    await fc.assert(
      fc.asyncProperty(log, fc.nat(), async (events, i) => {
        const entries = await chain(GENESIS, events);
        const at = i % entries.length;
        const edited = entries.map((e, j) => (j === at ? { ...e, outcome: `${e.outcome}!` } : e));
        expect((await verify(GENESIS, edited, end(entries))).findings).toEqual([{ problem: 'edited', n: at + 1 }]);
      }),
    );
  });

  it('reports a removed entry, in the middle or at the end', async () => {
    await fc.assert(
      fc.asyncProperty(log, fc.nat(), async (events, i) => {
        const entries = await chain(GENESIS, events);
        const at = i % entries.length;
        const removed = entries.filter((_, j) => j !== at);
        expect((await verify(GENESIS, removed, end(entries))).findings).toEqual([{ problem: 'removed', from: at + 1, to: at + 1 }]);
      }),
    );
  });

  it('reports two swapped entries as reordered, not as removed', async () => {
    await fc.assert(
      fc.asyncProperty(log, fc.nat(), async (events, i) => {
        const entries = await chain(GENESIS, events);
        const at = i % (entries.length - 1);
        const swapped = [...entries];
        [swapped[at], swapped[at + 1]] = [swapped[at + 1]!, swapped[at]!];
        expect((await verify(GENESIS, swapped, end(entries))).findings).toEqual([{ problem: 'reordered', n: at + 1, after: at + 2 }]);
      }),
    );
  });

  it('reports an entry rewritten with a fresh hash where the next entry no longer links to it', async () => {
    const events = fc.sample(event, 5);
    const entries = await chain(GENESIS, events);
    const [forged] = await chain({ n: 1, hash: entries[0]!.hash }, [{ ...events[1]!, bucket: 'other' }]);
    const tampered = [entries[0]!, forged!, ...entries.slice(2)];
    expect((await verify(GENESIS, tampered, end(entries))).findings).toEqual([{ problem: 'unlinked', n: 3 }]);
  });
});
