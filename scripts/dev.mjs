#!/usr/bin/env node
// `npm run dev`: the local endpoint on the embedded default — local R2 and D1 (persisted under
// .wrangler/), the schema migrated, `wrangler dev` behind the loopback front (front.mjs) on
// 127.0.0.1:$PORT. Prints the endpoint and credentials once it answers. Honours PORT, ACCESS_KEY_ID
// and SECRET_ACCESS_KEY.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { startFront } from './front.mjs';

const port = process.env.PORT || '8787';
const accessKeyId = process.env.ACCESS_KEY_ID || 'EDGESSEDEVACCESSKEY1';
const secretAccessKey = process.env.SECRET_ACCESS_KEY || 'edge-sse-dev-secret-access-key-change-me';
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

// The built-in KMS master key of this checkout: generated once, kept in .dev.vars (wrangler dev's
// local secrets file, git-ignored). Losing it makes the local objects unreadable.
const devVars = existsSync('.dev.vars') ? readFileSync('.dev.vars', 'utf8') : '';
if (!/^MASTER_KEY=/m.test(devVars)) {
  writeFileSync('.dev.vars', `${devVars}MASTER_KEY=dev-local:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
}

const migrate = spawnSync('wrangler', ['d1', 'migrations', 'apply', 'DB', '--local'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const workerPort = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(String(free)));
  });
});
const dev = spawn(
  'wrangler',
  ['dev', '--ip', '127.0.0.1', '--port', workerPort, '--var', `CREDENTIALS:${accessKeyId}:${secretAccessKey}`, '--var', 'ALLOW_SSEC_OVER_HTTP:true', '--show-interactive-dev-session=false'],
  { env, stdio: ['ignore', 'inherit', 'inherit'] },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code) => process.exit(code ?? 0));

const worker = `http://127.0.0.1:${workerPort}`;
for (let i = 0; i < 600; i++) {
  try {
    await fetch(worker);
    const { origin: endpoint } = await startFront(worker, { port: Number(port) });
    console.log(`
edge-sse is running (local R2 and D1 under .wrangler/state; master key in .dev.vars)
  endpoint:          ${endpoint}
  region:            us-east-1
  access key id:     ${accessKeyId}
  secret access key: ${secretAccessKey}
  try:               AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey} aws --endpoint-url ${endpoint} s3 ls
`);
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 200));
  }
}
