// Administrative reads under /_admin/ (JSON answers): the audit log (verify, query), the erasure
// report of a KMS key, and the health report. docs/OPERATIONS.md describes each answer.
import type { SegmentHead } from '../../audit/store';
import type { S3Request } from '../context';
import { S3Error } from '../../error';

const invalid = (name: string, message: string) => new S3Error('InvalidArgument', message, { ArgumentName: name });

function limitOf(url: URL, fallback: number, max: number): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max) throw invalid('limit', `limit must be an integer from 1 to ${max}.`);
  return n;
}

/** A time as ms since epoch or an ISO 8601 date. */
function timeOf(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw invalid(name, `${name} must be an ISO 8601 time or milliseconds since the epoch.`);
  return ms;
}

function jsonOf<T>(url: URL, name: string, valid: (v: unknown) => v is T): T | null {
  const raw = url.searchParams.get(name);
  if (raw === null) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (valid(value)) return value;
  } catch {
    // answered below
  }
  throw invalid(name, `${name} must be the value a previous answer gave as "next".`);
}

const isHead = (v: unknown): v is SegmentHead =>
  typeof v === 'object' && v !== null && ['seq', 'n'].every((k) => Number.isInteger((v as Record<string, unknown>)[k])) && typeof (v as SegmentHead).hash === 'string';
const isObjectCursor = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && v.every((s) => typeof s === 'string');

/** ?from=<next of a previous answer>&limit=<segments, default 500>&anchor=<n>:<hash of a head kept earlier> */
export async function adminAuditVerify({ url, operator }: S3Request): Promise<Response> {
  const raw = url.searchParams.get('anchor');
  const match = raw === null ? null : /^(\d+):([0-9a-f]{64})$/.exec(raw);
  if (raw !== null && !match) throw invalid('anchor', 'anchor must be <entry number>:<hash>, as audit verify printed the head.');
  const anchor = match ? { n: Number(match[1]), hash: match[2]! } : null;
  return Response.json(await operator.verifyAudit(jsonOf(url, 'from', isHead), limitOf(url, 500, 5000), anchor));
}

/** ?bucket&key&accessKey&kmsKeyId&since&until&after=<entry n>&limit=<default 100, max 1000> */
export async function adminAuditList({ url, operator }: S3Request): Promise<Response> {
  const q = url.searchParams;
  const text = (name: string) => q.get(name) ?? undefined;
  const after = q.get('after');
  if (after !== null && !/^\d+$/.test(after)) throw invalid('after', 'after must be an entry number.');
  const entries = await operator.listAudit({
    bucket: text('bucket'),
    key: text('key'),
    accessKey: text('accessKey'),
    kmsKeyId: text('kmsKeyId'),
    since: timeOf(url, 'since'),
    until: timeOf(url, 'until'),
    after: after === null ? undefined : Number(after),
    limit: limitOf(url, 100, 1000),
  });
  return Response.json({ entries });
}

/** ?kmsKeyId=<id>&after=<next of a previous answer>&limit=<objects, default 1000> */
export async function adminErasureReport({ url, operator }: S3Request): Promise<Response> {
  const kmsKeyId = url.searchParams.get('kmsKeyId');
  if (!kmsKeyId) throw invalid('kmsKeyId', 'kmsKeyId names the KMS key to report on.');
  return Response.json(await operator.erasureReport(kmsKeyId, jsonOf(url, 'after', isObjectCursor), limitOf(url, 1000, 1000)));
}

/** 200 either way: `ok` says whether all is well (the answer is for administrators, not probes). */
export async function adminHealth({ operator }: S3Request): Promise<Response> {
  return Response.json(await operator.health());
}
