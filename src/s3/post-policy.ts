// The POST policy of a browser form upload: a base64 JSON document of an expiration and conditions
// every form field must satisfy (docs: "Creating a POST policy"), checked as S3 does.
import { S3Error } from '../error';

export type PolicyCondition =
  | { op: 'eq' | 'starts-with'; field: string; value: string }
  | { op: 'content-length-range'; min: number; max: number };

export interface PostPolicy {
  expiration: number;
  conditions: PolicyCondition[];
}

export interface LengthRange {
  min: number;
  max: number;
}

/** Fields that need no condition (S3: the signature, the file, the policy itself and x-ignore-*). */
const UNCONDITIONED = new Set(['x-amz-signature', 'signature', 'awsaccesskeyid', 'file', 'policy']);

const invalidPolicy = (why: string) => new S3Error('InvalidPolicyDocument', `Invalid Policy: ${why}`);
const denied = (why: string) => new S3Error('AccessDenied', `Invalid according to Policy: ${why}`);

function parseCondition(c: unknown): PolicyCondition[] {
  if (Array.isArray(c)) {
    const [op, a, b] = c as unknown[];
    if (c.length !== 3 || typeof op !== 'string') throw invalidPolicy('Invalid Condition.');
    const name = op.toLowerCase();
    if (name === 'content-length-range') {
      const [min, max] = [Number(a), Number(b)];
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) throw invalidPolicy('Invalid content-length-range.');
      return [{ op: name, min, max }];
    }
    if ((name === 'eq' || name === 'starts-with') && typeof a === 'string' && a.startsWith('$') && typeof b === 'string') {
      return [{ op: name, field: a.slice(1).toLowerCase(), value: b }];
    }
    throw invalidPolicy(`Invalid Condition: ${JSON.stringify(c)}`);
  }
  if (typeof c === 'object' && c !== null) {
    const entries = Object.entries(c);
    if (entries.length === 0 || entries.some(([, v]) => typeof v !== 'string')) throw invalidPolicy(`Invalid Condition: ${JSON.stringify(c)}`);
    return entries.map(([field, value]) => ({ op: 'eq', field: field.toLowerCase(), value: value as string }));
  }
  throw invalidPolicy('Invalid Condition.');
}

/** The policy form field, decoded; InvalidPolicyDocument when it is not one. */
export function parsePolicy(base64: string): PostPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(base64.replace(/\s+/g, '')), (ch) => ch.charCodeAt(0))));
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalidPolicy('Invalid JSON.');
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string') throw invalidPolicy('Policy missing expiration.');
  const expires = Date.parse(expiration);
  if (!/^\d{4}-\d\d-\d\dT/.test(expiration) || Number.isNaN(expires)) throw invalidPolicy('Invalid expiration.');
  if (!Array.isArray(conditions)) throw invalidPolicy('Policy missing conditions.');
  return { expiration: expires, conditions: conditions.flatMap(parseCondition) };
}

const shown = (c: PolicyCondition) => (c.op === 'content-length-range' ? `["content-length-range", ${c.min}, ${c.max}]` : `["${c.op}", "$${c.field}", ${JSON.stringify(c.value)}]`);

/**
 * Checks the form's `fields` (lowercase names; `bucket` is the addressed bucket) against the
 * policy at `now`, and returns the allowed file size range, if the policy sets one.
 */
export function checkPolicy(policy: PostPolicy, fields: Map<string, string>, bucket: string, now: number): LengthRange | null {
  if (now >= policy.expiration) throw denied('Policy expired.');
  const values = new Map(fields);
  values.set('bucket', bucket);
  const covered = new Set<string>();
  const ranges = policy.conditions.filter((c) => c.op === 'content-length-range');
  const range = ranges.length ? { min: Math.max(...ranges.map((r) => r.min)), max: Math.min(...ranges.map((r) => r.max)) } : null;
  for (const c of policy.conditions) {
    if (c.op === 'content-length-range') continue;
    covered.add(c.field);
    const value = values.get(c.field) ?? '';
    if (c.op === 'eq' ? value !== c.value : !value.startsWith(c.value)) throw denied(`Policy Condition failed: ${shown(c)}`);
  }
  const extra = [...fields.keys()].filter((name) => !covered.has(name) && !UNCONDITIONED.has(name) && !name.startsWith('x-ignore-'));
  if (extra.length) throw denied(`Extra input fields: ${extra.join(', ')}`);
  return range;
}
