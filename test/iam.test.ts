// Access keys and IAM policies through real clients (the JS SDK and the aws CLI): each policy element
// allowing and denying, administrators-only operations, disabled and deleted keys.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';

let svc: Service;
const admin = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION, service: 's3' });
const clients: S3Client[] = [];

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
}

async function adminCall(method: string, path: string, body?: unknown, as: AwsClient = admin): Promise<Response> {
  return as.fetch(`${svc.endpoint}/_admin/${path}`, { method, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** A new access key with this policy (statements of a 2012-10-17 document). */
async function createKey(...Statement: object[]): Promise<Key> {
  const response = await adminCall('POST', 'users', { name: 'test-user', policy: { Version: '2012-10-17', Statement } });
  expect(response.status).toBe(200);
  return (await response.json()) as Key;
}

function clientOf(key: Key): S3Client {
  const client = new S3Client({ endpoint: svc.endpoint, region: REGION, forcePathStyle: true, credentials: key });
  clients.push(client);
  return client;
}

const withPolicy = async (...statements: object[]) => clientOf(await createKey(...statements));
const denied = { name: 'AccessDenied', status: 403 };
const put = (Key: string, extra: object = {}) => new PutObjectCommand({ Bucket: 'iam-a', Key, Body: 'data', ...extra });
const get = (Key: string) => new GetObjectCommand({ Bucket: 'iam-a', Key });
const A = 'arn:aws:s3:::iam-a';

beforeAll(async () => {
  svc = await startService();
  for (const Bucket of ['iam-a', 'iam-b']) await svc.client.send(new CreateBucketCommand({ Bucket }));
  for (const Key of ['team/x', 'other/x', 'keep/x', 'home/alice/x', 'abc']) await svc.client.send(put(Key));
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await svc?.stop();
});

describe('policies through the JS SDK', () => {
  it('Action: only the actions named (and HeadObject is s3:GetObject)', async () => {
    const s3 = await withPolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${A}/*` });
    expect(await (await s3.send(get('team/x'))).Body!.transformToString()).toBe('data');
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'iam-a', Key: 'team/x' }))).ContentLength).toBe(4);
    expect(await s3Error(s3.send(put('team/y')))).toEqual(denied);
    expect(await s3Error(s3.send(new DeleteObjectCommand({ Bucket: 'iam-a', Key: 'team/x' })))).toEqual(denied);
    expect(await s3Error(s3.send(new ListObjectsV2Command({ Bucket: 'iam-a' })))).toEqual(denied);
  });

  it('a missing key is NoSuchKey only to a key that may list the bucket, as on S3', async () => {
    const reader = await withPolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${A}/*` });
    expect(await s3Error(reader.send(get('no/such/key')))).toEqual(denied);
    const lister = await withPolicy({ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: [A, `${A}/*`] });
    expect(await s3Error(lister.send(get('no/such/key')))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await s3Error(svc.client.send(get('no/such/key')))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('Action wildcards: s3:Get* and s3:*', async () => {
    const reader = await withPolicy({ Effect: 'Allow', Action: 's3:Get*', Resource: [A, `${A}/*`] });
    await reader.send(get('abc'));
    await reader.send(new GetBucketEncryptionCommand({ Bucket: 'iam-a' }));
    expect(await s3Error(reader.send(put('abc')))).toEqual(denied);
    const all = await withPolicy({ Effect: 'Allow', Action: 's3:*', Resource: '*' });
    await all.send(put('all/x'));
    await all.send(new DeleteObjectCommand({ Bucket: 'iam-a', Key: 'all/x' }));
    expect((await all.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).toEqual(['iam-a', 'iam-b']);
  });

  it('NotAction: everything but the actions named', async () => {
    const s3 = await withPolicy({ Effect: 'Allow', NotAction: 's3:DeleteObject', Resource: '*' });
    await s3.send(put('notaction/x'));
    expect(await s3Error(s3.send(new DeleteObjectCommand({ Bucket: 'iam-a', Key: 'notaction/x' })))).toEqual(denied);
  });

  it('Resource: a bucket, a prefix with *, a ? wildcard', async () => {
    const s3 = await withPolicy(
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [`${A}/team/*`, `${A}/a?c`] },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: A },
    );
    await s3.send(get('team/x'));
    await s3.send(put('team/new'));
    await s3.send(get('abc'));
    expect(await s3Error(s3.send(get('other/x')))).toEqual(denied);
    expect(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'iam-b', Key: 'team/x' })))).toEqual(denied);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'iam-a' }))).KeyCount).toBeGreaterThan(0);
    expect(await s3Error(s3.send(new ListObjectsV2Command({ Bucket: 'iam-b' })))).toEqual(denied);
  });

  it('NotResource: everywhere but the resources named', async () => {
    const s3 = await withPolicy({ Effect: 'Allow', Action: 's3:GetObject', NotResource: `${A}/other/*` });
    await s3.send(get('team/x'));
    expect(await s3Error(s3.send(get('other/x')))).toEqual(denied);
  });

  it('an explicit Deny wins over an Allow', async () => {
    const s3 = await withPolicy({ Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Sid: 'KeepKeep', Effect: 'Deny', Action: 's3:DeleteObject', Resource: `${A}/keep/*` });
    expect(await s3Error(s3.send(new DeleteObjectCommand({ Bucket: 'iam-a', Key: 'keep/x' })))).toEqual(denied);
    await s3.send(get('keep/x'));
  });

  it('Condition s3:x-amz-server-side-encryption and its KMS key id', async () => {
    const s3 = await withPolicy(
      { Effect: 'Allow', Action: 's3:PutObject', Resource: `${A}/*` },
      { Effect: 'Deny', Action: 's3:PutObject', Resource: '*', Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } } },
      // A key id, when named, must be test-key (absent, a negated operator holds: Null keeps that case allowed).
      { Effect: 'Deny', Action: 's3:PutObject', Resource: '*', Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'test-key' }, Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' } } },
    );
    expect(await s3Error(s3.send(put('sse/none')))).toEqual(denied);
    expect(await s3Error(s3.send(put('sse/aes', { ServerSideEncryption: 'AES256' })))).toEqual(denied);
    expect(await s3Error(s3.send(put('sse/other-key', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'another-key' })))).toEqual(denied);
    await s3.send(put('sse/kms', { ServerSideEncryption: 'aws:kms' }));
    await s3.send(put('sse/kms-key', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'test-key' }));
    expect((await svc.client.send(new HeadObjectCommand({ Bucket: 'iam-a', Key: 'sse/kms' }))).ServerSideEncryption).toBe('aws:kms');
  });

  it('Condition aws:SecureTransport (this endpoint is plain http)', async () => {
    const httpsOnly = await withPolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } });
    expect(await s3Error(httpsOnly.send(get('abc')))).toEqual(denied);
    const httpOk = await withPolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': false } } });
    await httpOk.send(get('abc'));
  });

  it('Condition s3:prefix, s3:delimiter and s3:max-keys on listings', async () => {
    const s3 = await withPolicy({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: A,
      Condition: { StringLike: { 's3:prefix': ['home/alice/*', 'home/alice/'] }, StringEqualsIfExists: { 's3:delimiter': '/' }, NumericLessThanEqualsIfExists: { 's3:max-keys': 100 } },
    });
    const list = (extra: object) => s3.send(new ListObjectsV2Command({ Bucket: 'iam-a', ...extra }));
    expect((await list({ Prefix: 'home/alice/' })).Contents!.map((o) => o.Key)).toEqual(['home/alice/x']);
    await list({ Prefix: 'home/alice/', Delimiter: '/', MaxKeys: 10 });
    expect(await s3Error(list({}))).toEqual(denied);
    expect(await s3Error(list({ Prefix: 'home/bob/' }))).toEqual(denied);
    expect(await s3Error(list({ Prefix: 'home/alice/', Delimiter: '|' }))).toEqual(denied);
    expect(await s3Error(list({ Prefix: 'home/alice/', MaxKeys: 1000 }))).toEqual(denied);
  });

  it('Condition Null: a header must be sent', async () => {
    const s3 = await withPolicy({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*', Condition: { Null: { 's3:x-amz-server-side-encryption': 'false' } } });
    expect(await s3Error(s3.send(put('null/none')))).toEqual(denied);
    await s3.send(put('null/aes', { ServerSideEncryption: 'AES256' }));
  });

  it('multipart actions: AbortMultipartUpload, ListMultipartUploadParts, ListBucketMultipartUploads', async () => {
    const writer = await withPolicy({ Effect: 'Allow', Action: 's3:PutObject', Resource: `${A}/*` });
    const { UploadId } = await writer.send(new CreateMultipartUploadCommand({ Bucket: 'iam-a', Key: 'mpu/x' }));
    const ids = { Bucket: 'iam-a', Key: 'mpu/x', UploadId };
    expect(await s3Error(writer.send(new ListPartsCommand(ids)))).toEqual(denied);
    expect(await s3Error(writer.send(new AbortMultipartUploadCommand(ids)))).toEqual(denied);
    expect(await s3Error(writer.send(new ListMultipartUploadsCommand({ Bucket: 'iam-a' })))).toEqual(denied);
    const manager = await withPolicy(
      { Effect: 'Allow', Action: ['s3:ListMultipartUploadParts', 's3:AbortMultipartUpload'], Resource: `${A}/mpu/*` },
      { Effect: 'Allow', Action: 's3:ListBucketMultipartUploads', Resource: A },
    );
    expect((await manager.send(new ListMultipartUploadsCommand({ Bucket: 'iam-a' }))).Uploads!.map((u) => u.UploadId)).toContain(UploadId);
    expect((await manager.send(new ListPartsCommand(ids))).Parts ?? []).toEqual([]);
    await manager.send(new AbortMultipartUploadCommand(ids));
  });

  it('encryption configuration: s3:PutEncryptionConfiguration and s3:GetEncryptionConfiguration', async () => {
    const config = { Bucket: 'iam-b', ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' as const } }] } };
    const reader = await withPolicy({ Effect: 'Allow', Action: 's3:GetEncryptionConfiguration', Resource: 'arn:aws:s3:::iam-b' });
    expect(await s3Error(reader.send(new PutBucketEncryptionCommand(config)))).toEqual(denied);
    const writer = await withPolicy({ Effect: 'Allow', Action: 's3:PutEncryptionConfiguration', Resource: 'arn:aws:s3:::iam-b' });
    await writer.send(new PutBucketEncryptionCommand(config));
    expect(await s3Error(writer.send(new GetBucketEncryptionCommand({ Bucket: 'iam-b' })))).toEqual(denied);
    const rules = (await reader.send(new GetBucketEncryptionCommand({ Bucket: 'iam-b' }))).ServerSideEncryptionConfiguration!.Rules!;
    expect(rules[0]!.ApplyServerSideEncryptionByDefault!.SSEAlgorithm).toBe('aws:kms');
  });

  it('CopyObject needs s3:GetObject on the source and s3:PutObject on the destination', async () => {
    const copy = (CopySource: string) => new CopyObjectCommand({ Bucket: 'iam-a', Key: 'team/copy', CopySource });
    const s3 = await withPolicy({ Effect: 'Allow', Action: 's3:PutObject', Resource: `${A}/team/*` }, { Effect: 'Allow', Action: 's3:GetObject', Resource: `${A}/abc` });
    await s3.send(copy('iam-a/abc'));
    expect(await s3Error(s3.send(copy('iam-a/other/x')))).toEqual(denied);
    expect(await s3Error(s3.send(new CopyObjectCommand({ Bucket: 'iam-a', Key: 'elsewhere', CopySource: 'iam-a/abc' })))).toEqual(denied);
  });

  it('DeleteObjects asks s3:DeleteObject per key: denied keys are AccessDenied entries', async () => {
    for (const Key of ['multi/a', 'multi/b', 'multi/keep']) await svc.client.send(put(Key));
    const s3 = await withPolicy({ Effect: 'Allow', Action: 's3:DeleteObject', Resource: `${A}/multi/*` }, { Effect: 'Deny', Action: 's3:DeleteObject', Resource: `${A}/multi/keep` });
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: 'iam-a', Delete: { Objects: [{ Key: 'multi/a' }, { Key: 'multi/b' }, { Key: 'multi/keep' }] } }));
    expect(result.Deleted!.map((d) => d.Key)).toEqual(['multi/a', 'multi/b']);
    expect(result.Errors).toEqual([{ Key: 'multi/keep', Code: 'AccessDenied', Message: 'Access Denied' }]);
    await svc.client.send(new HeadObjectCommand({ Bucket: 'iam-a', Key: 'multi/keep' }));
  });

  it('ListBuckets shows every bucket with s3:ListAllMyBuckets, else the buckets the key may list, else AccessDenied', async () => {
    const names = async (s3: S3Client) => ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);
    expect(await names(await withPolicy({ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }))).toEqual(['iam-a', 'iam-b']);
    expect(await names(await withPolicy({ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::iam-b' }))).toEqual(['iam-b']);
    expect(await names(await withPolicy({ Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: 'arn:aws:s3:::iam-a' }))).toEqual(['iam-a']);
    expect(await s3Error((await withPolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })).send(new ListBucketsCommand({})))).toEqual(denied);
    const refused = await withPolicy({ Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Deny', Action: 's3:ListAllMyBuckets', Resource: '*' });
    expect(await s3Error(refused.send(new ListBucketsCommand({})))).toEqual(denied);
  });

  it('POST Object forms carry the signer’s policy: s3:PutObject on the key, with the form’s SSE field as condition', async () => {
    const s3 = await withPolicy(
      { Effect: 'Allow', Action: 's3:PutObject', Resource: `${A}/uploads/*` },
      { Effect: 'Deny', Action: 's3:PutObject', Resource: '*', Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } } },
    );
    const upload = async (Key: string, Fields: Record<string, string> = {}) => {
      const { url, fields } = await createPresignedPost(s3, { Bucket: 'iam-a', Key, Fields, Conditions: Object.entries(Fields).map(([k, v]) => ({ [k]: v })) });
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob(['form data']), 'f.txt');
      const response = await fetch(url, { method: 'POST', body: form });
      return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1] };
    };
    expect(await upload('uploads/a', { 'x-amz-server-side-encryption': 'aws:kms' })).toEqual({ status: 204, code: undefined });
    expect(await upload('uploads/b')).toEqual({ status: 403, code: 'AccessDenied' });
    expect(await upload('elsewhere', { 'x-amz-server-side-encryption': 'aws:kms' })).toEqual({ status: 403, code: 'AccessDenied' });
    expect(await (await svc.client.send(get('uploads/a'))).Body!.transformToString()).toBe('form data');
    expect(await s3Error(svc.client.send(new HeadObjectCommand({ Bucket: 'iam-a', Key: 'elsewhere' })))).toMatchObject({ status: 404 });
  });

  it('presigned URLs carry the signer’s policy', async () => {
    const s3 = await withPolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${A}/team/*` });
    expect(await (await fetch(await getSignedUrl(s3, get('team/x')))).text()).toBe('data');
    expect((await fetch(await getSignedUrl(s3, get('other/x')))).status).toBe(403);
  });
});

describe('the admin role', () => {
  it('no non-admin key reaches any admin operation, whatever its policy', async () => {
    const key = await createKey({ Effect: 'Allow', Action: '*', Resource: '*' });
    const user = new AwsClient({ ...key, region: REGION, service: 's3' });
    const calls: [string, string, unknown?][] = [
      ['POST', 'rewrap', {}],
      ['POST', 'users', { name: 'x', policy: { Statement: { Effect: 'Allow', Action: '*', Resource: '*' } } }],
      ['GET', 'users'],
      ['POST', `users/${key.accessKeyId}?disable`],
      ['POST', `users/${key.accessKeyId}?enable`],
      ['DELETE', `users/${key.accessKeyId}`],
      ['GET', 'audit/verify'],
      ['GET', 'audit'],
      ['GET', 'erasure-report'],
      ['GET', 'health'],
      ['POST', 'scrub', {}],
    ];
    for (const [method, path, body] of calls) {
      const response = await adminCall(method, path, body, user);
      expect([path, response.status]).toEqual([path, 403]);
      expect(await response.text()).toContain('<Code>AccessDenied</Code>');
    }
    expect((await adminCall('GET', 'users')).status).toBe(200);
  });

  it('lists keys without secrets, and stores secrets only sealed', async () => {
    const key = await createKey({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' });
    const { users } = (await (await adminCall('GET', 'users')).json()) as { users: Record<string, unknown>[] };
    const listed = users.find((u) => u.accessKeyId === key.accessKeyId)!;
    expect(listed).toMatchObject({ name: 'test-user', status: 'active', policy: { Statement: [{ Action: 's3:GetObject' }] } });
    expect(JSON.stringify(users)).not.toContain(key.secretAccessKey);
    const rows = await svc.db.prepare('SELECT * FROM users').all();
    expect(JSON.stringify(rows.results)).not.toContain(key.secretAccessKey);
    const hex = Buffer.from(key.secretAccessKey).toString('hex');
    expect((await svc.db.prepare('SELECT count(*) AS n FROM users WHERE instr(hex(sealed_secret), ?) > 0').bind(hex.toUpperCase()).first<{ n: number }>())!.n).toBe(0);
  });

  it('a disabled key is refused until enabled; a deleted key is refused for good', async () => {
    const key = await createKey({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' });
    const s3 = clientOf(key);
    await s3.send(get('abc'));
    expect((await adminCall('POST', `users/${key.accessKeyId}?disable`)).status).toBe(200);
    expect(await s3Error(s3.send(get('abc')))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    expect(await (await adminCall('POST', `users/${key.accessKeyId}?enable`)).json()).toMatchObject({ status: 'active' });
    await s3.send(get('abc'));
    expect((await adminCall('DELETE', `users/${key.accessKeyId}`)).status).toBe(204);
    expect(await s3Error(s3.send(get('abc')))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    const again = await adminCall('DELETE', `users/${key.accessKeyId}`);
    expect(again.status).toBe(404);
    expect(await again.text()).toContain('<Code>NoSuchEntity</Code>');
  });

  it('a sealed secret opens only for its own access key id', async () => {
    const policy = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };
    const [a, b] = [await createKey(policy), await createKey(policy)];
    // B's row gets A's sealed secret (before B was ever used, so nothing is cached): B then signs nothing, with either secret.
    await svc.db.prepare('UPDATE users SET sealed_secret = (SELECT sealed_secret FROM users WHERE access_key_id = ?1), kek_id = (SELECT kek_id FROM users WHERE access_key_id = ?1) WHERE access_key_id = ?2').bind(a.accessKeyId, b.accessKeyId).run();
    const invalid = { name: 'InvalidAccessKeyId', status: 403 };
    expect(await s3Error(clientOf({ accessKeyId: b.accessKeyId, secretAccessKey: a.secretAccessKey }).send(get('abc')))).toEqual(invalid);
    expect(await s3Error(clientOf(b).send(get('abc')))).toEqual(invalid);
    await clientOf(a).send(get('abc'));
  });

  it('seals and unseals of secrets are audit events, the secret never', async () => {
    const key = await createKey({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' });
    await clientOf(key).send(get('abc'));
    const audit = await adminCall('GET', `audit?${new URLSearchParams({ bucket: '_admin', key: `users/${key.accessKeyId}` })}`);
    const { entries } = (await audit.json()) as { entries: Record<string, unknown>[] };
    expect(entries.map(({ action, accessKey, detail, outcome }) => ({ action, accessKey, detail, outcome }))).toEqual([
      { action: 'seal', accessKey: ACCESS_KEY_ID, detail: 'access key secret', outcome: 'ok' },
      { action: 'unseal', accessKey: key.accessKeyId, detail: 'access key secret', outcome: 'ok' },
    ]);
    expect(JSON.stringify(entries)).not.toContain(key.secretAccessKey);
  });

  it('a key is read from D1 once per 10 s per isolate, not on every request', async () => {
    const key = await createKey({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' });
    const s3 = clientOf(key);
    await s3.send(get('abc'));
    // Removed behind the service's back (not through the admin API, which also drops the isolate's copy):
    await svc.db.prepare('DELETE FROM users WHERE access_key_id = ?').bind(key.accessKeyId).run();
    await s3.send(get('abc'));
  });

  it('refuses a malformed policy in words', async () => {
    const response = await adminCall('POST', 'users', { name: 'bad', policy: { Statement: { Effect: 'Allow', Action: 's3:GetObject' } } });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('<Code>MalformedPolicyDocument</Code>');
    expect(text).toContain('Statement 1 must have exactly one of Resource and NotResource.');
    const badName = await adminCall('POST', 'users', { name: 'no spaces', policy: { Statement: { Effect: 'Allow', Action: '*', Resource: '*' } } });
    expect(await badName.text()).toContain('name must be 1 to 64');
  });
});

const AWS = '/usr/bin/aws';
describe.runIf(existsSync(AWS))('policies through the aws CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-sse-iam-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const aws = (key: Key, ...args: string[]) =>
    promisify(execFile)(AWS, ['--endpoint-url', svc.endpoint, ...args], {
      env: { PATH: process.env.PATH, HOME: dir, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_DEFAULT_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') },
    }).then(
      (r) => r.stdout,
      (e: { stderr: string }) => Promise.reject(new Error(e.stderr)),
    );

  // Each CLI run costs seconds: a few that cover action, resource, condition and Deny.
  it('allows and denies by action, resource prefix and the encryption condition', async () => {
    const key = await createKey(
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: `${A}/cli/*` },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: A, Condition: { StringLike: { 's3:prefix': 'cli/*' } } },
      { Effect: 'Deny', Action: 's3:PutObject', Resource: '*', Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } } },
    );
    const file = join(dir, 'f.txt');
    writeFileSync(file, 'hello');
    await expect(aws(key, 's3', 'cp', file, 's3://iam-a/cli/f.txt')).rejects.toThrow(/AccessDenied/);
    await aws(key, 's3', 'cp', '--sse', 'aws:kms', file, 's3://iam-a/cli/f.txt');
    expect(await aws(key, 's3', 'ls', 's3://iam-a/cli/')).toMatch(/5 f\.txt/);
    await expect(aws(key, 's3', 'ls', 's3://iam-a/')).rejects.toThrow(/AccessDenied/);
    await expect(aws(key, 's3api', 'delete-object', '--bucket', 'iam-a', '--key', 'cli/f.txt')).rejects.toThrow(/AccessDenied/);
  });
});
