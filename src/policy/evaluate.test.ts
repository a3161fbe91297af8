import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AccessRequest, evaluate } from './evaluate';
import { parsePolicy } from './policy';
import { wildcardMatch } from './wildcard';

const ctx = (pairs: Record<string, string> = {}) => new Map(Object.entries(pairs).map(([k, v]) => [k.toLowerCase(), [v]]));
const req = (action: string, resource: string, context: Record<string, string> = {}): AccessRequest => ({ action, resource, context: ctx(context) });
const allow = (st: Record<string, unknown>) => parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...st }] });

describe('wildcardMatch', () => {
  it('treats * as any run and ? as one character, and nothing else as special', () => {
    expect(wildcardMatch('arn:aws:s3:::b/pre*', 'arn:aws:s3:::b/prefix/x')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::b/pre*', 'arn:aws:s3:::b/pr')).toBe(false);
    expect(wildcardMatch('a?c', 'abc')).toBe(true);
    expect(wildcardMatch('a?c', 'ac')).toBe(false);
    expect(wildcardMatch('a.c', 'abc')).toBe(false);
    expect(wildcardMatch('(x)[y]+', '(x)[y]+')).toBe(true);
    expect(wildcardMatch('s3:get*', 's3:GetObject', true)).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::B', 'arn:aws:s3:::b')).toBe(false);
    expect(wildcardMatch('*', 'line\nbreak')).toBe(true);
  });

  it('a pattern without wildcards matches exactly itself', () => {
    fc.assert(fc.property(fc.string().filter((s) => !/[*?]/.test(s)), fc.string(), (p, v) => wildcardMatch(p, v) === (p === v)));
  });
});

describe('evaluate', () => {
  it('denies by default', () => {
    expect(evaluate(allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }), req('s3:PutObject', 'arn:aws:s3:::b/k'))).toBe('implicit-deny');
    expect(evaluate(allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }), req('s3:GetObject', 'arn:aws:s3:::c/k'))).toBe('implicit-deny');
  });

  it('matches actions without case and with wildcards, resources with case and prefixes', () => {
    const p = allow({ Action: ['s3:get*', 's3:ListBucket'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/team/*'] });
    expect(evaluate(p, req('s3:GetObject', 'arn:aws:s3:::b/team/x'))).toBe('allow');
    expect(evaluate(p, req('s3:GetEncryptionConfiguration', 'arn:aws:s3:::b'))).toBe('allow');
    expect(evaluate(p, req('s3:GetObject', 'arn:aws:s3:::b/Team/x'))).toBe('implicit-deny');
    expect(evaluate(p, req('s3:ListBucket', 'arn:aws:s3:::b'))).toBe('allow');
    expect(evaluate(p, req('s3:PutObject', 'arn:aws:s3:::b/team/x'))).toBe('implicit-deny');
  });

  it('NotAction and NotResource match everything else', () => {
    const p = allow({ NotAction: 's3:DeleteObject', NotResource: 'arn:aws:s3:::b/secret/*' });
    expect(evaluate(p, req('s3:PutObject', 'arn:aws:s3:::b/x'))).toBe('allow');
    expect(evaluate(p, req('s3:DeleteObject', 'arn:aws:s3:::b/x'))).toBe('implicit-deny');
    expect(evaluate(p, req('s3:GetObject', 'arn:aws:s3:::b/secret/x'))).toBe('implicit-deny');
  });

  it('an explicit Deny wins over any Allow', () => {
    const p = parsePolicy({
      Statement: [
        { Effect: 'Allow', Action: 's3:*', Resource: '*' },
        { Effect: 'Deny', Action: 's3:PutObject', Resource: '*', Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } } },
      ],
    });
    expect(evaluate(p, req('s3:PutObject', 'arn:aws:s3:::b/k'))).toBe('deny');
    expect(evaluate(p, req('s3:PutObject', 'arn:aws:s3:::b/k', { 's3:x-amz-server-side-encryption': 'AES256' }))).toBe('deny');
    expect(evaluate(p, req('s3:PutObject', 'arn:aws:s3:::b/k', { 's3:x-amz-server-side-encryption': 'aws:kms' }))).toBe('allow');
  });

  it.each([
    // operator, policy value, request value (undefined: key absent), holds
    ['StringEquals', 'AES256', 'AES256', true],
    ['StringEquals', 'AES256', 'aes256', false],
    ['StringEquals', 'AES256', undefined, false],
    ['StringEqualsIfExists', 'AES256', undefined, true],
    ['StringEqualsIfExists', 'AES256', 'aws:kms', false],
    ['StringNotEquals', 'AES256', 'aws:kms', true],
    ['StringNotEquals', 'AES256', 'AES256', false],
    ['StringNotEquals', 'AES256', undefined, true],
    ['StringEqualsIgnoreCase', 'AES256', 'aes256', true],
    ['StringNotEqualsIgnoreCase', 'AES256', 'aes256', false],
    ['StringLike', 'home/*', 'home/x/y', true],
    ['StringLike', 'home/?', 'home/xy', false],
    ['StringLike', 'home/*', undefined, false],
    ['StringNotLike', 'home/*', 'etc/x', true],
    ['StringNotLike', 'home/*', 'home/x', false],
    ['StringNotLike', 'home/*', undefined, true],
    ['Bool', 'true', 'true', true],
    ['Bool', 'true', 'false', false],
    ['Bool', 'false', undefined, false],
    ['BoolIfExists', 'false', undefined, true],
    ['Null', 'true', undefined, true],
    ['Null', 'true', 'x', false],
    ['Null', 'false', 'x', true],
    ['Null', 'false', undefined, false],
    ['NumericLessThanEquals', '100', '100', true],
    ['NumericLessThan', '100', '100', false],
    ['NumericGreaterThan', '100', '1000', true],
    ['NumericEquals', '100', 'x', false],
    ['NumericNotEquals', '100', '7', true],
    ['ForAnyValue:StringEquals', 'a', 'a', true],
    ['ForAnyValue:StringEquals', 'a', undefined, false],
    ['ForAllValues:StringEquals', 'a', 'b', false],
    ['ForAllValues:StringEquals', 'a', undefined, true],
  ] as const)('%s %s against %s: %s', (operator, value, actual, holds) => {
    const p = allow({ Action: 's3:*', Resource: '*', Condition: { [operator]: { 'Test:Key': value } } });
    const context: Record<string, string> = actual === undefined ? {} : { 'test:key': actual };
    expect(evaluate(p, req('s3:GetObject', '*', context))).toBe(holds ? 'allow' : 'implicit-deny');
  });

  it('values of one key are alternatives; keys and operators all must hold', () => {
    const p = allow({ Action: 's3:ListBucket', Resource: '*', Condition: { StringLike: { 's3:prefix': ['a/*', 'b/*'], 's3:delimiter': '/' }, NumericLessThanEquals: { 's3:max-keys': 10 } } });
    expect(evaluate(p, req('s3:ListBucket', '*', { 's3:prefix': 'b/x', 's3:delimiter': '/', 's3:max-keys': '10' }))).toBe('allow');
    expect(evaluate(p, req('s3:ListBucket', '*', { 's3:prefix': 'c/x', 's3:delimiter': '/', 's3:max-keys': '10' }))).toBe('implicit-deny');
    expect(evaluate(p, req('s3:ListBucket', '*', { 's3:prefix': 'a/x', 's3:max-keys': '10' }))).toBe('implicit-deny');
    expect(evaluate(p, req('s3:ListBucket', '*', { 's3:prefix': 'a/x', 's3:delimiter': '/', 's3:max-keys': '11' }))).toBe('implicit-deny');
  });
});

// ---- Properties -------------------------------------------------------------------------------------------

const S3_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:ListBucketMultipartUploads', 's3:PutEncryptionConfiguration', 's3:GetEncryptionConfiguration', 's3:ListAllMyBuckets', 's3:CreateBucket'];
const segment = fc.stringMatching(/^[a-z0-9*?]{1,4}$/);
const actionPattern = fc.oneof(fc.constantFrom('*', 's3:*', ...S3_ACTIONS), segment.map((s) => `s3:${s}`), segment.map((s) => `s3:Get${s}`));
const resourcePattern = fc.oneof(fc.constant('*'), fc.tuple(fc.constantFrom('a', 'b', 'a*', '?'), fc.option(segment)).map(([b, k]) => `arn:aws:s3:::${b}${k === null ? '' : `/${k}`}`));
const condition = fc.constantFrom(
  undefined,
  { Bool: { 'aws:SecureTransport': 'true' } },
  { StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
  { StringNotLike: { 's3:prefix': 'a*' } },
  { Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' } },
  { 'ForAnyValue:StringLikeIfExists': { 's3:prefix': ['?', 'b*'] } },
);
const statement = fc.record({
  Effect: fc.constantFrom('Allow', 'Deny'),
  Action: fc.array(actionPattern, { minLength: 1, maxLength: 3 }),
  Resource: fc.array(resourcePattern, { minLength: 1, maxLength: 3 }),
  Condition: condition,
});
const policyDoc = fc.array(statement, { minLength: 1, maxLength: 4 });
const request = fc.record({
  action: fc.constantFrom(...S3_ACTIONS),
  resource: fc.oneof(fc.constant('*'), fc.tuple(fc.constantFrom('a', 'b', 'ab'), fc.option(fc.stringMatching(/^[a-z0-9/]{0,5}$/))).map(([b, k]) => `arn:aws:s3:::${b}${k === null ? '' : `/${k}`}`)),
  context: fc.record(
    { 'aws:securetransport': fc.constantFrom('true', 'false'), 's3:x-amz-server-side-encryption': fc.constantFrom('AES256', 'aws:kms'), 's3:prefix': fc.stringMatching(/^[a-c]{0,2}$/), 's3:x-amz-server-side-encryption-aws-kms-key-id': fc.constantFrom('k1', 'k2') },
    { requiredKeys: ['aws:securetransport'] },
  ),
});
const toRequest = (r: { action: string; resource: string; context: Record<string, string | undefined> }): AccessRequest => ({
  ...r,
  context: new Map(Object.entries(r.context).filter(([, v]) => v !== undefined).map(([k, v]) => [k, [v!]])),
});
const clean = <T extends { Condition?: unknown }>(sts: T[]) => sts.map(({ Condition, ...st }) => (Condition ? { ...st, Condition } : st));

describe('evaluate: properties', () => {
  it('adding a statement with Effect Deny never allows more', () => {
    fc.assert(
      fc.property(policyDoc, statement, request, (sts, deny, r) => {
        const before = evaluate(parsePolicy({ Statement: clean(sts) }), toRequest(r));
        const after = evaluate(parsePolicy({ Statement: clean([...sts, { ...deny, Effect: 'Deny' }]) }), toRequest(r));
        return after !== 'allow' || before === 'allow';
      }),
    );
  });

  it('adding an Allow never turns a Deny into anything else', () => {
    fc.assert(
      fc.property(policyDoc, statement, request, (sts, extra, r) => {
        const before = evaluate(parsePolicy({ Statement: clean(sts) }), toRequest(r));
        const after = evaluate(parsePolicy({ Statement: clean([...sts, { ...extra, Effect: 'Allow' }]) }), toRequest(r));
        return before !== 'deny' || after === 'deny';
      }),
    );
  });

  it('s3:* on * allows every S3 action on every resource', () => {
    const p = allow({ Action: 's3:*', Resource: '*' });
    fc.assert(fc.property(request, (r) => evaluate(p, toRequest(r)) === 'allow'));
  });

  it('statement order does not change the decision', () => {
    fc.assert(
      fc.property(policyDoc, request, (sts, r) => evaluate(parsePolicy({ Statement: clean(sts) }), toRequest(r)) === evaluate(parsePolicy({ Statement: clean([...sts].reverse()) }), toRequest(r))),
    );
  });

  it('a policy of only Deny statements never allows', () => {
    fc.assert(fc.property(policyDoc, request, (sts, r) => evaluate(parsePolicy({ Statement: clean(sts.map((s) => ({ ...s, Effect: 'Deny' }))) }), toRequest(r)) !== 'allow'));
  });
});
