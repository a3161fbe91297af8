// The tests' front (test/helpers/front.mjs) between clients and bare Miniflare: Expect handling, early error
// answers while the client is still sending, keep-alive, and bytes passed through unchanged (raw
// paths, Host, and non-ASCII header values both ways).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFront } from './helpers/front.mjs';
import { rawRequest } from './helpers/raw-http';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';
import { signRequest } from './helpers/sign';
import { errorCode, send } from './helpers/signed-http';

let svc: Service;
let s3: S3Client;
const bucket = 'front-bucket';

beforeAll(async () => {
  svc = await startService();
  // No retries: a reset or 502 must not be hidden by a second attempt.
  s3 = new S3Client({ endpoint: svc.endpoint, region: REGION, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  s3?.destroy();
  await svc?.stop();
});

describe('the local front', () => {
  it('answers a 10 MiB PUT to a missing bucket with NoSuchBucket and its request id, every time (JS SDK, Expect: 100-continue)', async () => {
    const body = randomBytes(10 * 1024 * 1024);
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const failure = await s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket-here', Key: `k${i}`, Body: body })).then(
        () => 'stored',
        (e: { name?: string; $metadata?: { httpStatusCode?: number; requestId?: string } }) => `${e.$metadata?.httpStatusCode} ${e.name} ${e.$metadata?.requestId ? 'with id' : 'no id'}`,
      );
      outcomes.push(failure);
    }
    expect(outcomes).toEqual(Array(20).fill('404 NoSuchBucket with id'));
  });

  it('answers an unauthenticated 10 MiB PUT with AccessDenied, never a reset', async () => {
    const answer = await send(svc.endpoint, 'PUT', `/${bucket}/anonymous`, { body: Buffer.alloc(10 * 1024 * 1024), expect: '100-continue', anonymous: true });
    expect([answer.status, errorCode(answer), typeof answer.headers['x-amz-request-id']]).toEqual([403, 'AccessDenied', 'string']);
  });

  it('ignores Expect values other than 100-continue, as S3 does', async () => {
    const body = Buffer.from('expectation ignored');
    const put = await send(svc.endpoint, 'PUT', `/${bucket}/expect`, { body, expect: 'something-else' });
    expect(put.status).toBe(200);
    expect((await send(svc.endpoint, 'GET', `/${bucket}/expect`)).body).toEqual(body);
  });

  it('keeps connections alive across requests, chunked bodies included', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const front = await startFront((await svc.mf.ready).origin);
    let connections = 0;
    front.server.on('connection', () => connections++);
    const origin = front.origin;
    try {
      const body = randomBytes(300_000);
      expect((await send(origin, 'PUT', `/${bucket}/kept`, { body, agent, expect: '100-continue' })).status).toBe(200);
      const chunked = await send(origin, 'PUT', `/${bucket}/chunked`, { body: [body.subarray(0, 1000), body.subarray(1000)], agent });
      expect(chunked.status).toBeLessThan(500);
      expect((await send(origin, 'GET', `/${bucket}/no-such-key`, { agent })).status).toBe(404);
      const got = await send(origin, 'GET', `/${bucket}/kept`, { agent });
      expect(got.body.equals(body)).toBe(true);
      expect(connections).toBe(1);
    } finally {
      agent.destroy();
      await front.close();
    }
  });

  it('passes the raw path and the Host header through unchanged (virtual-hosted style, reserved characters)', async () => {
    const key = "a b/c+d%e~f!*'()ä";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'raw path' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a b' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString()).toBe('raw path');
    const port = new URL(svc.endpoint).port;
    const virtual = await send(svc.endpoint, 'GET', `/${encodeURIComponent(key).replace(/'/g, '%27').replace(/[!*()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`, { host: `${bucket}.localhost:${port}` });
    expect([virtual.status, virtual.body.toString()]).toEqual([200, 'raw path']);
  });

  it('passes non-ASCII user metadata and Content-Disposition both ways as workerd answers them directly', async () => {
    const direct = (await svc.mf.ready).origin;
    const sent = {
      'x-amz-meta-title': 'café € 😀 Ελληνικά',
      'x-amz-meta-mixed': ' a\tb ünï ',
      'content-disposition': "attachment; filename=\"naïve €.txt\"; filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt",
    };
    /** The raw bytes (as latin1 text) of the headers sent, as answered by GET and HEAD via `origin`. */
    const answered = async (origin: string, key: string) => {
      const out = [];
      for (const method of ['GET', 'HEAD']) {
        const a = await rawRequest(`${origin}/${bucket}/${key}`, method, (await signRequest(method, `${origin}/${bucket}/${key}`, {})).headers);
        out.push({ status: a.status, ...Object.fromEntries(Object.keys(sent).map((h) => [h, a.headers[h]])) });
      }
      return out;
    };
    const asBytes = Object.fromEntries(Object.entries(sent).map(([h, v]) => [h, Buffer.from(v.trim(), 'utf8').toString('latin1')]));
    for (const [via, origin] of [['front', svc.endpoint], ['workerd', direct]] as const) {
      const key = `utf8-via-${via}`;
      const put = await signRequest('PUT', `${origin}/${bucket}/${key}`, sent);
      expect((await rawRequest(`${origin}/${bucket}/${key}`, 'PUT', put.headers, 'body')).status).toBe(200);
      const viaFront = await answered(svc.endpoint, key);
      expect(viaFront).toEqual([{ status: 200, ...asBytes }, { status: 200, ...asBytes }]);
      expect(await answered(direct, key)).toEqual(viaFront);
    }
  });

  it('opens a new workerd connection when workerd closed an idle one, and closes the client when an answer is cut short', async () => {
    // A stand-in for workerd: answers each connection's first request, then closes it; /cut
    // promises 10 bytes and sends 3.
    let closedOne: () => void = () => {};
    const closed = new Promise<void>((resolve) => (closedOne = resolve));
    const upstream = net.createServer((socket) => {
      socket.on('close', () => closedOne());
      socket.once('data', (request) => {
        const cut = request.toString().startsWith('GET /cut');
        socket.end(cut ? 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc' : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const front = await startFront(`http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let connections = 0;
    front.server.on('connection', () => connections++);
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        http
          .get(new URL(path, front.origin), { agent }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c));
            res.on('end', () => resolve(text));
            res.on('error', reject);
          })
          .on('error', reject);
      });
    try {
      expect(await get('/a')).toBe('ok');
      await closed; // workerd closed its connection, idle...
      await new Promise((r) => setTimeout(r, 100)); // ...and the front has seen it
      expect(await get('/b')).toBe('ok');
      expect(connections).toBe(1);
      await expect(get('/cut')).rejects.toThrow();
    } finally {
      agent.destroy();
      await front.close();
      upstream.close();
    }
  });
});
