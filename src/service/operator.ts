// What administrators ask of the running service: the audit log (verify, query), which objects a
// KMS key's loss made unreadable (erasure report), and whether everything it depends on answers
// (health). Reads only; the erasure report also records itself in the audit log.
import type { ChainHead } from '../audit/chain';
import type { KeyAudit } from '../audit/event';
import type { AuditLog } from '../audit/log';
import type { EntryFilter, SegmentHead } from '../audit/store';
import { type Kms, KmsError } from '../kms/kms';
import type { BlobStore } from '../storage/blobs';
import type { KeyUsageStore, ProtectedObject } from '../storage/key-usage';
import type { GcStateStore } from '../storage/metadata';
import { SWEEP_CURSOR } from './gc';
import { scrubStatus } from './scrub';

export type KeyState = 'usable' | 'locked' | 'erased' | 'unknown';

export interface ErasureReport {
  kmsKeyId: string;
  /** usable; locked: disabled or pending deletion; erased: the KMS no longer has it; unknown: the KMS did not answer. */
  state: KeyState;
  /** The KMS's failure kind when state is unknown. */
  error?: string;
  /** Objects (and uploads in progress) under this key: unreadable unless state is usable. */
  count: number;
  uploads: number;
  objects: ProtectedObject[];
  /** Pass as `after` for the next page; null on the last. */
  next: [string, string] | null;
}

interface Timed<T> {
  ok: boolean;
  ms: number;
  error?: string;
  value?: T;
}

async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const started = Date.now();
  try {
    const value = await run();
    return { ok: true, ms: Date.now() - started, value };
  } catch (e) {
    return { ok: false, ms: Date.now() - started, error: e instanceof KmsError ? e.kind : e instanceof Error ? e.message : String(e) };
  }
}

const check = ({ value: _, ...t }: Timed<unknown>) => t;

export class OperatorService {
  constructor(
    private readonly log: AuditLog,
    private readonly kms: () => Kms,
    private readonly usage: KeyUsageStore,
    private readonly gc: GcStateStore,
    private readonly blobs: BlobStore,
    private readonly audit: KeyAudit,
  ) {}

  async verifyAudit(from: SegmentHead | null, limit: number, anchor: ChainHead | null) {
    await this.log.flush();
    return this.log.store.verify(from, limit, anchor);
  }

  async listAudit(filter: EntryFilter) {
    await this.log.flush();
    return this.log.store.list(filter);
  }

  private async keyState(keyId: string): Promise<{ state: KeyState; names: string[]; error?: string }> {
    try {
      const status = await this.kms().describeKey(keyId);
      return { state: status.enabled ? 'usable' : 'locked', names: [...new Set([keyId, status.keyId])] };
    } catch (e) {
      if (e instanceof KmsError && e.kind === 'key-not-found') return { state: 'erased', names: [keyId] };
      if (e instanceof KmsError && e.kind === 'key-disabled') return { state: 'locked', names: [keyId] };
      return { state: 'unknown', names: [keyId], error: e instanceof KmsError ? e.kind : 'error' };
    }
  }

  async erasureReport(kmsKeyId: string, after: [string, string] | null, limit: number): Promise<ErasureReport> {
    const { state, names, error } = await this.keyState(kmsKeyId);
    const [counts, objects] = await Promise.all([this.usage.countUnder(names), this.usage.objectsUnder(names, after, limit)]);
    if (state === 'locked' || state === 'erased') {
      this.audit.record({ action: 'erasure', mode: null, bucket: null, key: null, kmsKeyId, outcome: state, detail: `${counts.objects} objects, ${counts.uploads} uploads unreadable` });
    }
    const last = objects.at(-1);
    return {
      kmsKeyId,
      state,
      ...(error ? { error } : {}),
      count: counts.objects,
      uploads: counts.uploads,
      objects,
      next: objects.length === limit && last ? [last.bucket, last.key] : null,
    };
  }

  async health() {
    const [d1, r2, auditR2, perKey, sweep, head, scrub] = await Promise.all([
      timed(() => this.usage.gcBacklog()),
      timed(() => this.blobs.list(undefined, 1)),
      timed(() => this.log.store.reachable()),
      this.usage.perKey().catch(() => []),
      this.gc.get(SWEEP_CURSOR).catch(() => null),
      this.log.store.head().catch(() => null),
      scrubStatus(this.gc).catch(() => null),
    ]);
    const gc = d1.value;
    let defaultKeyId: string | null = null;
    const kms = await timed(async () => {
      defaultKeyId = this.kms().defaultKeyId;
      await this.kms().describeKey(defaultKeyId);
    });
    const keyIds = [...new Set([...(defaultKeyId ? [defaultKeyId] : []), ...perKey.map((k) => k.kmsKeyId)])];
    const keys = await Promise.all(
      keyIds.map(async (id) => {
        const { state, error } = await this.keyState(id);
        const count = perKey.find((k) => k.kmsKeyId === id);
        return { kmsKeyId: id, default: id === defaultKeyId, state, ...(error ? { error } : {}), objects: count?.objects ?? 0, uploads: count?.uploads ?? 0 };
      }),
    );
    return {
      ok: d1.ok && r2.ok && auditR2.ok && kms.ok && keys.every((k) => k.state === 'usable' || (k.objects === 0 && k.uploads === 0)) && !scrub?.lastPass?.damaged,
      d1: check(d1),
      r2: check(r2),
      kms: { ...check(kms), defaultKeyId },
      // Objects per KMS key; during a re-wrap, what is still under the old key.
      keys,
      gc: gc ? { ...gc, orphanSweep: sweep === null ? 'at start' : 'in progress' } : null,
      // The audit log's bucket, and its head (null when D1 did not answer).
      audit: { ...check(auditR2), head },
      // Damaged objects found by the scrub's last complete pass (and the pass in progress).
      scrub,
    };
  }
}
