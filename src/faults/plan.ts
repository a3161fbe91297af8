// A fault plan: which storage call (D1 or R2, counted in the order the worker makes them) fails,
// and how. Pure bookkeeping; bindings.ts applies the decisions to the real bindings.

/** Where a call goes: a D1 statement or batch, or an R2 bucket method. */
export type CallKind = 'd1.first' | 'd1.run' | 'd1.all' | 'd1.raw' | 'd1.batch' | 'd1.exec' | `r2.${string}`;

/**
 * fail-before: throws without making the call. fail-after: makes the call (a D1 batch commits, an
 * R2 put stores), then throws, as an ambiguous network failure does. hang: waits `ms`, then fails
 * as a timeout. slow: waits `ms`, then makes the call. hold: waits until the plan is released.
 * cut (r2.get only): the read succeeds, but its body fails after `bytes` bytes, as a connection to
 * R2 dropped mid-body would.
 */
export type FaultMode = 'fail-before' | 'fail-after' | 'hang' | 'slow' | 'hold' | 'cut';

export interface FaultRule {
  mode: FaultMode;
  /** A call kind, or a prefix of one ("d1", "r2"); every call when absent. */
  call?: string;
  /** Only calls whose detail (SQL text, R2 key) contains this. */
  match?: string;
  /** Fire on the nth matching call (1-based) and only on it; on every matching call when absent. */
  nth?: number;
  /** For hang and slow (default 500). */
  ms?: number;
  /** For cut: the body bytes delivered before it fails (default 65536). */
  bytes?: number;
}

export interface FaultPlan {
  rules: FaultRule[];
}

export type Decision = { mode: 'pass' } | { mode: FaultMode; ms: number; bytes: number };

/** The calls made since the plan was set, and what was done to them. */
export interface FaultLog {
  calls: string[];
  injected: number;
  held: number;
}

export class FaultState {
  private plan: FaultPlan = { rules: [] };
  private matched: number[] = [];
  private log: FaultLog = { calls: [], injected: 0, held: 0 };
  private released = false;

  set(plan: FaultPlan): void {
    this.plan = plan;
    this.matched = plan.rules.map(() => 0);
    this.log = { calls: [], injected: 0, held: 0 };
    this.released = false;
  }

  get current(): FaultLog {
    return { ...this.log, calls: [...this.log.calls] };
  }

  release(): void {
    this.released = true;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Records the call and decides its fate: the first rule that fires wins. */
  decide(call: CallKind, detail: string): Decision {
    this.log.calls.push(`${call} ${detail.replace(/\s+/g, ' ').slice(0, 80)}`);
    for (const [i, rule] of this.plan.rules.entries()) {
      if (rule.call && !(call === rule.call || call.startsWith(`${rule.call}.`))) continue;
      if (rule.match && !detail.includes(rule.match)) continue;
      const n = ++this.matched[i]!;
      if (rule.nth !== undefined && n !== rule.nth) continue;
      if (rule.mode === 'hold') this.log.held++;
      else this.log.injected++;
      return { mode: rule.mode, ms: rule.ms ?? 500, bytes: rule.bytes ?? 65536 };
    }
    return { mode: 'pass' };
  }
}

/** Checks a plan sent to the control path; throws a TypeError naming what is wrong. */
export function parsePlan(value: unknown): FaultPlan {
  const modes: FaultMode[] = ['fail-before', 'fail-after', 'hang', 'slow', 'hold', 'cut'];
  const rules = (value as { rules?: unknown })?.rules;
  if (!Array.isArray(rules)) throw new TypeError('a plan is {"rules": [...]}');
  for (const r of rules as FaultRule[]) {
    if (!modes.includes(r?.mode)) throw new TypeError(`mode must be one of ${modes.join(', ')}`);
    if (r.nth !== undefined && !(Number.isInteger(r.nth) && r.nth > 0)) throw new TypeError('nth must be a positive integer');
    if (r.ms !== undefined && !(Number.isInteger(r.ms) && r.ms >= 0)) throw new TypeError('ms must be a non-negative integer');
    if (r.bytes !== undefined && !(Number.isInteger(r.bytes) && r.bytes >= 0)) throw new TypeError('bytes must be a non-negative integer');
    if (r.mode === 'cut' && r.call !== 'r2.get') throw new TypeError('cut applies to r2.get only');
  }
  return { rules: rules as FaultRule[] };
}
