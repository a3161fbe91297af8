import { describe, expect, it } from 'vitest';
import { PolicyError, parsePolicy } from './policy';

const statement = (extra: Record<string, unknown>) => ({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', ...extra } });

describe('parsePolicy', () => {
  it('accepts a single statement object or a list, strings or lists, and conditions', () => {
    const policy = parsePolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Read', Effect: 'Allow', Action: ['s3:Get*', 's3:ListBucket'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] },
          { Effect: 'Deny', NotAction: 's3:GetObject', NotResource: 'arn:aws:s3:::b/public/*', Condition: { 'ForAnyValue:StringLikeIfExists': { 's3:Prefix': ['a*', 'b'] }, Bool: { 'aws:SecureTransport': false } } },
        ],
      }),
    );
    expect(policy.statements).toHaveLength(2);
    expect(policy.statements[1]!.conditions).toEqual([
      { operator: 'StringLike', set: 'ForAnyValue', ifExists: true, key: 's3:prefix', values: ['a*', 'b'] },
      { operator: 'Bool', set: null, ifExists: false, key: 'aws:securetransport', values: ['false'] },
    ]);
    expect(parsePolicy(statement({})).statements[0]!.sid).toBeNull();
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['no Statement', { Version: '2012-10-17' }, /no Statement/],
    ['a bad Version', { Version: '2020-01-01', Statement: [] }, /Version must be/],
    ['an empty Statement', { Statement: [] }, /must not be empty/],
    ['a bad Effect', statement({ Effect: 'Maybe' }), /Effect must be "Allow" or "Deny"/],
    ['Action and NotAction', statement({ NotAction: 's3:PutObject' }), /exactly one of Action and NotAction/],
    ['no Resource', { Statement: { Effect: 'Allow', Action: 's3:*' } }, /exactly one of Resource and NotResource/],
    ['a Principal', statement({ Principal: '*' }), /must not name a Principal/],
    ['an action without a service', statement({ Action: 'GetObject' }), /not of the form service:Action/],
    ['a resource that is not an ARN', statement({ Resource: 'bucket/key' }), /not an ARN/],
    ['an unknown operator', statement({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }), /"IpAddress" is not supported/],
    ['NullIfExists', statement({ Condition: { NullIfExists: { 's3:prefix': 'true' } } }), /not supported/],
    ['a non-boolean Bool', statement({ Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }), /takes true or false/],
    ['a non-numeric NumericLessThan', statement({ Condition: { NumericLessThan: { 's3:max-keys': 'ten' } } }), /takes numbers/],
    ['an unknown field', statement({ Effects: 'Allow' }), /unknown field "Effects"/],
    ['an empty action list', statement({ Action: [] }), /non-empty/],
    ['a policy variable in a resource', statement({ Resource: 'arn:aws:s3:::b/${aws:username}/*' }), /policy variables are not supported/],
    ['a policy variable in a condition', statement({ Condition: { StringLike: { 's3:prefix': '${aws:username}/*' } } }), /policy variables are not supported/],
  ])('refuses %s in words', (_, doc, message) => {
    expect(() => parsePolicy(typeof doc === 'string' ? doc : JSON.stringify(doc))).toThrow(PolicyError);
    expect(() => parsePolicy(typeof doc === 'string' ? doc : JSON.stringify(doc))).toThrow(message);
  });
});
