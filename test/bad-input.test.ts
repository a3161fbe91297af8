// Bad input gets the S3 error AWS gives (XML, right status), never a crash or a bare 500.
import { AwsClient } from 'aws4fetch';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobSnapshot, nothingStoredSince } from './helpers/objects';
import { rawRequest } from './helpers/raw-http';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';
import { signRequest } from './helpers/sign';

let svc: Service;
let signer: AwsClient;
let baseline: Awaited<ReturnType<typeof blobSnapshot>>;
const bucket = 'bad-input';

beforeAll(async () => {
  svc = await startService();
  signer = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION, service: 's3', retries: 0 });
  await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
  await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'existing', Body: 'keep me' }));
  baseline = await blobSnapshot(svc);
});
afterAll(() => svc?.stop());

async function expectError(res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  expect({ status: res.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] }).toEqual({ status, code });
  expect(res.headers.get('content-type')).toBe('application/xml');
  expect(res.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
}

const url = (path: string) => `${svc.endpoint}${path}`;
const signed = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  signer.fetch(url(path), { ...init, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...init.headers } });

/** The refused write changed nothing: the object reads as before, and R2 holds no new blob outside the trash. */
async function existingIntact(): Promise<void> {
  const res = await signed(`/${bucket}/existing`);
  expect(await res.text()).toBe('keep me');
  expect(await nothingStoredSince(svc, baseline)).toEqual([]);
}

describe('authentication', () => {
  it('refuses anonymous requests with AccessDenied', async () => {
    await expectError(await fetch(url(`/${bucket}/existing`)), 403, 'AccessDenied');
  });

  it('refuses unknown keys and wrong secrets', async () => {
    const stranger = new AwsClient({ accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x', region: REGION, service: 's3', retries: 0 });
    await expectError(await stranger.fetch(url(`/${bucket}/existing`)), 403, 'InvalidAccessKeyId');
    const wrong = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'wrong', region: REGION, service: 's3', retries: 0 });
    await expectError(await wrong.fetch(url(`/${bucket}/existing`)), 403, 'SignatureDoesNotMatch');
  });

  it('never echoes an SSE-C key or session token in a SignatureDoesNotMatch answer', async () => {
    const key = Buffer.alloc(32, 'k').toString('base64');
    const token = 'FwoGZXIvYXdzSESSIONTOKENEXAMPLE';
    const wrong = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'wrong', sessionToken: token, region: REGION, service: 's3', retries: 0 });
    const sse = { 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key': key, 'x-amz-server-side-encryption-customer-key-md5': 'bWQ1' };
    for (const res of [
      await wrong.fetch(url(`/${bucket}/existing`), { method: 'PUT', body: 'x', headers: { ...sse, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
      await wrong.fetch(url(`/${bucket}/copy`), { method: 'PUT', headers: { 'x-amz-copy-source': `/${bucket}/existing`, 'x-amz-copy-source-server-side-encryption-customer-key': key, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
      await fetch(await wrong.sign(url(`/${bucket}/existing?x-amz-server-side-encryption-customer-key=${encodeURIComponent(key)}`), { aws: { signQuery: true } })),
    ]) {
      const text = await res.clone().text();
      await expectError(res, 403, 'SignatureDoesNotMatch');
      expect(text).toContain('<CanonicalRequest>');
      expect(text).not.toContain(key);
      expect(text).not.toContain(encodeURIComponent(key));
      expect(text).not.toContain(token);
    }
    await existingIntact();
  });

  it('refuses expired presigned URLs', async () => {
    const req = await signer.sign(url(`/${bucket}/existing?X-Amz-Expires=1`), {
      aws: { signQuery: true, datetime: '20200101T000000Z' },
    });
    await expectError(await fetch(req), 403, 'AccessDenied');
  });

  it('refuses a body whose x-amz-content-sha256 does not match, storing nothing', async () => {
    const res = await signer.fetch(url(`/${bucket}/existing`), {
      method: 'PUT',
      body: 'replacement',
      headers: { 'x-amz-content-sha256': 'a'.repeat(64) },
    });
    await expectError(res, 400, 'XAmzContentSHA256Mismatch');
    await existingIntact();
  });
});

describe('requests', () => {
  it('refuses invalid bucket names', async () => {
    await expectError(await signed('/Invalid_Bucket', { method: 'PUT' }), 400, 'InvalidBucketName');
    await expectError(await signed('/ab', { method: 'PUT' }), 400, 'InvalidBucketName');
  });

  it('refuses a wrong Content-MD5 with BadDigest, keeping the previous object', async () => {
    const res = await signed(`/${bucket}/existing`, { method: 'PUT', body: 'new', headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' } });
    await expectError(res, 400, 'BadDigest');
    await expectError(
      await signed(`/${bucket}/existing`, { method: 'PUT', body: 'new', headers: { 'content-md5': 'not base64!' } }),
      400,
      'InvalidDigest',
    );
    await existingIntact();
  });

  it('refuses a wrong x-amz-checksum-crc32 with BadDigest', async () => {
    const res = await signed(`/${bucket}/existing`, { method: 'PUT', body: 'new', headers: { 'x-amz-checksum-crc32': 'AAAAAA==' } });
    await expectError(res, 400, 'BadDigest');
    await existingIntact();
  });

  it('refuses bogus aws-chunked framing, keeping the previous object', async () => {
    const body = 'zz\r\nhello\r\n0\r\n\r\n';
    const res = await signer.fetch(url(`/${bucket}/existing`), {
      method: 'PUT',
      body,
      headers: {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '5',
      },
    });
    expect(res.status).toBe(400);
    await res.text();
    await existingIntact();
  });

  it('refuses malformed DeleteObjects XML', async () => {
    const res = await signed(`/${bucket}?delete`, { method: 'POST', body: '<Delete><Object><Key>x</Key></Object>' });
    await expectError(res, 400, 'MalformedXML');
  });

  it('answers unsupported operations with NotImplemented', async () => {
    await expectError(await signed(`/${bucket}?policy`, { method: 'PUT', body: '{}' }), 501, 'NotImplemented');
    await expectError(await signed(`/${bucket}?inventory`), 501, 'NotImplemented');
    await expectError(await signed(`/${bucket}/existing?tagging`, { method: 'PUT', body: '<Tagging/>' }), 501, 'NotImplemented');
  });

  it('refuses malformed ranges the way S3 does', async () => {
    const ignored = await signed(`/${bucket}/existing`, { headers: { range: 'bytes=abc' } });
    expect(ignored.status).toBe(200);
    expect(await ignored.text()).toBe('keep me');
    await expectError(await signed(`/${bucket}/existing`, { headers: { range: 'bytes=100-200' } }), 416, 'InvalidRange');
  });

  it('refuses a missing key with NoSuchKey and bad list arguments with InvalidArgument', async () => {
    await expectError(await signed(`/${bucket}/nope`), 404, 'NoSuchKey');
    await expectError(await signed(`/${bucket}?list-type=2&max-keys=-1`), 400, 'InvalidArgument');
    await expectError(await signed(`/${bucket}?list-type=2&continuation-token=%25%25`), 400, 'InvalidArgument');
  });
});

describe('early errors, while the client is still sending', () => {
  const MiB = 1024 * 1024;
  const big = Buffer.alloc(10 * MiB, 'x');

  /** The answer is the S3 error itself: XML with the code and a request id, nothing internal. */
  function isS3Answer(answer: { status: number; headers: Record<string, unknown>; body: Buffer }, status: number, code: string) {
    const text = answer.body.toString();
    expect({ status: answer.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] }).toEqual({ status, code });
    expect(answer.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(text).toMatch(/^<\?xml/);
    expect(text).not.toMatch(/Network connection lost|\n\s+at |\/work\/|node_modules/);
  }

  for (const target of ['front', 'workerd'] as const) {
    it(`answers a 10 MiB PUT to a missing bucket, a bad signature or a bad digest with its error (${target})`, async () => {
      const origin = target === 'front' ? svc.endpoint : (await svc.mf.ready).origin;
      for (let i = 0; i < 3; i++) {
        const missing = await signRequest('PUT', `${origin}/no-such-bucket/k`, {});
        isS3Answer(await rawRequest(`${origin}/no-such-bucket/k`, 'PUT', missing.headers, big), 404, 'NoSuchBucket');
        const forged = { ...(await signRequest('PUT', `${origin}/${bucket}/existing`, {})).headers };
        forged.authorization = forged.authorization!.replace(/Signature=./, (m) => (m.endsWith('0') ? `${m.slice(0, -1)}1` : `${m.slice(0, -1)}0`));
        isS3Answer(await rawRequest(`${origin}/${bucket}/existing`, 'PUT', forged, big), 403, 'SignatureDoesNotMatch');
        const digest = await signRequest('PUT', `${origin}/${bucket}/existing`, { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' });
        isS3Answer(await rawRequest(`${origin}/${bucket}/existing`, 'PUT', digest.headers, big), 400, 'BadDigest');
      }
      await existingIntact();
    }, 120_000);

    it(`refuses an XML body past 1 MiB of unknown length without reading it all first (${target})`, async () => {
      const origin = target === 'front' ? svc.endpoint : (await svc.mf.ready).origin;
      const pieces = Array.from({ length: 40 }, () => Buffer.alloc(256 * 1024, ' '));
      pieces.unshift(Buffer.from('<Delete>'));
      const signed = await signRequest('POST', `${origin}/${bucket}?delete`, {});
      isS3Answer(await rawRequest(`${origin}/${bucket}?delete`, 'POST', signed.headers, pieces), 400, 'MalformedXML');
    });
  }
});

describe('a CREDENTIALS entry without a secret', () => {
  let broken: Service;
  beforeAll(async () => {
    broken = await startService({ CREDENTIALS: `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY},EMPTYSECRETKEY:` });
  });
  afterAll(() => broken?.stop());

  it('refuses every request with 500 InternalError saying the service is misconfigured, naming no secret', async () => {
    const answer = await new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION, service: 's3', retries: 0 }).fetch(`${broken.endpoint}/`);
    const text = await answer.text();
    expect([answer.status, /<Code>([^<]+)<\/Code>/.exec(text)?.[1]]).toEqual([500, 'InternalError']);
    expect(text).toContain('CREDENTIALS holds an access key without a secret');
    expect(text).not.toContain(SECRET_ACCESS_KEY);
  });
});
