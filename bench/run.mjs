#!/usr/bin/env node
// Performance of edge-sse against baselines measured in the same run. Machines are shared and
// noisy, so every figure is the median of 3 runs and is judged as a ratio to its baseline:
//  1. PUT and GET of a large object through the service vs a raw-R2 passthrough worker;
//  2. encryptStream / decryptStream inside workerd vs `openssl speed` AES-256-GCM on one core;
//  3. peak workerd RSS for PUT+GET of the object at 1x and 4x the size (goal: flat), the
//     passthrough's alongside;
//  4. bytes the service reads from R2 for a 1-byte range, measured and from the format.
// Usage: node bench/run.mjs [--size-mib N]   (N: the large object in MiB, default 1024)
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AwsClient } from 'aws4fetch';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { WORKER_BUILD_OPTIONS, migrationStatements } from '../scripts/local-worker.mjs';

process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

const MiB = 1024 * 1024;
const REPS = 3;
/** In-worker crypto: streams of this many MiB (the prepared ciphertext stays in memory), this many per timed run. */
const CRYPTO_MIB = 256;
const CRYPTO_ROUNDS = 8;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = `${ROOT}.build/bench/`;
const { values: args } = parseArgs({ options: { 'size-mib': { type: 'string', default: '1024' } } });
const SIZE = Number(args['size-mib']) * MiB;
if (!(SIZE > 0)) throw new Error('--size-mib must be a positive number');

// As test/helpers/service.ts configures the worker, plus a master key so SSE-S3 can seal.
const ACCESS_KEY_ID = 'EDGESSETESTKEY000001';
const SECRET_ACCESS_KEY = 'edge-sse-test-secret-key-0000000000000000';
const REGION = 'us-east-1';
const BINDINGS = {
  CREDENTIALS: `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}`,
  REGION,
  VIRTUAL_HOST_SUFFIXES: 'localhost',
  MASTER_KEY: `bench:${Buffer.alloc(32, 1).toString('base64')}`,
};
const BUCKET = 'bench';

const log = (message) => console.error(`[bench] ${message}`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fixed = (x, digits = 2) => x.toFixed(digits);

// ---- bundles, as test/setup/build.ts builds the worker (own outputs: tests may be building theirs)

async function bundle() {
  await build({
    entryPoints: {
      service: 'src/index.ts',
      'r2-probe': 'bench/r2-probe-worker.ts',
      crypto: 'bench/crypto-worker.ts',
      format: 'src/crypto/format.ts',
    },
    ...WORKER_BUILD_OPTIONS,
    outdir: OUT,
  });
}

// ---- workerd instances, started as test/helpers/service.ts starts the service

const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync(`${ROOT}wrangler.toml`, 'utf8'))[1];
const worker = (name, scriptPath, options = {}) => ({ name, scriptPath, modules: true, compatibilityDate, compatibilityFlags: ['nodejs_compat'], ...options });

/** PIDs of workerd processes that are children of this one (Miniflare spawns one per instance). */
function workerdPids() {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const [, comm, ppid] = /^\d+ \((.*)\) \S+ (\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        return comm === 'workerd' && Number(ppid) === process.pid ? [Number(pid)] : [];
      } catch {
        return []; // exited while listing
      }
    });
}

async function startInstance(workers) {
  const before = workerdPids();
  const mf = new Miniflare({ host: '127.0.0.1', port: 0, workers });
  const url = await mf.ready;
  return { mf, url, pids: workerdPids().filter((pid) => !before.includes(pid)) };
}

/**
 * The service with its schema and the bench bucket, and beside it on the same bucket and
 * database the R2-counting probe (own port).
 */
async function startService() {
  const storage = { r2Buckets: ['BLOBS', 'AUDIT'], d1Databases: ['DB'], bindings: BINDINGS };
  const instance = await startInstance([
    worker('service', `${OUT}service.js`, storage),
    worker('r2-probe', `${OUT}r2-probe.js`, { ...storage, unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }] }),
  ]);
  const db = await instance.mf.getD1Database('DB', 'service');
  await db.batch(migrationStatements().map((s) => db.prepare(s)));
  const bucketUrl = new URL(BUCKET, instance.url);
  await send(bucketUrl, { method: 'PUT', headers: await signedHeaders(bucketUrl, 'PUT') });
  return { ...instance, target: s3Target(instance.url), probeUrl: await instance.mf.unsafeGetDirectURL('r2-probe') };
}

async function startPassthrough() {
  const instance = await startInstance([worker('passthrough', `${ROOT}bench/passthrough-worker.js`, { r2Buckets: ['BLOBS'] })]);
  return { ...instance, target: passthroughTarget(instance.url) };
}


// ---- HTTP from Node: bodies streamed from a generator, answers checked as they arrive

// The object's bytes: one fixed pseudo-random 1 MiB block, repeated; never held whole.
const PATTERN = Buffer.alloc(MiB);
for (let i = 0, x = 2463534242; i < MiB; i += 4) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  PATTERN.writeUInt32LE(x >>> 0, i);
}

function* patternChunks(size) {
  for (let at = 0; at < size; at += MiB) yield at + MiB <= size ? PATTERN : PATTERN.subarray(0, size - at);
}

function matchesPattern(chunk, offset) {
  for (let at = 0; at < chunk.length; ) {
    const p = (offset + at) % MiB;
    const n = Math.min(chunk.length - at, MiB - p);
    if (!chunk.subarray(at, at + n).equals(PATTERN.subarray(p, p + n))) return false;
    at += n;
  }
  return true;
}

/**
 * One request; `body` (an iterable of chunks) is streamed. With `offset`, a 2xx answer must carry
 * the pattern's bytes from there on; without, it is kept as `text`. Resolves with the answer's
 * length and the seconds until its last byte.
 */
function send(url, { method = 'GET', headers = {}, body, offset } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // A connection per request (agent: false): workerd closes kept-alive connections after a
    // while, and reusing one then fails (EPIPE, "other side closed").
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const failed = res.statusCode >= 300;
      const kept = [];
      let bytes = 0;
      res.on('data', (chunk) => {
        if (failed || offset === undefined) kept.push(chunk);
        else if (!matchesPattern(chunk, offset + bytes)) res.destroy(new Error(`${method} ${url}: wrong bytes at ${offset + bytes}`));
        bytes += chunk.length;
      });
      res.on('end', () => {
        const text = Buffer.concat(kept).toString();
        if (failed) reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`));
        else resolve({ bytes, seconds: (performance.now() - started) / 1000, text });
      });
      res.on('error', (e) => reject(new Error(`${method} ${url}: answer cut off after ${bytes} bytes (${e.message})`)));
    });
    req.on('error', reject);
    if (body) pipeline(Readable.from(body), req).catch(reject);
    else req.end();
  });
}

const aws = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, service: 's3', region: REGION, retries: 0 });

const getJson = async (url) => JSON.parse((await send(url)).text);

async function signedHeaders(url, method, headers = {}) {
  const request = await aws.sign(url.href, { method, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers } });
  return Object.fromEntries(request.headers);
}

/** How requests reach one worker: the S3 service (signed, path-style) or the passthrough. */
const s3Target = (origin) => ({ url: (key) => new URL(`${BUCKET}/${key}`, origin), headers: signedHeaders });
const passthroughTarget = (origin) => ({ url: (key) => new URL(key, origin), headers: async (_url, _method, headers = {}) => headers });

async function put(target, key, size) {
  const url = target.url(key);
  const headers = { ...(await target.headers(url, 'PUT')), 'content-length': String(size) };
  return send(url, { method: 'PUT', headers, body: patternChunks(size) });
}

async function get(target, key, size, range) {
  const url = target.url(key);
  const answer = await send(url, {
    method: 'GET',
    headers: await target.headers(url, 'GET', range ? { range: `bytes=${range.start}-${range.end}` } : {}),
    offset: range?.start ?? 0,
  });
  const expected = range ? range.end - range.start + 1 : size;
  if (answer.bytes !== expected) throw new Error(`GET ${url}: ${answer.bytes} bytes, expected ${expected}`);
  return answer;
}

// ---- 1. throughput: service vs passthrough, runs interleaved so drift hits both alike

async function measureThroughput(service, passthrough) {
  const rates = { encrypted: { PUT: [], GET: [] }, passthrough: { PUT: [], GET: [] } };
  for (let rep = 1; rep <= REPS; rep++) {
    for (const [name, target] of [['passthrough', passthrough], ['encrypted', service]]) {
      log(`throughput ${rep}/${REPS}: ${name} PUT+GET ${SIZE / MiB} MiB`);
      rates[name].PUT.push(SIZE / (await put(target, 'large', SIZE)).seconds / 1e6);
      rates[name].GET.push(SIZE / (await get(target, 'large', SIZE)).seconds / 1e6);
    }
  }
  return rates;
}

// ---- 2. crypto pipeline in workerd vs openssl on one core

function opensslGBps() {
  // -bytes 16384: only the 16 KiB column the comparison uses (saves 5 block sizes x 3 s).
  const out = execFileSync('openssl', ['speed', '-evp', 'aes-256-gcm', '-seconds', '3', '-bytes', '16384'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const columns = /^aes-256-gcm\s+(.*)$/im.exec(out)[1].trim().split(/\s+/);
  return (parseFloat(columns.at(-1)) * 1000) / 1e9; // the figures are in 1000s of bytes per second
}

async function measureCrypto(origin) {
  const plaintextBytes = CRYPTO_MIB * MiB * CRYPTO_ROUNDS;
  const run = (path) => getJson(new URL(`${path}?mib=${CRYPTO_MIB}&rounds=${CRYPTO_ROUNDS}`, origin));
  await send(new URL(`prepare?mib=${CRYPTO_MIB}`, origin));
  const rates = { encrypt: [], decrypt: [], openssl: [] };
  for (let rep = 1; rep <= REPS; rep++) {
    log(`crypto ${rep}/${REPS}: openssl, encryptStream, decryptStream`);
    rates.openssl.push(opensslGBps());
    for (const op of ['encrypt', 'decrypt']) {
      const { ms, outputBytes } = await run(op);
      if (!(ms > 0)) throw new Error('performance.now() did not advance inside workerd: cannot time in-worker');
      if (op === 'decrypt' && outputBytes !== plaintextBytes) throw new Error(`decrypt gave ${outputBytes} bytes`);
      rates[op].push(plaintextBytes / (ms / 1000) / 1e9);
    }
  }
  return rates;
}

// ---- 3. peak memory of the service's workerd process

/** A /proc/PID/status figure (VmRSS, VmHWM) summed over `pids`, in MiB. */
function statusMiB(pids, field) {
  const kib = (pid) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return pids.reduce((sum, pid) => sum + kib(pid), 0) / 1024;
}

/**
 * Peak RSS in MiB of `pids` while `work` runs: VmRSS sampled every 100 ms, and VmHWM (reset
 * before through clear_refs) read after, which also catches a spike between samples.
 */
async function peakRssMiB(pids, work) {
  for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5');
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, statusMiB(pids, 'VmRSS'))), 100);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, statusMiB(pids, 'VmHWM'));
}

/**
 * RSS of a fresh instance at rest and its peak during PUT+GET of `size` bytes (or the error that
 * stopped the run: reported, not fatal). Fresh, so memory kept from earlier runs does not mask it.
 */
async function measureMemory(start, size) {
  const { mf, pids, target } = await start();
  const idle = statusMiB(pids, 'VmRSS');
  const work = async () => {
    await put(target, 'memory', size);
    await get(target, 'memory', size);
  };
  const peak = await peakRssMiB(pids, work).catch((e) => e);
  await mf.dispose();
  return { idle, peak };
}

// ---- 4. R2 bytes behind a 1-byte range of the large object

async function measureRange(probeUrl) {
  const middle = Math.floor(SIZE / 2);
  await get(s3Target(probeUrl), 'large', SIZE, { start: middle, end: middle });
  return { middle, ...(await getJson(new URL('__r2-reads', probeUrl))) };
}

// ---- run and report

log(`bundling into ${OUT}`);
await bundle();
const format = await import(pathToFileURL(`${OUT}format.js`).href);

log('starting the crypto bench worker');
const cryptoInstance = await startInstance([worker('crypto', `${OUT}crypto.js`)]);
const cryptoRates = await measureCrypto(cryptoInstance.url);
await cryptoInstance.mf.dispose();

log('starting the service and the passthrough worker');
const service = await startService();
const passthrough = await startPassthrough();
const throughput = await measureThroughput(service.target, passthrough.target);
await passthrough.mf.dispose();
const storedSize = (await (await service.mf.getR2Bucket('BLOBS', 'service')).list()).objects[0].size;
const range = await measureRange(service.probeUrl);
await service.mf.dispose();

const memory = {};
for (const [name, start] of [['encrypted', startService], ['passthrough', startPassthrough]]) {
  memory[name] = [];
  for (const size of [SIZE, 4 * SIZE]) {
    log(`memory: ${name} PUT+GET ${size / MiB} MiB in a fresh workerd`);
    memory[name].push(await measureMemory(start, size));
  }
}

const report = [];
const say = (line) => report.push(line);
const list = (xs) => `[${xs.map((x) => fixed(x)).join(', ')}]`;
const verdict = (ok) => (ok ? 'MET' : 'NOT MET');

say(`edge-sse bench: object ${SIZE / MiB} MiB; medians of ${REPS} runs (all runs in brackets); ratios against baselines from this run`);
say(`the service stored ${SIZE} plaintext bytes as ${storedSize} bytes in R2: ${storedSize === format.ciphertextSize(SIZE) ? 'encrypted (format v1 size)' : 'NOT in the encrypted format size'}`);
say('1. throughput through workerd on loopback, MB/s (10^6 B/s)');
for (const [op, goal] of [['PUT', 0.95], ['GET', 0.9]]) {
  const ratio = median(throughput.encrypted[op]) / median(throughput.passthrough[op]);
  say(
    `   ${op}  encrypted ${fixed(median(throughput.encrypted[op]), 1)} ${list(throughput.encrypted[op])}` +
      `  passthrough ${fixed(median(throughput.passthrough[op]), 1)} ${list(throughput.passthrough[op])}` +
      `  ratio ${fixed(ratio)}x  goal >= ${goal}x: ${verdict(ratio >= goal)}`,
  );
}
say(`2. crypto pipeline in workerd, ${CRYPTO_ROUNDS} streams of ${CRYPTO_MIB} MiB in 1 MiB chunks per run, GB/s (10^9 B/s of plaintext); openssl speed -evp aes-256-gcm -bytes 16384, one core`);
say(`   openssl ${fixed(median(cryptoRates.openssl))} ${list(cryptoRates.openssl)}`);
for (const op of ['encrypt', 'decrypt']) {
  const ratio = median(cryptoRates[op]) / median(cryptoRates.openssl);
  say(`   ${op}Stream ${fixed(median(cryptoRates[op]))} ${list(cryptoRates[op])}  ratio ${fixed(ratio)}x  goal >= 0.5x: ${verdict(ratio >= 0.5)}`);
}
say('3. peak RSS (VmRSS every 100 ms, VmHWM) of a fresh workerd during PUT+GET, one run each, MiB');
for (const [name, [one, four]] of Object.entries(memory)) {
  const text = ({ idle, peak }) => (peak instanceof Error ? `FAILED (${peak.message})` : `${fixed(peak, 0)} (idle ${fixed(idle, 0)})`);
  const failed = one.peak instanceof Error || four.peak instanceof Error;
  const growth = failed ? 'growth unknown' : `growth ${fixed((four.peak / one.peak - 1) * 100, 1)}%`;
  const goal = name === 'encrypted' ? `  goal flat (< 10% growth): ${failed ? 'UNKNOWN' : verdict(four.peak / one.peak < 1.1)}` : '';
  say(`   ${name.padEnd(11)} ${SIZE / MiB} MiB: ${text(one)}   ${(4 * SIZE) / MiB} MiB: ${text(four)}   ${growth}${goal}`);
}
// The local R2 itself is not flat (see the passthrough): what the service adds on top of it.
if (Object.values(memory).flat().every(({ peak }) => typeof peak === 'number')) {
  const overhead = (i) => fixed(memory.encrypted[i].peak - memory.passthrough[i].peak, 0);
  say(`   encrypted minus passthrough: ${overhead(0)} at 1x, ${overhead(1)} at 4x`);
}
const expected = format.cipherRangeFor(range.middle, range.middle, SIZE);
const formulaBytes = expected.cipherEnd - expected.cipherStart + 1;
const twoPackages = format.ciphertextSize(2 * format.PACKAGE_SIZE);
say(`4. R2 bytes behind GET Range: bytes=${range.middle}-${range.middle}`);
say(`   measured (R2 binding wrapped in a probe worker): ${range.gets} get(s), ${range.requestedBytes} bytes requested, ${range.streamedBytes} streamed`);
say(`   format (cipherRangeFor): ${formulaBytes} bytes, ${expected.lastPackage - expected.firstPackage + 1} package(s)`);
say(`   goal <= ${twoPackages} bytes (two packages): ${verdict(range.requestedBytes <= twoPackages)}`);
console.log(report.join('\n'));
