// Encryption at rest through the JS SDK: SSE-S3 (the default), SSE-C, bucket default encryption,
// and tampered storage failing loudly.
import { createHash, randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { getBytes as readBytes, storedStream } from './helpers/objects';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';

let svc: Service;
let signer: AwsClient;
const bucket = 'sse-bucket';
const customerKey = randomBytes(32);
const otherKey = randomBytes(32);
const ssec = (key: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64') }) as const;

async function blobIdOf(key: string, b = bucket): Promise<string> {
  const row = await svc.db.prepare('SELECT blob_id FROM objects WHERE bucket = ? AND key = ?').bind(b, key).first<{ blob_id: string }>();
  return row!.blob_id;
}

const storedBytes = async (key: string): Promise<Buffer> => (await storedStream(svc, bucket, key))!;

const getBytes = (key: string, extra: Record<string, unknown> = {}) => readBytes(svc.client, bucket, key, extra);

beforeAll(async () => {
  svc = await startService();
  signer = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION, service: 's3', retries: 0 });
  await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => svc?.stop());

const SIZES = [0, 1, 65535, 65536, 65537, 3 * 65536 + 5];

describe('SSE-S3', () => {
  it('encrypts every object by default and says so', async () => {
    const body = Buffer.from('attack at dawn '.repeat(1000));
    const put = await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'default', Body: body }));
    expect(put.ServerSideEncryption).toBe('AES256');
    expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    const stored = await storedBytes('default');
    expect(stored.includes(Buffer.from('attack at dawn'))).toBe(false);
    expect(stored.length).toBeGreaterThan(body.length);
    const head = await svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'default' }));
    expect(head.ServerSideEncryption).toBe('AES256');
    expect(head.ContentLength).toBe(body.length);
    expect((await getBytes('default')).equals(body)).toBe(true);
  });

  it.each(SIZES)('round-trips %i bytes with ranges across package boundaries', async (size) => {
    const body = randomBytes(size);
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: `s3-${size}`, Body: body, ServerSideEncryption: 'AES256' }));
    expect((await getBytes(`s3-${size}`)).equals(body)).toBe(true);
    for (const [a, b] of [[0, 0], [65530, 65545], [size - 1, size - 1], [1, 200_000]]) {
      if (a >= size || a < 0) continue;
      const got = await getBytes(`s3-${size}`, { Range: `bytes=${a}-${b}` });
      expect(got.equals(body.subarray(a, Math.min(b, size - 1) + 1))).toBe(true);
    }
  });
});

describe('SSE-C', () => {
  it.each(SIZES)('round-trips %i bytes with the customer key, ranges included', async (size) => {
    const body = randomBytes(size);
    const put = await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: `c-${size}`, Body: body, ...ssec(customerKey) }));
    expect(put.SSECustomerAlgorithm).toBe('AES256');
    expect(put.SSECustomerKeyMD5).toBe(createHash('md5').update(customerKey).digest('base64'));
    expect(put.ETag).not.toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect((await getBytes(`c-${size}`, ssec(customerKey))).equals(body)).toBe(true);
    if (size > 2) {
      const got = await getBytes(`c-${size}`, { ...ssec(customerKey), Range: `bytes=1-${size - 2}` });
      expect(got.equals(body.subarray(1, size - 1))).toBe(true);
    }
  });

  it('requires the right key on GET and HEAD, and only on SSE-C objects', async () => {
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'secret', Body: 'classified', ...ssec(customerKey) }));
    expect(await s3Error(svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'secret' })))).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await s3Error(svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'secret' })))).toMatchObject({ status: 400 });
    expect(await s3Error(svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'secret', ...ssec(otherKey) })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await s3Error(svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'secret', ...ssec(otherKey) })))).toMatchObject({ status: 403 });
    const head = await svc.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'secret', ...ssec(customerKey) }));
    expect(head.SSECustomerKeyMD5).toBe(createHash('md5').update(customerKey).digest('base64'));
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain-sse', Body: 'x' }));
    expect(await s3Error(svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'plain-sse', ...ssec(customerKey) })))).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await storedBytes('secret').then((b) => b.includes(Buffer.from('classified')))).toBe(false);
  });

  it('refuses malformed SSE-C headers with the AWS codes', async () => {
    const md5 = createHash('md5').update(customerKey).digest('base64');
    const put = (headers: Record<string, string>) =>
      signer.fetch(`${svc.endpoint}/${bucket}/bad-ssec`, { method: 'PUT', body: 'x', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers } });
    const code = async (r: Response) => [r.status, /<Code>([^<]+)/.exec(await r.text())?.[1]];
    const base = {
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': customerKey.toString('base64'),
      'x-amz-server-side-encryption-customer-key-md5': md5,
    };
    expect(await code(await put({ ...base, 'x-amz-server-side-encryption-customer-algorithm': 'AES128' }))).toEqual([400, 'InvalidEncryptionAlgorithmError']);
    expect(await code(await put({ ...base, 'x-amz-server-side-encryption-customer-key-md5': 'AAAAAAAAAAAAAAAAAAAAAA==' }))).toEqual([400, 'InvalidArgument']);
    expect(await code(await put({ ...base, 'x-amz-server-side-encryption-customer-key': 'c2hvcnQ=' }))).toEqual([400, 'InvalidArgument']);
    const { ['x-amz-server-side-encryption-customer-key-md5']: _, ...noMd5 } = base;
    expect(await code(await put(noMd5))).toEqual([400, 'InvalidArgument']);
    expect(await code(await put({ ...base, 'x-amz-server-side-encryption': 'AES256' }))).toEqual([400, 'InvalidArgument']);
    expect(await code(await put({ 'x-amz-server-side-encryption': 'AES512' }))).toEqual([400, 'InvalidArgument']);
    expect(await code(await signer.fetch(`${svc.endpoint}/${bucket}/default`, { headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-server-side-encryption': 'AES256' } }))).toEqual([400, 'InvalidArgument']);
  });

  it('is accepted over HTTPS where plain HTTP is refused', async () => {
    const tls = await startService({ ALLOW_SSEC_OVER_HTTP: 'false' }, { https: true });
    try {
      expect(tls.endpoint).toMatch(/^https:/);
      await tls.client.send(new CreateBucketCommand({ Bucket: bucket }));
      await tls.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'over tls', ...ssec(customerKey) }));
      const got = await tls.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', ...ssec(customerKey) }));
      expect(await got.Body!.transformToString()).toBe('over tls');
    } finally {
      await tls.stop();
    }
  });

  it('is refused over plain HTTP unless explicitly allowed', async () => {
    const strict = await startService({ ALLOW_SSEC_OVER_HTTP: 'false' });
    try {
      await strict.client.send(new CreateBucketCommand({ Bucket: bucket }));
      expect(await s3Error(strict.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x', ...ssec(customerKey) })))).toEqual({ name: 'InvalidRequest', status: 400 });
      const listed = await strict.db.prepare('SELECT count(*) AS n FROM objects').first<{ n: number }>();
      expect(listed!.n).toBe(0);
      expect((await strict.r2.list()).objects).toEqual([]);
    } finally {
      await strict.stop();
    }
  });
});

describe('bucket default encryption', () => {
  const xml = (blocked: string) =>
    `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled>${blocked}</Rule></ServerSideEncryptionConfiguration>`;

  it('reports SSE-S3 by default, stores a configuration, and honours blocked SSE-C', async () => {
    const b = 'enc-config';
    await svc.client.send(new CreateBucketCommand({ Bucket: b }));
    const initial = await svc.client.send(new GetBucketEncryptionCommand({ Bucket: b }));
    expect(initial.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    const put = await signer.fetch(`${svc.endpoint}/${b}?encryption`, {
      method: 'PUT',
      body: xml('<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>'),
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(put.status).toBe(200);
    const stored = await svc.client.send(new GetBucketEncryptionCommand({ Bucket: b }));
    expect(stored.ServerSideEncryptionConfiguration?.Rules?.[0]?.BucketKeyEnabled).toBe(true);
    expect(await s3Error(svc.client.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'x', ...ssec(customerKey) })))).toEqual({ name: 'AccessDenied', status: 403 });
    const sse = await svc.client.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'x' }));
    expect(sse.ServerSideEncryption).toBe('AES256');
    await svc.client.send(new DeleteBucketEncryptionCommand({ Bucket: b }));
    await svc.client.send(new PutObjectCommand({ Bucket: b, Key: 'k2', Body: 'x', ...ssec(customerKey) }));
  });

  it('refuses malformed configurations', async () => {
    const bad = await signer.fetch(`${svc.endpoint}/${bucket}?encryption`, {
      method: 'PUT',
      body: '<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>ROT13</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>MalformedXML</Code>');
  });
});

describe('tampered storage fails loudly', () => {
  const size = 5 * 65536 + 123;
  let body: Buffer;
  beforeAll(async () => {
    body = randomBytes(size);
    for (const key of ['victim', 'donor']) await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  });

  async function withStored<T>(key: string, mutate: (b: Buffer) => Buffer, check: () => Promise<T>): Promise<T> {
    const id = await blobIdOf(key);
    const original = await storedBytes(key);
    await svc.r2.put(id, mutate(Buffer.from(original)));
    try {
      return await check();
    } finally {
      await svc.r2.put(id, original);
    }
  }

  const flip = (offset: number) => (b: Buffer) => {
    b[offset]! ^= 1;
    return b;
  };

  it('answers an S3 error, before any byte, when the first package is damaged', async () => {
    await withStored('victim', flip(100), async () => {
      expect(await s3Error(getBytes('victim'))).toEqual({ name: 'InternalError', status: 500 });
    });
  });

  it('answers an S3 error when a package among the first checked is damaged', async () => {
    await withStored('victim', flip(3 * 65566 + 50), async () => {
      expect(await s3Error(getBytes('victim'))).toEqual({ name: 'InternalError', status: 500 });
      const first = await getBytes('victim', { Range: 'bytes=0-99' });
      expect(first.equals(body.subarray(0, 100))).toBe(true);
    });
  });

  it('aborts the transfer, after sending only authenticated bytes, when a later package is damaged', async () => {
    const long = randomBytes(40 * 65536);
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'long-victim', Body: long }));
    await withStored('long-victim', flip(30 * 65566 + 50), async () => {
      const got = await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'long-victim' }));
      expect(got.ContentLength).toBe(long.length);
      const received: Buffer[] = [];
      await expect(
        (async () => {
          for await (const chunk of got.Body as AsyncIterable<Uint8Array>) received.push(Buffer.from(chunk));
        })(),
      ).rejects.toThrow();
      const prefix = Buffer.concat(received);
      expect(prefix.length).toBeLessThanOrEqual(30 * 65536);
      expect(prefix.equals(long.subarray(0, prefix.length))).toBe(true);
    });
  });

  it('detects truncation, a dropped final package and swapped packages', async () => {
    const pkg = 65536 + 30;
    await withStored('victim', (b) => b.subarray(0, b.length - 10), async () => {
      await expect(getBytes('victim')).rejects.toThrow();
    });
    await withStored('victim', (b) => b.subarray(0, 5 * pkg), async () => {
      await expect(getBytes('victim')).rejects.toThrow();
    });
    await withStored('victim', (b) => Buffer.concat([b.subarray(pkg, 2 * pkg), b.subarray(0, pkg), b.subarray(2 * pkg)]), async () => {
      expect(await s3Error(getBytes('victim'))).toEqual({ name: 'InternalError', status: 500 });
    });
  });

  it('refuses a row pointed at another object’s blob or sealed key', async () => {
    const donor = await svc.db.prepare('SELECT blob_id, sealed_key FROM objects WHERE bucket = ? AND key = ?').bind(bucket, 'donor').first<{ blob_id: string; sealed_key: ArrayBuffer }>();
    const victim = await svc.db.prepare('SELECT blob_id, sealed_key FROM objects WHERE bucket = ? AND key = ?').bind(bucket, 'victim').first<{ blob_id: string; sealed_key: ArrayBuffer }>();
    const setRow = (blob: string, sealed: ArrayBuffer) =>
      svc.db.prepare('UPDATE objects SET blob_id = ?, sealed_key = ? WHERE bucket = ? AND key = ?').bind(blob, sealed, bucket, 'victim').run();
    try {
      await setRow(donor!.blob_id, victim!.sealed_key);
      expect(await s3Error(getBytes('victim'))).toEqual({ name: 'InternalError', status: 500 });
      await setRow(donor!.blob_id, donor!.sealed_key);
      expect(await s3Error(getBytes('victim'))).toEqual({ name: 'InternalError', status: 500 });
    } finally {
      await setRow(victim!.blob_id, victim!.sealed_key);
    }
    expect((await getBytes('victim')).equals(body)).toBe(true);
  });
});

describe('key configuration', () => {
  it('refuses to store anything without a master key', async () => {
    const unkeyed = await startService({ MASTER_KEY: '' });
    try {
      await unkeyed.client.send(new CreateBucketCommand({ Bucket: bucket }));
      const err = await s3Error(unkeyed.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' })));
      expect(err.status).toBe(500);
      const n = await unkeyed.db.prepare('SELECT count(*) AS n FROM objects').first<{ n: number }>();
      expect(n!.n).toBe(0);
      expect((await unkeyed.r2.list()).objects).toEqual([]);
    } finally {
      await unkeyed.stop();
    }
  });
});
