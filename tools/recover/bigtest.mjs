#!/usr/bin/env node
// `npm run recover:bigtest [-- --size-gib N --parts P]`: the recovery tool on large objects, kept out
// of the normal suite. The service (in Miniflare, state persisted like `npm run dev`) stores one
// single-PUT object of N GiB (default 2) and one multipart object of P parts (default 300, 5 MiB
// each but an uneven last); then `recover verify` and `recover export` run on that state. Prints
// throughput and the tool's peak RSS (bounded memory: flat in the object size), and checks the
// exported bytes against what was sent.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AwsClient } from 'aws4fetch';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { WORKER_BUILD_OPTIONS, migrationStatements } from '../../scripts/local-worker.mjs';

process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 * 1024;
const { values } = parseArgs({ options: { 'size-gib': { type: 'string', default: '2' }, parts: { type: 'string', default: '300' } } });
const SIZE = Math.round(Number(values['size-gib']) * 1024 * MiB);
const PARTS = Number(values.parts);
const PART = 5 * MiB;
const MASTER_KEY = `big:${Buffer.alloc(32, 3).toString('base64')}`;
const CREDENTIALS = { accessKeyId: 'EDGESSEBIGTEST000001', secretAccessKey: 'edge-sse-bigtest-secret' };
const log = (m) => console.error(`[bigtest] ${m}`);

const dir = mkdtempSync(join(tmpdir(), 'edge-sse-bigtest-'));
const state = join(dir, 'v3');
let mf;
try {
  // Bundled inside the checkout (workerd resolves modules below its working directory), own output.
  const bundle = `${ROOT}.build/recover-bigtest/worker.js`;
  await build({ ...WORKER_BUILD_OPTIONS, entryPoints: ['src/index.ts'], outfile: bundle });
  const toml = readFileSync(`${ROOT}wrangler.toml`, 'utf8');
  mf = new Miniflare({
    modules: true,
    scriptPath: bundle,
    compatibilityDate: /compatibility_date\s*=\s*"([^"]+)"/.exec(toml)[1],
    compatibilityFlags: ['nodejs_compat'],
    r2Buckets: { BLOBS: 'edge-sse-blobs' },
    d1Databases: { DB: 'bigtest' },
    defaultPersistRoot: state,
    bindings: { CREDENTIALS: `${CREDENTIALS.accessKeyId}:${CREDENTIALS.secretAccessKey}`, MASTER_KEY },
    host: '127.0.0.1',
    port: 0,
  });
  const origin = (await mf.ready).origin;
  const db = await mf.getD1Database('DB');
  await db.batch(migrationStatements().map((s) => db.prepare(s)));
  const s3 = new AwsClient({ ...CREDENTIALS, region: 'us-east-1', service: 's3', retries: 0 });
  const call = async (method, path, body, length) => {
    const url = `${origin}/big/${path}`;
    const signed = await s3.sign(url, { method, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...(length !== undefined ? { 'content-length': String(length) } : {}) } });
    return send(url, method, Object.fromEntries(signed.headers), body);
  };
  await call('PUT', '');

  const sent = { single: createHash('sha256'), multipart: createHash('sha256') };
  let started = performance.now();
  log(`PUT ${SIZE / MiB} MiB single object`);
  await call('PUT', 'single', chunks(SIZE, 1, sent.single), SIZE);
  const created = await call('POST', 'multipart?uploads');
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body)[1];
  const etags = [];
  const partSize = (i) => (i === PARTS ? PART - 12_345 : PART);
  log(`${PARTS} parts of ~${PART / MiB} MiB`);
  for (let i = 1; i <= PARTS; i++) etags.push((await call('PUT', `multipart?partNumber=${i}&uploadId=${uploadId}`, chunks(partSize(i), 100 + i, sent.multipart), partSize(i))).etag);
  const completion = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  await call('POST', `multipart?uploadId=${uploadId}`, [Buffer.from(completion)], Buffer.byteLength(completion));
  const total = SIZE + (PARTS - 1) * PART + partSize(PARTS);
  log(`stored ${(total / MiB).toFixed(0)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await mf.dispose();
  mf = null;

  writeFileSync(join(dir, 'keys.env'), `MASTER_KEY=${MASTER_KEY}\n`);
  const sources = ['--state', state, '--env-file', join(dir, 'keys.env')];
  const verify = await tool(['verify', ...sources]);
  if (verify.code !== 0) throw new Error(`verify failed:\n${verify.stdout}`);
  const out = join(dir, 'out');
  const exported = await tool(['export', '--out', out, ...sources]);
  if (exported.code !== 0) throw new Error(`export failed:\n${exported.stdout}`);
  for (const key of ['single', 'multipart']) {
    const got = await sha256(join(out, 'big', key));
    if (got !== sent[key].digest('hex')) throw new Error(`exported ${key} differs from what was uploaded`);
  }
  const rate = (r) => (total / MiB / r.seconds).toFixed(0);
  console.log(`recover bigtest: ${(SIZE / MiB).toFixed(0)} MiB single PUT + ${PARTS}-part multipart (${(total / MiB).toFixed(0)} MiB in all)`);
  console.log(`  verify: ${verify.seconds.toFixed(1)} s, ${rate(verify)} MiB/s, peak RSS ${verify.peakMiB} MiB`);
  console.log(`  export: ${exported.seconds.toFixed(1)} s, ${rate(exported)} MiB/s, peak RSS ${exported.peakMiB} MiB; exported bytes match the uploads`);
} finally {
  await mf?.dispose().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

/** Deterministic bytes (a counter-seeded SHA-256 chain, 1 MiB at a time), hashed as they go. */
function* chunks(size, seed, hash) {
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(block, i);
  for (let at = 0; at < size; at += MiB) {
    block.writeUInt32BE(at / MiB, 0);
    const chunk = Buffer.from(block.subarray(0, Math.min(MiB, size - at)));
    hash.update(chunk);
    yield chunk;
  }
}

function send(url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const kept = [];
      res.on('data', (c) => kept.push(c));
      res.on('end', () => {
        const text = Buffer.concat(kept).toString();
        if (res.statusCode >= 300) reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`));
        else resolve({ body: text, etag: res.headers.etag });
      });
    });
    req.on('error', reject);
    if (body) pipeline(Readable.from(body), req).catch(reject);
    else req.end();
  });
}

async function sha256(file) {
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: MiB })) h.update(c);
  return h.digest('hex');
}

/** Runs the tool with this Node, sampling its resident memory until it exits. */
function tool(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', `${ROOT}tools/recover/cli.mjs`, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let peak = 0;
    child.stdout.on('data', (c) => (stdout += c));
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]));
      } catch {
        // exited
      }
    }, 100);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(sampler);
      resolve({ code, stdout, seconds: (performance.now() - started) / 1000, peakMiB: (peak / 1024).toFixed(0) });
    });
  });
}
