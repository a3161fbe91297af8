// The endpoints the benchmark measures, each with the workerd processes behind it (for CPU time):
// `npm run dev` (scripts/dev.mjs: wrangler dev) and a raw R2 passthrough run by the same wrangler the
// same way, and both bare in Miniflare.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { migrationStatements } from '../scripts/local-worker.mjs';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const OUT = `${ROOT}.build/bench/`;
export const ACCESS_KEY_ID = 'EDGESSEBENCHKEY00001';
export const SECRET_ACCESS_KEY = 'edge-sse-bench-secret-key-000000000000000';
export const REGION = 'us-east-1';
export const MASTER_KEY = `bench:${Buffer.alloc(32, 1).toString('base64')}`;

const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
export const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync(`${ROOT}wrangler.toml`, 'utf8'))[1];

/** /proc/PID/stat of every process: [pid, comm, ppid, cpu ticks (utime + stime)]. */
function processes() {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return [{ pid: Number(pid), comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) }];
      } catch {
        return []; // exited while listing
      }
    });
}

/** The workerd processes descending from `root` (skipping `except`). */
function workerdUnder(root, except = []) {
  const all = processes();
  const found = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift();
    for (const p of all) {
      if (p.ppid !== parent || except.includes(p.pid)) continue;
      if (p.comm === 'workerd') found.push(p.pid);
      queue.push(p.pid);
    }
  }
  return found;
}

/** CPU milliseconds used so far by `pids` (clock ticks of 10 ms). */
export function cpuMs(pids) {
  const byPid = new Map(processes().map((p) => [p.pid, p.ticks]));
  return pids.reduce((sum, pid) => sum + (byPid.get(pid) ?? 0) * 10, 0);
}

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

/** Spawns `args` in its own process group; resolves once `ready(output)` finds something in its output. */
function spawnUntil(args, extraEnv, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...env, ...extraEnv }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${output}`)), 180_000);
    const scan = (chunk) => {
      output += chunk;
      const found = ready(output);
      if (found) {
        clearTimeout(timer);
        // From here on the output (an access-log line per request) is only drained: scanning all of
        // it again for every line costs this process, the benchmark's client, more with every request.
        for (const stream of [child.stdout, child.stderr]) stream.off('data', scan).resume();
        resolve({ child, found });
      }
    };
    child.stdout.on('data', scan);
    child.stderr.on('data', scan);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}):\n${output}`)));
  });
}

const stopGroup = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    process.kill(-child.pid, 'SIGTERM');
  });

/** `npm run dev` as a user runs it (own state under .build/bench), through the endpoint it prints. */
export async function startDevService() {
  const port = await freePort();
  const { child, found } = await spawnUntil(
    ['scripts/dev.mjs'],
    { PORT: String(port), ACCESS_KEY_ID, SECRET_ACCESS_KEY, PERSIST_TO: `${OUT}dev-state` },
    (output) => /endpoint:\s+(http\S+)/.exec(output)?.[1],
  );
  return { endpoint: found, pids: workerdUnder(child.pid), stop: () => stopGroup(child) };
}

/** The passthrough under `wrangler dev`; `copyThroughJs`: its variant that reads GET bodies into JavaScript. */
export async function startDevPassthrough({ copyThroughJs = false } = {}) {
  mkdirSync(OUT, { recursive: true });
  const name = copyThroughJs ? 'passthrough-js-copy' : 'passthrough';
  const config = `${OUT}${name}.toml`;
  writeFileSync(
    config,
    `name = "edge-sse-bench-${name}"\nmain = "${ROOT}bench/passthrough-worker.js"\ncompatibility_date = "${compatibilityDate}"\n` +
      (copyThroughJs ? '[vars]\nCOPY_THROUGH_JS = "true"\n' : '') +
      `[[r2_buckets]]\nbinding = "BLOBS"\nbucket_name = "bench-passthrough"\n`,
  );
  const port = await freePort();
  const wrangler = `${ROOT}node_modules/wrangler/bin/wrangler.js`;
  const args = [wrangler, 'dev', '-c', config, '--ip', '127.0.0.1', '--port', String(port), '--persist-to', `${OUT}dev-state-${name}`, '--show-interactive-dev-session=false'];
  const { child } = await spawnUntil(args, {}, (output) => /Ready on/.test(output));
  return { endpoint: `http://127.0.0.1:${port}`, pids: workerdUnder(child.pid), stop: () => stopGroup(child) };
}

const miniflareWorker = (name, scriptPath, options) => ({ name, modules: true, scriptPath, compatibilityDate, compatibilityFlags: ['nodejs_compat'], r2Buckets: ['BLOBS'], ...options });

async function startMiniflare(workers) {
  const before = workerdUnder(process.pid);
  const mf = new Miniflare({ host: '127.0.0.1', port: 0, workers });
  const url = await mf.ready;
  return { mf, endpoint: url.origin, pids: workerdUnder(process.pid, before), stop: () => mf.dispose() };
}

/**
 * The service bundle in bare Miniflare (no front), schema applied; `bindings` added to the bench's.
 * Beside it on the same bucket and database, the R2-counting probe (bench/r2-probe-worker.ts) on
 * its own port, `probeEndpoint`.
 */
export async function startBareService(bindings = {}) {
  const storage = {
    r2Buckets: ['BLOBS', 'AUDIT'],
    d1Databases: ['DB'],
    bindings: { CREDENTIALS: `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}`, REGION, VIRTUAL_HOST_SUFFIXES: 'localhost', MASTER_KEY, ALLOW_SSEC_OVER_HTTP: 'true', ...bindings },
  };
  const instance = await startMiniflare([
    miniflareWorker('service', `${OUT}service.js`, storage),
    miniflareWorker('r2-probe', `${OUT}r2-probe.js`, { ...storage, unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }] }),
  ]);
  const db = await instance.mf.getD1Database('DB', 'service');
  await db.batch(migrationStatements().map((s) => db.prepare(s)));
  return { ...instance, probeEndpoint: (await instance.mf.unsafeGetDirectURL('r2-probe')).origin };
}

/** The passthrough in bare Miniflare; `copyThroughJs` as for startDevPassthrough. */
export const startBarePassthrough = ({ copyThroughJs = false } = {}) =>
  startMiniflare([miniflareWorker('passthrough', `${ROOT}bench/passthrough-worker.js`, { bindings: copyThroughJs ? { COPY_THROUGH_JS: 'true' } : {} })]);
