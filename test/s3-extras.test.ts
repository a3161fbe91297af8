// What S3 clients and conformance suites ask of any bucket besides data: conditional writes, ACLs
// (everything private), sub-resources with no configuration, and versions of an unversioned bucket.
import {
  CreateBucketCommand,
  GetBucketAclCommand,
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetObjectAclCommand,
  GetObjectTaggingCommand,
  ListObjectVersionsCommand,
  PutObjectAclCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { getBytes } from './helpers/objects';
import { type Service, startService } from './helpers/service';

let svc: Service;
const Bucket = 'extras';

beforeAll(async () => {
  svc = await startService();
  await svc.client.send(new CreateBucketCommand({ Bucket }));
});
afterAll(() => svc?.stop());

describe('conditional PutObject', () => {
  it('creates only when absent with If-None-Match: *', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    expect(await s3Error(svc.client.send(new PutObjectCommand({ Bucket, Key: 'once', Body: 'second', IfNoneMatch: '*' })))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect((await getBytes(svc.client, Bucket, 'once')).toString()).toBe('first');
  });

  it('replaces only the version named by If-Match', async () => {
    const first = await svc.client.send(new PutObjectCommand({ Bucket, Key: 'cas', Body: 'v1' }));
    expect(await s3Error(svc.client.send(new PutObjectCommand({ Bucket, Key: 'cas', Body: 'v2', IfMatch: '"0123"' })))).toEqual({ name: 'PreconditionFailed', status: 412 });
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'cas', Body: 'v2', IfMatch: first.ETag }));
    expect((await getBytes(svc.client, Bucket, 'cas')).toString()).toBe('v2');
    expect(await s3Error(svc.client.send(new PutObjectCommand({ Bucket, Key: 'absent', Body: 'x', IfMatch: first.ETag })))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('lets exactly one of racing creators win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => svc.client.send(new PutObjectCommand({ Bucket, Key: 'race', Body: `writer ${i}`, IfNoneMatch: '*' }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('ACLs and unconfigured sub-resources', () => {
  it('reports everything private to the owner and accepts the canned ACL private', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'acl', Body: 'a' }));
    const bucketAcl = await svc.client.send(new GetBucketAclCommand({ Bucket }));
    expect(bucketAcl.Grants?.map((g) => g.Permission)).toEqual(['FULL_CONTROL']);
    const objectAcl = await svc.client.send(new GetObjectAclCommand({ Bucket, Key: 'acl' }));
    expect(objectAcl.Owner?.ID).toBe(bucketAcl.Owner?.ID);
    await svc.client.send(new PutObjectAclCommand({ Bucket, Key: 'acl', ACL: 'private' }));
    expect(await s3Error(svc.client.send(new PutObjectAclCommand({ Bucket, Key: 'acl', ACL: 'public-read' })))).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await s3Error(svc.client.send(new GetObjectAclCommand({ Bucket, Key: 'missing' })))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('answers reads of configurations it does not keep as S3 does for a bucket without them', async () => {
    expect(await s3Error(svc.client.send(new GetBucketCorsCommand({ Bucket })))).toEqual({ name: 'NoSuchCORSConfiguration', status: 404 });
    expect(await s3Error(svc.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket })))).toEqual({ name: 'NoSuchLifecycleConfiguration', status: 404 });
    expect(await s3Error(svc.client.send(new GetBucketPolicyCommand({ Bucket })))).toEqual({ name: 'NoSuchBucketPolicy', status: 404 });
    expect(await s3Error(svc.client.send(new GetBucketTaggingCommand({ Bucket })))).toEqual({ name: 'NoSuchTagSet', status: 404 });
    expect((await svc.client.send(new GetBucketLoggingCommand({ Bucket }))).LoggingEnabled).toBeUndefined();
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'tagged', Body: 't' }));
    expect((await svc.client.send(new GetObjectTaggingCommand({ Bucket, Key: 'tagged' }))).TagSet ?? []).toEqual([]);
  });

  it('lists every object as its one null version', async () => {
    const versions = await svc.client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'cas' }));
    expect(versions.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([['cas', 'null', true]]);
  });
});
