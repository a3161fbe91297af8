import { describe, expect, it } from 'vitest';
import { UNCONFIGURED_BUCKET_SUBRESOURCES } from '../s3/handlers/unconfigured';
import type { Operation } from '../s3/operation';
import { isAdminOperation, requiredActions } from './actions';

const none = new Headers();

describe('requiredActions', () => {
  it('names an action for every bucket sub-resource answered without a configuration', () => {
    for (const subresource of UNCONFIGURED_BUCKET_SUBRESOURCES) {
      const [check] = requiredActions({ kind: 'GetBucketSubresource', bucket: 'b', subresource }, none);
      expect(check).toEqual({ action: expect.stringMatching(/^s3:Get[A-Za-z]+$/), resource: 'arn:aws:s3:::b' });
    }
  });

  it('a copy needs the source read and the destination written', () => {
    const headers = new Headers({ 'x-amz-copy-source': '/src-bucket/a%20b?versionId=null' });
    expect(requiredActions({ kind: 'UploadPartCopy', bucket: 'b', key: 'k', uploadId: 'u', partNumber: '1' }, headers)).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::src-bucket/a b' },
    ]);
  });

  it('object and bucket ACLs are different actions', () => {
    expect(requiredActions({ kind: 'PutAcl', bucket: 'b', key: null }, none)).toEqual([{ action: 's3:PutBucketAcl', resource: 'arn:aws:s3:::b' }]);
    expect(requiredActions({ kind: 'PutAcl', bucket: 'b', key: 'k' }, none)).toEqual([{ action: 's3:PutObjectAcl', resource: 'arn:aws:s3:::b/k' }]);
  });

  it('Admin kinds are administrators-only by their name', () => {
    const ops: Operation[] = [{ kind: 'AdminRewrap' }, { kind: 'AdminListUsers' }, { kind: 'AdminDeleteUser', accessKeyId: 'X' }];
    for (const op of ops) {
      expect(isAdminOperation(op)).toBe(true);
      expect(() => requiredActions(op, none)).toThrow(/administrators only/);
    }
    expect(isAdminOperation({ kind: 'ListBuckets' })).toBe(false);
  });
});
