// The S3 part of an IAM identity policy: parsed and validated once (when a user is created), so that
// evaluation (evaluate.ts) never meets a malformed document. Errors name what is wrong, as IAM's
// MalformedPolicyDocument does.

export type Effect = 'Allow' | 'Deny';

/** A list of patterns, or (NotAction / NotResource) everything except them. */
export interface PatternSet {
  not: boolean;
  patterns: string[];
}

export type SetQualifier = 'ForAnyValue' | 'ForAllValues' | null;

export interface Condition {
  /** The operator without qualifiers, e.g. StringLike. */
  operator: ConditionOperator;
  set: SetQualifier;
  ifExists: boolean;
  /** Context keys compare without case: kept lowercased. */
  key: string;
  values: string[];
}

export interface Statement {
  sid: string | null;
  effect: Effect;
  actions: PatternSet;
  resources: PatternSet;
  conditions: Condition[];
}

export interface Policy {
  statements: Statement[];
}

export const CONDITION_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'Bool',
  'Null',
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

export const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'];
/** IAM's limit for a user's inline policies. */
export const MAX_POLICY_BYTES = 2048 * 5;

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

const NO_VARIABLES = (where: string, value: string) => `${where}: "${value}" uses a policy variable; policy variables are not supported.`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string or a non-empty list of strings (IAM accepts both wherever a list is expected). */
function stringList(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => typeof v === 'string' && v !== '')) {
    throw new PolicyError(`${where} must be a non-empty string or a non-empty list of non-empty strings.`);
  }
  return list as string[];
}

/** Condition values may also be booleans and numbers, compared as their text. */
function conditionValues(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => ['string', 'boolean', 'number'].includes(typeof v))) {
    throw new PolicyError(`${where} must be a string, number or boolean, or a non-empty list of them.`);
  }
  return list.map(String);
}

function patternSet(st: Record<string, unknown>, name: 'Action' | 'Resource', where: string): PatternSet {
  const notName = `Not${name}`;
  if ((name in st) === (notName in st)) throw new PolicyError(`${where} must have exactly one of ${name} and ${notName}.`);
  const not = notName in st;
  const patterns = stringList(st[not ? notName : name], `${where} ${not ? notName : name}`);
  for (const p of patterns) {
    if (name === 'Action' && p !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/.test(p)) {
      throw new PolicyError(`${where}: action "${p}" is not of the form service:Action (e.g. s3:GetObject).`);
    }
    if (name === 'Resource' && p !== '*' && !p.startsWith('arn:')) {
      throw new PolicyError(`${where}: resource "${p}" is not an ARN (e.g. arn:aws:s3:::bucket/prefix*) or *.`);
    }
    if (p.includes('${')) throw new PolicyError(NO_VARIABLES(where, p));
  }
  return { not, patterns };
}

function parseConditions(value: unknown, where: string): Condition[] {
  if (value === undefined) return [];
  if (!isObject(value)) throw new PolicyError(`${where} Condition must be an object of operators.`);
  const conditions: Condition[] = [];
  for (const [name, block] of Object.entries(value)) {
    const match = /^(?:(ForAnyValue|ForAllValues):)?([A-Za-z]+?)(IfExists)?$/.exec(name);
    const operator = match?.[2] as ConditionOperator | undefined;
    if (!match || !operator || !CONDITION_OPERATORS.includes(operator) || (operator === 'Null' && match[3])) {
      throw new PolicyError(`${where}: condition operator "${name}" is not supported (supported: ${CONDITION_OPERATORS.join(', ')}, with ...IfExists and ForAnyValue:/ForAllValues:).`);
    }
    if (!isObject(block) || Object.keys(block).length === 0) throw new PolicyError(`${where}: ${name} must map condition keys to values.`);
    for (const [key, values] of Object.entries(block)) {
      const parsed = conditionValues(values, `${where} ${name} ${key}`);
      const variable = parsed.find((v) => v.includes('${'));
      if (variable !== undefined) throw new PolicyError(NO_VARIABLES(where, variable));
      if ((operator === 'Bool' || operator === 'Null') && !parsed.every((v) => /^(true|false)$/i.test(v))) {
        throw new PolicyError(`${where}: ${name} ${key} takes true or false.`);
      }
      if (operator.startsWith('Numeric') && !parsed.every((v) => v.trim() !== '' && Number.isFinite(Number(v)))) {
        throw new PolicyError(`${where}: ${name} ${key} takes numbers.`);
      }
      conditions.push({ operator, set: (match[1] as SetQualifier) ?? null, ifExists: !!match[3], key: key.toLowerCase(), values: parsed });
    }
  }
  return conditions;
}

const STATEMENT_FIELDS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];

function parseStatement(st: unknown, index: number): Statement {
  const where = `Statement ${index + 1}`;
  if (!isObject(st)) throw new PolicyError(`${where} must be an object.`);
  if ('Principal' in st || 'NotPrincipal' in st) throw new PolicyError(`${where}: an identity policy must not name a Principal (the principal is the access key it is attached to).`);
  const unknown = Object.keys(st).find((k) => !STATEMENT_FIELDS.includes(k));
  if (unknown) throw new PolicyError(`${where}: unknown field "${unknown}" (expected ${STATEMENT_FIELDS.join(', ')}).`);
  if (st.Sid !== undefined && (typeof st.Sid !== 'string' || !/^[A-Za-z0-9]*$/.test(st.Sid))) throw new PolicyError(`${where}: Sid must be letters and digits.`);
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw new PolicyError(`${where}: Effect must be "Allow" or "Deny".`);
  return {
    sid: (st.Sid as string | undefined) ?? null,
    effect: st.Effect,
    actions: patternSet(st, 'Action', where),
    resources: patternSet(st, 'Resource', where),
    conditions: parseConditions(st.Condition, where),
  };
}

/** Parses an IAM policy document (JSON text or an already parsed value); throws PolicyError saying what is wrong. */
export function parsePolicy(document: unknown): Policy {
  let doc = document;
  if (typeof document === 'string') {
    if (new TextEncoder().encode(document).length > MAX_POLICY_BYTES) throw new PolicyError(`The policy is larger than ${MAX_POLICY_BYTES} bytes.`);
    try {
      doc = JSON.parse(document);
    } catch {
      throw new PolicyError('The policy is not valid JSON.');
    }
  }
  if (!isObject(doc)) throw new PolicyError('The policy must be a JSON object with a Statement.');
  const unknown = Object.keys(doc).find((k) => !['Version', 'Id', 'Statement'].includes(k));
  if (unknown) throw new PolicyError(`Unknown policy field "${unknown}" (expected Version, Id, Statement).`);
  if (doc.Version !== undefined && !POLICY_VERSIONS.includes(doc.Version as string)) {
    throw new PolicyError(`Version must be one of ${POLICY_VERSIONS.join(', ')}.`);
  }
  if (doc.Statement === undefined) throw new PolicyError('The policy has no Statement.');
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (statements.length === 0) throw new PolicyError('Statement must not be empty.');
  return { statements: statements.map(parseStatement) };
}
