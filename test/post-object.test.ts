// POST Object (browser form uploads): the forms @aws-sdk/s3-presigned-post and boto3 produce upload
// in every SSE mode; every policy violation is refused with S3's error and stores nothing.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPostOptions } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBytes } from './helpers/objects';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';
import { ROOT } from './helpers/paths';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const hasBoto3 = existsSync(PYTHON) && existsSync('/usr/lib/python3/dist-packages/boto3');
const Bucket = 'forms';
let svc: Service; // plain HTTP, SSE-C refused as on a real deployment
let tls: Service; // HTTPS, for SSE-C

beforeAll(async () => {
  [svc, tls] = await Promise.all([startService({ ALLOW_SSEC_OVER_HTTP: 'false' }), startService({}, { https: true })]);
  await Promise.all([svc.client.send(new CreateBucketCommand({ Bucket })), tls.client.send(new CreateBucketCommand({ Bucket }))]);
});
afterAll(async () => {
  await Promise.all([svc?.stop(), tls?.stop()]);
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends a body as is (raw bytes, so malformed forms can be sent too); trusts the test certificate. */
function send(url: string, body: Buffer, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = (url.startsWith('https:') ? https : http).request(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** A browser-style form (fields in order, the file last) as FormData encodes it. */
async function submit(url: string, fields: Record<string, string>, file: Buffer | string, filename = 'photo.jpg'): Promise<Answer> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file]), filename);
  const encoded = new Response(form);
  return send(url, Buffer.from(await encoded.arrayBuffer()), { 'content-type': encoded.headers.get('content-type')! });
}

const code = (a: Answer) => /<Code>([^<]+)<\/Code>/.exec(a.body)?.[1];
const message = (a: Answer) => /<Message>([^<]+)<\/Message>/.exec(a.body)?.[1];

const presign = (client: S3Client, options: Omit<PresignedPostOptions, 'Bucket'>) => createPresignedPost(client, { Bucket, Expires: 600, ...options });

/** Object rows of the bucket and R2 blobs not awaiting deletion: what a failed upload must not change. */
async function stored(s: Service) {
  const rows = (await s.db.prepare('SELECT key, etag FROM objects WHERE bucket = ? ORDER BY key').bind(Bucket).all()).results;
  const trashed = new Set((await s.db.prepare('SELECT blob_id FROM blob_trash').all<{ blob_id: string }>()).results.map((r) => r.blob_id));
  const live = (await s.r2.list()).objects.map((o) => o.key).filter((k) => !trashed.has(k));
  return { rows, live: live.sort() };
}

describe('presigned POST forms upload', () => {
  it('JS SDK form: ${filename}, stored headers, metadata, 201 with PostResponse, SSE-S3', async () => {
    const { url, fields } = await presign(svc.client, {
      Key: 'uploads/${filename}',
      Conditions: [['starts-with', '$key', 'uploads/'], ['content-length-range', 1, 1024], ['starts-with', '$Content-Type', 'image/']],
      Fields: { 'Content-Type': 'image/jpeg', 'Cache-Control': 'max-age=60', 'x-amz-meta-owner': 'alice', 'x-amz-checksum-algorithm': 'CRC32', success_action_status: '201' },
    });
    const answer = await submit(url, fields, 'jpeg bytes', 'cat.jpg');
    expect(answer.status).toBe(201);
    expect(answer.headers['x-amz-checksum-crc32']).toMatch(/^[A-Za-z0-9+/]{6}==$/); // computed, as the algorithm field asked
    expect(answer.body).toContain('<Bucket>forms</Bucket><Key>uploads/cat.jpg</Key>');
    expect(answer.headers['x-amz-server-side-encryption']).toBe('AES256');
    const got = await svc.client.send(new GetObjectCommand({ Bucket, Key: 'uploads/cat.jpg' }));
    expect(await got.Body!.transformToString()).toBe('jpeg bytes');
    expect([got.ContentType, got.CacheControl, got.Metadata, got.ServerSideEncryption]).toEqual(['image/jpeg', 'max-age=60', { owner: 'alice' }, 'AES256']);
    expect(got.ETag).toBe(answer.headers.etag);
    expect(got.ETag).toBe(`"${createHash('md5').update('jpeg bytes').digest('hex')}"`);
  });

  it('JS SDK form: SSE-KMS with a key id and a context, a checksum, 204 by default', async () => {
    const context = Buffer.from(JSON.stringify({ app: 'forms' })).toString('base64');
    const body = randomBytes(3 * 1024 * 1024 + 17); // several chunks: the file streams through
    const sha256 = createHash('sha256').update(body).digest('base64');
    const { url, fields } = await presign(svc.client, {
      Key: 'kms.bin',
      Fields: {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'test-key',
        'x-amz-server-side-encryption-context': context,
        'x-amz-checksum-sha256': sha256,
      },
    });
    const answer = await submit(url, fields, body);
    expect(answer.status).toBe(204);
    expect([answer.headers['x-amz-server-side-encryption'], answer.headers['x-amz-server-side-encryption-aws-kms-key-id']]).toEqual(['aws:kms', 'test-key']);
    expect(answer.headers['x-amz-checksum-sha256']).toBe(sha256);
    const head = await svc.client.send(new HeadObjectCommand({ Bucket, Key: 'kms.bin', ChecksumMode: 'ENABLED' }));
    expect(JSON.parse(Buffer.from(answer.headers['x-amz-server-side-encryption-context'] as string, 'base64').toString())).toEqual({ app: 'forms' });
    expect([head.ServerSideEncryption, head.ChecksumSHA256, head.ContentLength]).toEqual(['aws:kms', sha256, body.length]);
    expect((await getBytes(svc.client, Bucket, 'kms.bin')).equals(body)).toBe(true);
  });

  it('JS SDK form over HTTPS: SSE-C with the three key fields', async () => {
    const key = randomBytes(32);
    const keyMd5 = createHash('md5').update(key).digest('base64');
    const ssec = {
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': key.toString('base64'),
      'x-amz-server-side-encryption-customer-key-MD5': keyMd5,
    };
    const { url, fields } = await presign(tls.client, { Key: 'secret.txt', Fields: ssec });
    const answer = await submit(url, fields, 'for my eyes only');
    expect(answer.status).toBe(204);
    expect(answer.headers['x-amz-server-side-encryption-customer-key-md5']).toBe(keyMd5);
    const SSE = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: keyMd5 };
    expect((await getBytes(tls.client, Bucket, 'secret.txt', SSE)).toString()).toBe('for my eyes only');
    await expect(getBytes(tls.client, Bucket, 'secret.txt')).rejects.toThrow();

    // The same form over plain HTTP is refused: the key would have crossed the network in the clear.
    const plain = await presign(svc.client, { Key: 'secret.txt', Fields: ssec });
    const refused = await submit(plain.url, plain.fields, 'x');
    expect([refused.status, code(refused)]).toEqual([400, 'InvalidRequest']);
  });

  it('success_action_redirect answers 303 to the page with bucket, key and etag', async () => {
    const { url, fields } = await presign(svc.client, { Key: 'redirected', Fields: { success_action_redirect: 'https://app.example.com/done?x=1' } });
    const answer = await submit(url, fields, 'r');
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.location!);
    expect([location.origin + location.pathname, location.searchParams.get('x'), location.searchParams.get('bucket'), location.searchParams.get('key')]).toEqual([
      'https://app.example.com/done',
      '1',
      Bucket,
      'redirected',
    ]);
    expect(location.searchParams.get('etag')).toBe(`"${createHash('md5').update('r').digest('hex')}"`);
  });

  it.runIf(hasBoto3)('boto3 generate_presigned_post forms upload in every SSE mode, signed SigV2 (its default) and SigV4', async () => {
    const key = randomBytes(32);
    const ssec = {
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': key.toString('base64'),
      'x-amz-server-side-encryption-customer-key-MD5': createHash('md5').update(key).digest('base64'),
    };
    const modes: [Service, Record<string, string>, string | undefined][] = [
      [svc, {}, 'AES256'],
      [svc, { 'x-amz-server-side-encryption': 'AES256' }, 'AES256'],
      [svc, { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-bucket-key-enabled': 'true' }, 'aws:kms'],
      [tls, ssec, undefined],
    ];
    const cases = ['default', 's3v4'].flatMap((version) => modes.map(([s, fields, expected], i) => ({ s, expected, version, key: `boto3/${version}/${i}/`, fields: { 'x-amz-meta-mode': String(i), ...fields } })));
    const requests = cases.map((c) => ({ endpoint: c.s.endpoint, bucket: Bucket, key: `${c.key}\${filename}`, signature_version: c.version, fields: c.fields }));
    const { stdout } = await run(PYTHON, [`${ROOT}test/clients/presigned_post.py`, ACCESS_KEY_ID, SECRET_ACCESS_KEY, JSON.stringify(requests)], {
      env: { PATH: process.env.PATH, HOME: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' },
    });
    const forms = JSON.parse(stdout) as { url: string; fields: Record<string, string> }[];
    expect(forms[0]!.fields.AWSAccessKeyId).toBe(ACCESS_KEY_ID); // boto3's default: SigV2
    expect(forms[4]!.fields['x-amz-algorithm']).toBe('AWS4-HMAC-SHA256');
    for (const [i, c] of cases.entries()) {
      const answer = await submit(forms[i]!.url, forms[i]!.fields, `case ${i}`, 'f.txt');
      expect([answer.status, answer.body]).toEqual([204, '']);
      expect(answer.headers['x-amz-server-side-encryption']).toBe(c.expected);
      if (c.expected === 'aws:kms') expect(answer.headers['x-amz-server-side-encryption-bucket-key-enabled']).toBe('true');
      const extra = c.expected ? {} : { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64') };
      const got = await c.s.client.send(new GetObjectCommand({ Bucket, Key: `${c.key}f.txt`, ...extra }));
      expect([await got.Body!.transformToString(), got.Metadata?.mode]).toEqual([`case ${i}`, String(i % 4)]);
    }
  });
});

describe('violations are refused as S3 refuses them, and store nothing', () => {
  const refusals: [string, () => Promise<Answer>, number, string, RegExp?][] = [
    [
      'an expired policy',
      async () => {
        const { url, fields } = await presign(svc.client, { Key: 'v/expired', Expires: -10 });
        return submit(url, fields, 'x');
      },
      403,
      'AccessDenied',
      /^Invalid according to Policy: Policy expired\.$/,
    ],
    [
      'a key outside the starts-with condition',
      async () => {
        const { url, fields } = await presign(svc.client, { Key: 'v/ok', Conditions: [['starts-with', '$key', 'v/']] });
        return submit(url, { ...fields, key: 'elsewhere' }, 'x');
      },
      403,
      'AccessDenied',
      /Policy Condition failed/,
    ],
    [
      'a field the policy does not name',
      async () => {
        const { url, fields } = await presign(svc.client, { Key: 'v/extra' });
        return submit(url, { ...fields, 'x-amz-meta-sneaky': '1' }, 'x');
      },
      403,
      'AccessDenied',
      /^Invalid according to Policy: Extra input fields: x-amz-meta-sneaky$/,
    ],
    [
      'a file over content-length-range',
      async () => {
        const { url, fields } = await presign(svc.client, { Key: 'keep', Conditions: [['content-length-range', 1, 100]] });
        return submit(url, fields, randomBytes(2 * 1024 * 1024));
      },
      400,
      'EntityTooLarge',
    ],
    [
      'a file under content-length-range',
      async () => {
        const { url, fields } = await presign(svc.client, { Key: 'keep', Conditions: [['content-length-range', 10, 100]] });
        return submit(url, fields, 'tiny');
      },
      400,
      'EntityTooSmall',
    ],
    [
      'a tampered policy',
      async () => {
        const { url, fields } = await presign(svc.client, { Key: 'keep' });
        const policy = JSON.parse(Buffer.from(fields.Policy!, 'base64').toString());
        policy.expiration = new Date(Date.now() + 864e5 * 365).toISOString();
        return submit(url, { ...fields, Policy: Buffer.from(JSON.stringify(policy)).toString('base64') }, 'x');
      },
      403,
      'SignatureDoesNotMatch',
    ],
    [
      'a wrong checksum',
      async () => {
        const { url, fields } = await presign(svc.client, { Key: 'keep', Fields: { 'x-amz-checksum-crc32': 'AAAAAA==' } });
        return submit(url, fields, 'not zero');
      },
      400,
      'BadDigest',
    ],
    [
      'a form without a file',
      async () => {
        const { url, fields } = await presign(svc.client, { Key: 'keep' });
        const form = new FormData();
        for (const [n, v] of Object.entries(fields)) form.append(n, v);
        const encoded = new Response(form);
        return send(url, Buffer.from(await encoded.arrayBuffer()), { 'content-type': encoded.headers.get('content-type')! });
      },
      400,
      'InvalidArgument',
    ],
    [
      'a body cut off inside the file',
      async () => {
        const { url, fields } = await presign(svc.client, { Key: 'keep' });
        const form = new FormData();
        for (const [n, v] of Object.entries(fields)) form.append(n, v);
        form.append('file', new Blob(['the whole file']), 'f');
        const encoded = new Response(form);
        const bytes = Buffer.from(await encoded.arrayBuffer());
        return send(url, bytes.subarray(0, bytes.length - 60), { 'content-type': encoded.headers.get('content-type')! });
      },
      400,
      'MalformedPOSTRequest',
    ],
    ['a POST that is not a form', () => send(`${svc.endpoint}/${Bucket}`, Buffer.from('key=keep'), { 'content-type': 'application/x-www-form-urlencoded' }), 412, 'PreconditionFailed'],
    [
      'a form without a policy (anonymous)',
      () => submit(`${svc.endpoint}/${Bucket}`, { key: 'keep' }, 'x'),
      403,
      'AccessDenied',
    ],
  ];

  beforeAll(async () => {
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'keep', Body: 'previous version' }));
  });

  it.each(refusals)('%s', async (_, attempt, status, expectedCode, expectedMessage) => {
    const before = await stored(svc);
    const answer = await attempt();
    expect([answer.status, code(answer)]).toEqual([status, expectedCode]);
    if (expectedMessage) expect(message(answer)).toMatch(expectedMessage);
    expect(await stored(svc)).toEqual(before);
    expect((await getBytes(svc.client, Bucket, 'keep')).toString()).toBe('previous version');
  });
});
