import { describe, expect, it } from 'vitest';
import { checkPolicy, parsePolicy } from './post-policy';

const encode = (doc: unknown) => btoa(JSON.stringify(doc));
const NOW = Date.parse('2026-06-01T00:00:00Z');
const policy = (conditions: unknown[], expiration = '2026-06-01T01:00:00.000Z') => parsePolicy(encode({ expiration, conditions }));
const fields = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('POST policy', () => {
  it('accepts a form that meets every condition and returns its length range', () => {
    const p = policy([{ bucket: 'b' }, ['starts-with', '$key', 'user/'], ['eq', '$Content-Type', 'image/png'], ['content-length-range', 1, 10]]);
    expect(checkPolicy(p, fields({ key: 'user/${filename}', 'content-type': 'image/png' }), 'b', NOW)).toEqual({ min: 1, max: 10 });
  });

  it('refuses as S3 does: expired, failed condition, extra fields', () => {
    expect(() => checkPolicy(policy([], '2026-05-31T00:00:00Z'), fields({}), 'b', NOW)).toThrow('Invalid according to Policy: Policy expired.');
    expect(() => checkPolicy(policy([{ bucket: 'other' }]), fields({}), 'b', NOW)).toThrow('Policy Condition failed: ["eq", "$bucket", "other"]');
    expect(() => checkPolicy(policy([['starts-with', '$key', 'a/']]), fields({ key: 'b/x' }), 'b', NOW)).toThrow('Policy Condition failed: ["starts-with", "$key", "a/"]');
    expect(() => checkPolicy(policy([]), fields({ key: 'k', 'x-ignore-me': '1', 'x-amz-signature': 's', policy: 'p' }), 'b', NOW)).toThrow('Extra input fields: key');
  });

  it('refuses documents that are not policies with InvalidPolicyDocument', () => {
    for (const text of ['not base64!', btoa('{'), encode([]), encode({ conditions: [] }), encode({ expiration: 'soon', conditions: [] }), encode({ expiration: '2026-06-01T00:00:00Z' })]) {
      expect(() => parsePolicy(text)).toThrow(expect.objectContaining({ code: 'InvalidPolicyDocument' }));
    }
    expect(() => policy([['matches', '$key', '.*']])).toThrow(expect.objectContaining({ code: 'InvalidPolicyDocument' }));
    expect(() => policy([['content-length-range', 10, 1]])).toThrow(expect.objectContaining({ code: 'InvalidPolicyDocument' }));
  });
});
