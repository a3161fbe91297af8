// The audit log as requests see it: events buffered in the isolate and appended as one segment per
// flush, scheduled with waitUntil after the response. So a GET, HEAD or PUT never waits for the
// audit, and a busy isolate makes one R2 put and one D1 write per AUDIT_FLUSH_MS instead of per
// request. The price: events of an isolate that dies before its flush are lost (logged on failure).
import type { AuditEvent } from './event';
import { AuditStore } from './store';

/** A flush starts at once when this many events wait. */
const MAX_BUFFERED = 500;
/** While flushes fail (D1 or R2 down), at most this many events wait; older ones are dropped, logged. */
const MAX_KEPT = 20_000;

export class AuditLog {
  private events: AuditEvent[] = [];
  private scheduled = false;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    readonly store: AuditStore,
    private readonly delayMs: number,
  ) {}

  /** Buffers `events`; `waitUntil` keeps the isolate alive for the flush it may schedule. */
  add(events: AuditEvent[], waitUntil: (p: Promise<unknown>) => void): void {
    if (!events.length) return;
    this.events.push(...events);
    if (this.events.length >= MAX_BUFFERED) waitUntil(this.flush());
    else if (!this.scheduled) {
      this.scheduled = true;
      waitUntil(new Promise((resolve) => setTimeout(resolve, this.delayMs)).then(() => this.flush()));
    }
  }

  /** Appends what is buffered; flushes of one isolate run one at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      this.scheduled = false;
      const batch = this.events.splice(0);
      if (!batch.length) return;
      try {
        if (await this.store.append(batch)) return;
        console.error(JSON.stringify({ audit: 'flush-contended', events: batch.length }));
      } catch (e) {
        console.error(JSON.stringify({ audit: 'flush-failed', events: batch.length, error: e instanceof Error ? e.message : String(e) }));
      }
      // Kept for the next flush, in order.
      this.events.unshift(...batch);
      const excess = this.events.length - MAX_KEPT;
      if (excess > 0) {
        this.events.splice(0, excess);
        console.error(JSON.stringify({ audit: 'events-dropped', events: excess }));
      }
    });
    return this.flushing;
  }
}

/** The log of this isolate (its buffer must outlive requests); AUDIT_FLUSH_MS defaults to 2000. */
let isolateLog: AuditLog | null = null;

export function isolateAuditLog(env: { DB: D1Database; AUDIT: R2Bucket; AUDIT_FLUSH_MS?: string }): AuditLog {
  return (isolateLog ??= new AuditLog(new AuditStore(env.DB, env.AUDIT), Number(env.AUDIT_FLUSH_MS || 2000)));
}
