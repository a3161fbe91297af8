// Policy evaluation as IAM does it for one identity policy: default deny; an Allow that matches
// allows; any matching Deny wins over every Allow.
import type { Condition, Policy, Statement } from './policy';
import { wildcardMatch } from './wildcard';

/** Request context keys (lowercased) and their values; a key that is absent is not in the map. */
export type RequestContext = ReadonlyMap<string, readonly string[]>;

export interface AccessRequest {
  /** e.g. s3:GetObject */
  action: string;
  /** e.g. arn:aws:s3:::bucket/key, or * for actions on no resource (s3:ListAllMyBuckets) */
  resource: string;
  context: RequestContext;
}

/** `implicit-deny`: no statement allowed it (nor denied it). */
export type Decision = 'allow' | 'deny' | 'implicit-deny';

const NEGATED = new Set(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'NumericNotEquals']);

/** Whether one request value matches one policy value under the (positive form of the) operator. */
function valueMatches(operator: Condition['operator'], policyValue: string, value: string): boolean {
  switch (operator) {
    case 'StringEquals':
    case 'StringNotEquals':
      return policyValue === value;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return policyValue.toLowerCase() === value.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
      return wildcardMatch(policyValue, value);
    case 'Bool':
      return policyValue.toLowerCase() === value.toLowerCase();
    case 'Null':
      return false; // handled by conditionHolds
    default: {
      const [a, b] = [Number(value), Number(policyValue)];
      if (value.trim() === '' || Number.isNaN(a)) return false;
      if (operator === 'NumericEquals' || operator === 'NumericNotEquals') return a === b;
      if (operator === 'NumericLessThan') return a < b;
      if (operator === 'NumericLessThanEquals') return a <= b;
      if (operator === 'NumericGreaterThan') return a > b;
      return a >= b;
    }
  }
}

function conditionHolds(c: Condition, context: RequestContext): boolean {
  const values = context.get(c.key);
  if (c.operator === 'Null') return c.values.some((v) => (v.toLowerCase() === 'true') === (values === undefined));
  const negated = NEGATED.has(c.operator);
  // Per request value: does it satisfy the operator (for a negated one: match none of the policy values)?
  const satisfies = (v: string) => c.values.some((p) => valueMatches(c.operator, p, v)) !== negated;
  if (c.set === 'ForAllValues') return (values ?? []).every(satisfies);
  if (c.set === 'ForAnyValue') return (values ?? []).some(satisfies);
  // A single-valued key that is absent: IfExists holds, a negated operator holds, anything else fails.
  if (values === undefined || values.length === 0) return c.ifExists || negated;
  return values.some(satisfies);
}

function matches(set: Statement['actions'], value: string, ignoreCase: boolean): boolean {
  return set.patterns.some((p) => wildcardMatch(p, value, ignoreCase)) !== set.not;
}

export function statementApplies(st: Statement, req: AccessRequest): boolean {
  return matches(st.actions, req.action, true) && matches(st.resources, req.resource, false) && st.conditions.every((c) => conditionHolds(c, req.context));
}

export function evaluate(policy: Policy, req: AccessRequest): Decision {
  let decision: Decision = 'implicit-deny';
  for (const st of policy.statements) {
    if (!statementApplies(st, req)) continue;
    if (st.effect === 'Deny') return 'deny';
    decision = 'allow';
  }
  return decision;
}
