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
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectAclCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { getBytes } from './helpers/objects';
import { rawRequest, utf8Header } from './helpers/raw-http';
import { type Service, startService } from './helpers/service';
import { signRequest } from './helpers/sign';

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

  it('overwrites with If-Match: * only when the key exists', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'any', Body: 'v1' }));
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'any', Body: 'v2', IfMatch: '*' }));
    expect((await getBytes(svc.client, Bucket, 'any')).toString()).toBe('v2');
    expect(await s3Error(svc.client.send(new PutObjectCommand({ Bucket, Key: 'never-written', Body: 'x', IfMatch: '*' })))).toEqual({ name: 'NoSuchKey', status: 404 });
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

describe('listings at the edges', () => {
  it('answers max-keys=0 with an empty, untruncated page', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'max-keys/a', Body: 'a' }));
    const page = await svc.client.send(new ListObjectsV2Command({ Bucket, MaxKeys: 0 }));
    expect([page.IsTruncated, page.KeyCount, page.Contents ?? []]).toEqual([false, 0, []]);
  });

  it('lists under a prefix ending in U+10FFFF, with and without a delimiter', async () => {
    const top = 'edge\u{10FFFF}';
    for (const Key of [`${top}`, `${top}\u{10FFFF}/x`, `${top}\u{10FFFF}/y`, `${top}z`, 'edgf']) await svc.client.send(new PutObjectCommand({ Bucket, Key, Body: 'k' }));
    const v2 = await svc.client.send(new ListObjectsV2Command({ Bucket, Prefix: `${top}\u{10FFFF}` }));
    expect(v2.Contents?.map((o) => o.Key)).toEqual([`${top}\u{10FFFF}/x`, `${top}\u{10FFFF}/y`]);
    const v1 = await svc.client.send(new ListObjectsCommand({ Bucket, Prefix: top, Delimiter: '\u{10FFFF}' }));
    expect([v1.Contents?.map((o) => o.Key), v1.CommonPrefixes?.map((p) => p.Prefix)]).toEqual([[top, `${top}z`], [`${top}\u{10FFFF}`]]);
    const rolled = await svc.client.send(new ListObjectsV2Command({ Bucket, Prefix: 'edge', Delimiter: '\u{10FFFF}', MaxKeys: 1 }));
    expect([rolled.CommonPrefixes?.map((p) => p.Prefix), rolled.IsTruncated]).toEqual([[top], false]);
  });
});

describe('what objects carry back', () => {
  it('returns non-ASCII user metadata and Content-Disposition as exactly the UTF-8 bytes sent', async () => {
    // Straight to workerd: what the worker answers is what Cloudflare's edge passes on.
    const origin = (await svc.mf.ready).origin;
    const meta = { 'x-amz-meta-title': 'café € 😀 Ελληνικά', 'content-disposition': 'attachment; filename="naïve €.txt"' };
    const put = await signRequest('PUT', `${origin}/${Bucket}/utf8`, meta);
    expect((await rawRequest(`${origin}/${Bucket}/utf8`, 'PUT', put.headers, 'body')).status).toBe(200);
    const get = await signRequest('GET', `${origin}/${Bucket}/utf8`, {});
    const answer = await rawRequest(`${origin}/${Bucket}/utf8`, 'GET', get.headers);
    expect([answer.status, utf8Header(answer, 'x-amz-meta-title'), utf8Header(answer, 'content-disposition')]).toEqual([200, meta['x-amz-meta-title'], meta['content-disposition']]);
  });

  it('names no Content-Encoding for an object stored without one, unless the client accepts compression', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'text', Body: 'some text', ContentType: 'text/plain' }));
    expect((await svc.client.send(new HeadObjectCommand({ Bucket, Key: 'text' }))).ContentEncoding).toBeUndefined();
    const gzip = await signRequest('GET', `${svc.endpoint}/${Bucket}/text`, { 'accept-encoding': 'gzip, deflate' });
    const answer = await rawRequest(`${svc.endpoint}/${Bucket}/text`, 'GET', gzip.headers);
    expect([answer.headers['content-encoding'], answer.body.toString()]).toEqual(['identity', 'some text']);
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'gz', Body: 'x', ContentEncoding: 'gzip' }));
    expect((await svc.client.send(new HeadObjectCommand({ Bucket, Key: 'gz' }))).ContentEncoding).toBe('gzip');
  });
});
