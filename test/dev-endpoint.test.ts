// `npm run dev` as a user runs it, through the endpoint it prints: wrangler dev's own server, with
// no front of ours. It must answer `Expect: 100-continue`, give early error answers while a client is
// still sending, keep connections alive, and pass raw paths and non-ASCII header bytes both ways.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths';
import { rawRequest } from './helpers/raw-http';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY } from './helpers/service';
import { signRequest } from './helpers/sign';
import { errorCode, send } from './helpers/signed-http';
import { type TempDir, tempDir } from './helpers/temp';

let dir: TempDir;
let dev: ChildProcess;
let endpoint: string;
let s3: S3Client;
const bucket = 'dev-endpoint';

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  // A checkout of its own (wrangler.toml, .dev.vars, .wrangler/state), so the developer's is untouched.
  dir = tempDir('dev');
  const toml = readFileSync(`${ROOT}wrangler.toml`, 'utf8').replace('main = "src/index.ts"', `main = "${ROOT}src/index.ts"`).replace('migrations_dir = "migrations"', `migrations_dir = "${ROOT}migrations"`);
  writeFileSync(`${dir.path}/wrangler.toml`, toml);
  dev = spawn(process.execPath, [`${ROOT}scripts/dev.mjs`], {
    cwd: dir.path,
    env: { ...process.env, PORT: String(await freePort()), ACCESS_KEY_ID, SECRET_ACCESS_KEY },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  endpoint = await new Promise<string>((resolve, reject) => {
    const scan = (chunk: Buffer) => {
      output += chunk;
      const found = /endpoint:\s+(http\S+)/.exec(output)?.[1];
      if (found) resolve(found);
    };
    dev.stdout!.on('data', scan);
    dev.stderr!.on('data', scan);
    dev.on('exit', (code) => reject(new Error(`npm run dev exited (${code}):\n${output}`)));
  });
  // No retries: a reset or a stall must not be hidden by a second attempt.
  s3 = new S3Client({ endpoint, region: REGION, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}, 180_000);

afterAll(async () => {
  s3?.destroy();
  if (dev && dev.exitCode === null) {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    process.kill(-dev.pid!, 'SIGTERM');
    await exited;
  }
  dir?.remove();
});

describe('the npm run dev endpoint', () => {
  it('answers 10 MiB PUTs to a missing bucket with NoSuchBucket and its request id, every time (JS SDK, Expect: 100-continue)', async () => {
    const body = randomBytes(10 * 1024 * 1024);
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const failure = await s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket-here', Key: `k${i}`, Body: body })).then(
        () => 'stored',
        (e: { name?: string; $metadata?: { httpStatusCode?: number; requestId?: string } }) => `${e.$metadata?.httpStatusCode} ${e.name} ${e.$metadata?.requestId ? 'with id' : 'no id'}`,
      );
      outcomes.push(failure);
    }
    expect(outcomes).toEqual(Array(5).fill('404 NoSuchBucket with id'));
  });

  it('stores and returns a 10 MiB SDK upload byte for byte', async () => {
    const body = randomBytes(10 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'big', Body: body }));
    const got = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big' }))).Body!.transformToByteArray());
    expect(got.equals(body)).toBe(true);
  });

  it('answers an unauthenticated 10 MiB PUT with AccessDenied, never a reset', async () => {
    const answer = await send(endpoint, 'PUT', `/${bucket}/anonymous`, { body: Buffer.alloc(10 * 1024 * 1024), expect: '100-continue', anonymous: true });
    expect([answer.status, errorCode(answer), typeof answer.headers['x-amz-request-id']]).toEqual([403, 'AccessDenied', 'string']);
  });

  it('ignores Expect values other than 100-continue, as S3 does', async () => {
    const body = Buffer.from('expectation ignored');
    expect((await send(endpoint, 'PUT', `/${bucket}/expect`, { body, expect: 'something-else' })).status).toBe(200);
    expect((await send(endpoint, 'GET', `/${bucket}/expect`)).body).toEqual(body);
  });

  it('keeps a connection alive across requests, chunked bodies and error answers included', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = randomBytes(300_000);
      const answers = [
        await send(endpoint, 'PUT', `/${bucket}/kept`, { body, agent, expect: '100-continue' }),
        await send(endpoint, 'PUT', `/${bucket}/chunked`, { body: [body.subarray(0, 1000), body.subarray(1000)], agent }),
        await send(endpoint, 'GET', `/${bucket}/no-such-key`, { agent }),
        await send(endpoint, 'GET', `/${bucket}/kept`, { agent }),
      ];
      expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 200]);
      expect(answers[3]!.body.equals(body)).toBe(true);
      expect(answers.slice(1).map((a) => a.reused)).toEqual([true, true, true]);
    } finally {
      agent.destroy();
    }
  });

  it('passes the raw path and the Host header through unchanged (virtual-hosted style, reserved characters)', async () => {
    const key = "a b/c+d%e~f!*'()ä";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'raw path' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a b' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
    const port = new URL(endpoint).port;
    const path = `/${encodeURIComponent(key).replace(/'/g, '%27').replace(/[!*()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
    const virtual = await send(endpoint, 'GET', path, { host: `${bucket}.localhost:${port}` });
    expect([virtual.status, virtual.body.toString()]).toEqual([200, 'raw path']);
  });

  it('authenticates GETs and HEADs whose signature covers Content-Length: 0 (the proxy drops the header)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'signed-length', Body: 'signed length' }));
    const zero = { 'content-length': '0' };
    const got = await send(endpoint, 'GET', `/${bucket}/signed-length`, { headers: zero });
    expect([got.status, got.body.toString()]).toEqual([200, 'signed length']);
    expect((await send(endpoint, 'HEAD', `/${bucket}/signed-length`, { headers: zero })).status).toBe(200);
    expect((await send(endpoint, 'GET', `/${bucket}?list-type=2`, { headers: zero })).status).toBe(200);
  });

  it('passes non-ASCII user metadata and Content-Disposition both ways as their UTF-8 bytes', async () => {
    const sent = {
      'x-amz-meta-title': 'café € 😀 Ελληνικά',
      'x-amz-meta-mixed': ' a\tb ünï ',
      'content-disposition': "attachment; filename=\"naïve €.txt\"; filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt",
    };
    const url = `${endpoint}/${bucket}/utf8`;
    expect((await rawRequest(url, 'PUT', (await signRequest('PUT', url, sent)).headers, 'body')).status).toBe(200);
    const asBytes = Object.fromEntries(Object.entries(sent).map(([h, v]) => [h, Buffer.from(v.trim(), 'utf8').toString('latin1')]));
    for (const method of ['GET', 'HEAD']) {
      const a = await rawRequest(url, method, (await signRequest(method, url, {})).headers);
      expect({ status: a.status, ...Object.fromEntries(Object.keys(sent).map((h) => [h, a.headers[h]])) }).toEqual({ status: 200, ...asBytes });
    }
  });
});
