#!/usr/bin/env node
// `npm run dev`: the local endpoint on the embedded default — local R2 and D1 (persisted under
// .wrangler/), the schema migrated, wrangler's dev server on 127.0.0.1:$PORT (what `wrangler dev`
// runs, started through wrangler's API). Clients talk to wrangler's own server: it answers
// `Expect: 100-continue` and early error answers itself (test/dev-endpoint.test.ts). Prints the
// endpoint and credentials once it answers. Honours PORT, ACCESS_KEY_ID, SECRET_ACCESS_KEY and
// PERSIST_TO. With HTTPS=1 it serves https instead (wrangler's self-signed certificate) and refuses
// SSE-C keys over plain http, as a deployment does.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { startDevKms } from '../dev-kms/server.mjs';
import { writeConsoleModule } from './build-console.mjs';

const port = process.env.PORT || '8787';
const accessKeyId = process.env.ACCESS_KEY_ID || 'EDGESSEDEVACCESSKEY1';
const secretAccessKey = process.env.SECRET_ACCESS_KEY || 'edge-sse-dev-secret-access-key-change-me';
// Set before wrangler is loaded: it runs in this process.
Object.assign(process.env, { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' });
const { unstable_startWorker } = await import('wrangler');

// wrangler's API waits forever on a port in use, where its CLI says so: say it first.
const free = await new Promise((resolve) => {
  const probe = createServer().once('error', () => resolve(false)).listen(Number(port), '127.0.0.1', () => probe.close(() => resolve(true)));
});
if (!free) {
  console.error(`Address already in use (127.0.0.1:${port}): stop what serves it, or choose another port with PORT=.`);
  process.exit(1);
}

// The built-in KMS's master keys of this checkout: generated once, kept in .dev.vars (wrangler dev's
// local secrets file, git-ignored). Losing them makes the local objects unreadable. KMS_KEY_IDS names
// the keys it must hold (created on first use); the first is the default key for SSE-S3 and SSE-KMS.
const devVars = existsSync('.dev.vars') ? readFileSync('.dev.vars', 'utf8') : '';
const masters = new Map(
  (/^MASTER_KEY=(.*)$/m.exec(devVars)?.[1] ?? '')
    .split(',')
    .filter(Boolean)
    .map((entry) => [entry.slice(0, entry.indexOf(':')), entry.slice(entry.indexOf(':') + 1)]),
);
const keyIds = (process.env.KMS_KEY_IDS || [...masters.keys()][0] || 'dev-local').split(',').map((k) => k.trim()).filter(Boolean);
for (const id of keyIds) if (!masters.has(id)) masters.set(id, randomBytes(32).toString('base64'));
const ordered = [...keyIds, ...[...masters.keys()].filter((k) => !keyIds.includes(k))].map((k) => `${k}:${masters.get(k)}`).join(',');
// CREDENTIALS goes there too: wrangler.toml's [secrets] required makes wrangler dev read secrets from it.
const kept = devVars.replace(/^(MASTER_KEY|CREDENTIALS)=.*\n?/gm, '');
writeFileSync('.dev.vars', `${kept}MASTER_KEY=${ordered}\nCREDENTIALS=${accessKeyId}:${secretAccessKey}\n`, { mode: 0o600 });

// The web console's page sources (web/console/) into the module the worker serves at /_console/.
if (await writeConsoleModule()) console.log('rebuilt the web console (src/web/console-assets.gen.ts)');

// PERSIST_TO: keep local R2 and D1 there instead of .wrangler/state (the benchmark's own state).
const persistTo = process.env.PERSIST_TO;
const migrate = spawnSync('wrangler', ['d1', 'migrations', 'apply', 'DB', '--local', ...(persistTo ? ['--persist-to', persistTo] : [])], { stdio: ['ignore', 'inherit', 'inherit'] });

if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// KMS_DEV=aws|vault: the development KMS (dev-kms/) holds the keys instead of the built-in KMS,
// spoken to over its real protocol (plain HTTP on loopback: wrangler dev cannot trust its CA).
const kmsDev = process.env.KMS_DEV;
if (kmsDev && kmsDev !== 'aws' && kmsDev !== 'vault') {
  console.error('KMS_DEV must be aws or vault (KES needs mutual TLS, which wrangler dev cannot present locally; the tests cover it).');
  process.exit(2);
}
const devKms = kmsDev ? await startDevKms({ keyIds, stateDir: '.dev-kms', httpPort: 0 }) : null;
const kmsVars = !devKms
  ? {}
  : {
      aws: { KMS_BACKEND: 'aws', AWS_KMS_REGION: devKms.region, AWS_KMS_ACCESS_KEY_ID: devKms.accessKeyId, AWS_KMS_SECRET_ACCESS_KEY: devKms.secretAccessKey },
      vault: { KMS_BACKEND: 'vault', VAULT_TOKEN: devKms.vaultToken, VAULT_TRANSIT_MOUNT: devKms.vaultMount },
    }[kmsDev];

const https = process.env.HTTPS === '1';
const tls = { key: '.wrangler/dev-tls/key.pem', cert: '.wrangler/dev-tls/cert.pem' };
if (https && !existsSync(tls.cert)) {
  mkdirSync('.wrangler/dev-tls', { recursive: true });
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825',
    '-subj', '/CN=edge-sse local', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', tls.key, '-out', tls.cert,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (made.status !== 0) {
    console.error('HTTPS=1 needs openssl to make the local certificate (apt-get install openssl).');
    process.exit(1);
  }
}
// wrangler's own API rather than its CLI: the CLI always attaches the devtools inspector, and then
// every console.log (the access log: one line per request) travels through the inspector protocol
// to wrangler, costing about 3.5 ms of CPU per line on the machines of docs/PERFORMANCE.md. With
// the inspector off, workerd prints it (structured logs) and it costs a tenth of that.
const vars = { ALLOW_SSEC_OVER_HTTP: String(!https), ...kmsVars, ...(devKms ? { KMS_ENDPOINT: devKms.httpOrigin, KMS_DEFAULT_KEY_ID: devKms.defaultKeyId } : {}) };
let worker;
try {
  worker = await unstable_startWorker({
    config: 'wrangler.toml',
    bindings: Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: 'plain_text', value }])),
    dev: {
      server: { hostname: '127.0.0.1', port: Number(port), secure: https, ...(https ? { httpsKeyPath: tls.key, httpsCertPath: tls.cert } : {}) },
      inspector: false,
      // One write per line: wrangler's own handler also scans every line for stack frames to source-map.
      structuredLogsHandler: ({ level, message }) => void (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${message}\n`),
      ...(persistTo ? { persist: persistTo } : {}),
    },
  });
  await worker.ready;
} catch (e) {
  console.error(`wrangler's dev server did not start: ${e instanceof Error ? e.message : e}`);
  await devKms?.close();
  process.exit(1);
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await worker.dispose().catch(() => {});
    await devKms?.close();
    process.exit(0);
  });
}

const endpoint = `${https ? 'https' : 'http'}://127.0.0.1:${port}`;
const certificate = resolve(tls.cert);
for (let i = 0; i < 600; i++) {
  try {
    if (https) await new Promise((resolve, reject) => request(endpoint, { rejectUnauthorized: false }, resolve).on('error', reject).end());
    else await fetch(endpoint);
    console.log(`
edge-sse is running (local R2 and D1 under .wrangler/state; master key in .dev.vars)
  endpoint:          ${endpoint}
  region:            us-east-1
  access key id:     ${accessKeyId} (an administrator; more keys: npm run admin -- user create, docs/OPERATIONS.md)
  secret access key: ${secretAccessKey}
  KMS keys:          ${keyIds.join(', ')} (default ${keyIds[0]}; ${devKms ? `development KMS speaking ${kmsDev} at ${devKms.httpOrigin}, state in .dev-kms/` : 'built-in KMS, master keys in .dev.vars'})
  try:               AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey} aws --endpoint-url ${endpoint} s3 ls${
      https ? `\n  certificate:       ${certificate} (trust it: AWS_CA_BUNDLE=${certificate}, rclone --ca-cert ${certificate})` : ''
    }
`);
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 200));
  }
}
