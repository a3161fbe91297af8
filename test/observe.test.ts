// The access log and metrics through a real client, read from the worker's console output as
// Workers Logs would collect it: each request found end to end by the id its client saw, no secret
// in any line; liveness without credentials, the health report through the admin CLI.
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCli } from './helpers/admin-cli';
import { getBytes } from './helpers/objects';
import { ACCESS_KEY_ID, MASTER_KEY, REGION, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';

let svc: Service;
const logs: string[] = [];
const bucket = 'observed';
const body = randomBytes(3000);
const customerKey = randomBytes(32);

beforeAll(async () => {
  svc = await startService({ AUDIT_FLUSH_MS: '50' }, { logs });
  await svc.client.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(() => svc?.stop());

type Line = Record<string, unknown> & { type: string };
const lines = () => logs.flatMap((l) => (l.startsWith('{') ? [JSON.parse(l) as Line] : []));
const accessLine = (requestId: string) => lines().find((l) => l.type === 'access' && l.requestId === requestId);
const metricLine = (requestId: string) => lines().find((l) => l.type === 'metric' && (l.blobs as string[])[5] === requestId);
/** The worker logs after the response; wait until the line is there. */
async function logged(requestId: string) {
  for (let i = 0; i < 50 && !(accessLine(requestId) && metricLine(requestId)); i++) await new Promise((r) => setTimeout(r, 20));
  return { access: accessLine(requestId)!, metric: metricLine(requestId)! };
}
async function failedRequestId(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return e.$metadata.requestId!;
  }
  throw new Error('expected an S3 error');
}

describe('access log and metrics', () => {
  it('show a PUT and a GET end to end by request id', async () => {
    const put = await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.bin', Body: body }));
    const { access, metric } = await logged(put.$metadata.requestId!);
    expect(access).toMatchObject({ accessKey: ACCESS_KEY_ID, operation: 'PutObject', bucket, key: 'a/b.bin', method: 'PUT', status: 200, errorCode: null, bytesIn: body.length, sseMode: 'SSE-S3', kms: { calls: 1, errors: 0 } });
    expect(metric).toMatchObject({ indexes: ['PutObject'], blobs: ['PutObject', '200', '', 'SSE-S3', bucket, put.$metadata.requestId] });
    expect((metric.doubles as number[]).slice(0, 3)).toEqual([1, body.length, 0]);

    await getBytes(svc.client, bucket, 'a/b.bin');
    const get = await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.bin' }));
    await get.Body!.transformToByteArray();
    const second = await logged(get.$metadata.requestId!);
    expect(second.access).toMatchObject({ operation: 'GetObject', status: 200, bytesOut: body.length, sseMode: 'SSE-S3', kms: { calls: 0 }, keyCache: { hits: 1, misses: 0 } });
    expect((second.metric.doubles as number[]).slice(7)).toEqual([1, 0]);

    // Requests served at once by one isolate each count only their own key use.
    const concurrent = await Promise.all(Array.from({ length: 6 }, () => svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.bin' }))));
    await Promise.all(concurrent.map((g) => g.Body!.transformToByteArray()));
    for (const g of concurrent) expect((await logged(g.$metadata.requestId!)).access).toMatchObject({ keyCache: { hits: 1, misses: 0 }, kms: { calls: 0 } });
  });

  it('show errors with their code, also before authentication', async () => {
    const missing = await failedRequestId(svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'nope' })));
    expect((await logged(missing)).access).toMatchObject({ operation: 'GetObject', status: 404, errorCode: 'NoSuchKey' });

    const stranger = new S3Client({ endpoint: svc.endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'wrong-secret' } });
    const denied = await failedRequestId(stranger.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.bin' })));
    stranger.destroy();
    const { access, metric } = await logged(denied);
    expect(access).toMatchObject({ accessKey: null, operation: null, status: 403, errorCode: 'SignatureDoesNotMatch' });
    expect(metric.blobs).toEqual(['unparsed', '403', 'SignatureDoesNotMatch', '', '', denied]);
  });

  it('never carry a secret, an SSE-C key or a signature', async () => {
    const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey.toString('base64') } as const;
    const put = await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'secret.bin', Body: body, ...ssec }));
    expect((await logged(put.$metadata.requestId!)).access).toMatchObject({ sseMode: 'SSE-C' });
    const wrong = { ...ssec, SSECustomerKey: randomBytes(32).toString('base64') };
    await failedRequestId(getBytes(svc.client, bucket, 'secret.bin', wrong));
    await getBytes(svc.client, bucket, 'secret.bin', ssec);
    const all = logs.join('\n');
    for (const secret of [SECRET_ACCESS_KEY, customerKey.toString('base64'), wrong.SSECustomerKey, MASTER_KEY.split(':')[1]!, 'Signature=', 'Credential=']) {
      expect(all).not.toContain(secret);
    }
  });
});

describe('a client that goes away mid-GET', () => {
  it('logs no failure, and the next GET reads the object whole', async () => {
    const large = randomBytes(6 * 1024 * 1024);
    await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'left', Body: large }));
    const before = logs.length;
    const got = await svc.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'left' }));
    // The SDK's body in Node is a Readable: one chunk read, then destroyed, as a client closing its socket.
    const stream = got.Body as unknown as NodeJS.ReadableStream & { destroy(): void };
    await new Promise((resolve) => stream.once('data', resolve));
    stream.destroy();
    await new Promise((r) => setTimeout(r, 500));
    // The worker sees "Network connection lost." on its next write: not a read failure to log.
    expect(logs.slice(before).filter((l) => !l.startsWith('{"type":"access"') && !l.startsWith('{"type":"metric"'))).toEqual([]);
    expect((await getBytes(svc.client, bucket, 'left')).equals(large)).toBe(true);
    await svc.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'left' }));
  });
});

describe('health', () => {
  it('answers liveness without credentials, and nothing else', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await fetch(`${svc.endpoint}/_health`, { method });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(method === 'GET' ? 'ok' : '');
      expect([...r.headers.keys()].filter((h) => h.startsWith('x-amz'))).toEqual([]);
    }
    expect((await fetch(`${svc.endpoint}/_admin/health`)).status).toBe(403);
  });

  it('reports D1, R2, the KMS and its keys to administrators (admin CLI)', async () => {
    const { code, stdout } = await adminCli(svc, 'health');
    expect(stdout).toMatch(/^D1: ok/m);
    expect(stdout).toMatch(/^R2: ok/m);
    expect(stdout).toMatch(/^KMS: ok in \d+ ms, default key test-key$/m);
    expect(stdout).toMatch(/^ {2}key test-key \(default\): usable, 1 object\(s\), 0 upload\(s\)$/m);
    expect(stdout).toMatch(/^audit log \(R2\): ok in \d+ ms, \d+ entries, head \d+:[0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^healthy$/m);
    expect(code).toBe(0);
  });
});

describe('internal errors', () => {
  it('log with the request id the client saw', async () => {
    // Breaks the metadata store for the rest of this file: last.
    await svc.db.prepare('ALTER TABLE buckets RENAME TO buckets_gone').run();
    const id = await failedRequestId(svc.client.send(new CreateBucketCommand({ Bucket: 'after-the-break' })));
    expect((await logged(id)).access).toMatchObject({ status: 500, errorCode: 'InternalError' });
    expect(lines()).toContainEqual(expect.objectContaining({ type: 'internal-error', requestId: id }));
  });
});
