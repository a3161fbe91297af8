// What every fault, kill and race test needs: a worker with fault injection on, its control path,
// a model of what each key may hold, the audit of R2 against D1, and GC run to convergence.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { GetObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { Miniflare } from 'miniflare';
import type { FaultLog, FaultRule } from '../../src/faults/plan';
import { type Stores, referencedBlobs, storedBlobs } from '../helpers/objects';

/** The full run (npm run faults) sets FAULTS=full; `npm test` runs the short version. */
export const FULL = process.env.FAULTS === 'full';

/** The worker's fault plan, through its control path (Miniflare's dispatchFetch: no network). */
export function faultControl(mf: Miniflare) {
  const call = async (method: string, path = '/_faults', body?: unknown): Promise<FaultLog> => {
    const res = await mf.dispatchFetch(`http://127.0.0.1${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`fault control ${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as FaultLog;
  };
  return {
    set: (...rules: FaultRule[]) => call('PUT', '/_faults', { rules }),
    /** Clears the plan; returns the log of the plan it cleared. */
    clear: async () => {
      const log = await call('GET');
      await call('PUT', '/_faults', { rules: [] });
      return log;
    },
    log: () => call('GET'),
    release: () => call('POST', '/_faults/release'),
  };
}

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
export const ABSENT = 'absent';

/** What GET of a key returns: the SHA-256 of the whole body, ABSENT for NoSuchKey, or what went wrong. */
export async function readVersion(client: S3Client, Bucket: string, Key: string, extra: Record<string, unknown> = {}): Promise<string> {
  try {
    const got = await client.send(new GetObjectCommand({ Bucket, Key, ...extra }));
    const body = Buffer.from(await got.Body!.transformToByteArray());
    if (got.ContentLength !== undefined && got.ContentLength !== body.length) return `torn: ${body.length} of ${got.ContentLength} bytes`;
    return sha256(body);
  } catch (e) {
    if (e instanceof S3ServiceException && e.name === 'NoSuchKey') return ABSENT;
    return `error: ${e instanceof Error ? `${e.name} ${e.message}` : String(e)}`;
  }
}

/** Which versions a key may show: more than one while an ambiguous failure is unresolved. */
export class Model {
  readonly keys = new Map<string, { bucket: string; key: string; extra: Record<string, unknown>; allowed: Set<string> }>();

  expect(bucket: string, key: string, allowed: string[], extra: Record<string, unknown> = {}): void {
    this.keys.set(`${bucket}/${key}`, { bucket, key, extra, allowed: new Set(allowed) });
  }

  allowed(bucket: string, key: string): string[] {
    return [...(this.keys.get(`${bucket}/${key}`)?.allowed ?? [])];
  }

  /** Reads every key; each must show one allowed version, whole, which it is then held to. Returns (and forgets) the keys that did not. */
  async verify(client: S3Client): Promise<string[]> {
    const wrong: string[] = [];
    for (const [name, k] of this.keys) {
      const seen = await readVersion(client, k.bucket, k.key, k.extra);
      if (k.allowed.has(seen)) k.allowed = new Set([seen]);
      else {
        wrong.push(`${name}: ${seen.slice(0, 100)} (expected one of ${[...k.allowed].map((v) => v.slice(0, 8)).join(', ')})`);
        // Reported once: a lost key is not counted again by every later check.
        this.keys.delete(name);
      }
    }
    return wrong;
  }
}

/** R2 against D1, directly: referenced blobs that are gone, and stored blobs nothing refers to. */
export async function audit(stores: Stores): Promise<{ missing: string[]; orphans: string[] }> {
  const [referenced, stored] = await Promise.all([referencedBlobs(stores.db), storedBlobs(stores.r2)]);
  return { missing: [...referenced].filter((id) => !stored.has(id)), orphans: [...stored].filter((id) => !referenced.has(id)) };
}

const MINUTE = 60_000;
let gcClock = 0;

/**
 * Runs the scheduled collector with a clock 20 minutes past the previous run (and past now), until
 * no orphan is left or `rounds` runs are done. Returns the audit after the last run; `missing` (the
 * referenced blobs that went missing meanwhile) is checked after every run.
 */
export async function collectToConvergence(svc: Stores & { collectGarbage(at: number): Promise<void> }, rounds = 4): Promise<{ missing: string[]; orphans: string[]; runs: number }> {
  // Only what goes missing now counts: a blob lost by an earlier fault was reported then.
  const lostBefore = new Set((await audit(svc)).missing);
  const missing = new Set<string>();
  let last = { missing: [] as string[], orphans: [] as string[] };
  let runs = 0;
  while (runs < rounds) {
    gcClock = Math.max(gcClock, Date.now()) + 20 * MINUTE;
    await svc.collectGarbage(gcClock);
    runs++;
    last = await audit(svc);
    last.missing.filter((id) => !lostBefore.has(id)).forEach((id) => missing.add(id));
    if (last.orphans.length === 0 && runs >= 2) break;
  }
  return { missing: [...missing], orphans: last.orphans, runs };
}

/** Figures for the table of npm run faults, written where it asks (FAULTS_REPORT); nothing otherwise. */
export function recordFigures(name: string, figures: Record<string, number | string>): void {
  const dir = process.env.FAULTS_REPORT;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/${name}.json`, JSON.stringify(figures));
}

/** The outcome of a client call: ok, or the S3 error code and status it ended in. */
export async function outcome(p: Promise<unknown>): Promise<{ ok: true } | { ok: false; code: string; status: number }> {
  try {
    await p;
    return { ok: true };
  } catch (e) {
    if (e instanceof S3ServiceException) return { ok: false, code: e.name, status: e.$metadata.httpStatusCode ?? 0 };
    return { ok: false, code: e instanceof Error ? `${e.name}: ${e.message}` : String(e), status: 0 };
  }
}
