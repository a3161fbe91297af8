// npm run faults: the fault, kill, race and fuzz suite (test/faults) at full scale, then its figures
// as a table (docs/RELIABILITY.md keeps the latest). Exits non-zero on any test failure, any object
// lost, any referenced blob deleted, any torn read or any unexplained 5xx.
//   npm run faults              full run (every step × every fault, 10,000 fuzz cases per surface)
//   npm run faults -- --short   the short version `npm test` runs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const short = process.argv.includes('--short');
const report = mkdtempSync(join(tmpdir(), 'edge-sse-faults-'));
const started = Date.now();
const vitest = spawnSync(join(ROOT, 'node_modules/.bin/vitest'), ['run', 'test/faults/'], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, FAULTS: short ? 'short' : 'full', FAULTS_REPORT: report, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  timeout: 15 * 60_000,
});
const seconds = Math.round((Date.now() - started) / 1000);

const figures = {};
for (const f of readdirSync(report)) figures[f.replace(/\.json$/, '')] = JSON.parse(readFileSync(join(report, f), 'utf8'));
rmSync(report, { recursive: true, force: true });
const { inject = {}, kill = {}, races = {}, fuzz = {} } = figures;
const n = (v) => (v === undefined ? '—' : String(v));

const rows = [
  ['injected D1/R2/KMS faults', `${n(inject.faults)} injected`, `${n(inject.survived)} survived`, `${n(inject.lost)} objects lost`, `${n(inject.wronglyDeleted)} blobs wrongly deleted`],
  ['retried Complete after a fault', '', '', `${n(inject.completeRetryFailures)} not answered 200`, ''],
  ['SIGKILL mid-upload / mid-Complete', `${n(kill.kills)} kills, ${n(kill.restarts)} starts`, '', `${n(kill.lost)} objects lost`, `${n(kill.wronglyDeleted)} blobs wrongly deleted`],
  ['GC convergence', '', '', `${(inject.notConverged ?? 0) + (kill.notConverged ?? 0)} runs left orphans`, ''],
  ['races', `${n(races.raceRuns)} race runs`, `${n(races.reads)} reads`, `${n(races.tornReads)} torn reads`, `${n(races.failedReads)} failed reads, ${n(races.failedWrites)} failed writes`],
];
const surfaces = [...new Set(Object.keys(fuzz).map((k) => k.split('.')[0]))];
for (const s of surfaces) {
  const f = (k) => fuzz[`${s}.${k}`] ?? 0;
  rows.push([`fuzz: ${s}`, `${f('cases')} cases`, `${f('fiveXX')} 5xx`, `${f('forgeries')} accepted unauthenticated, ${f('leaks')} leaks`, `${f('wrong')} wrong answers, ${f('crashes')} no answer`]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`\nedge-sse fault suite (${short ? 'short' : 'full'} run, ${seconds} s)\n`);
for (const r of rows) console.log(`| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`);

const fuzzBad = surfaces.reduce((t, s) => t + (fuzz[`${s}.fiveXX`] ?? 0) + (fuzz[`${s}.forgeries`] ?? 0) + (fuzz[`${s}.leaks`] ?? 0) + (fuzz[`${s}.crashes`] ?? 0), 0);
const losses = (inject.lost ?? 0) + (inject.wronglyDeleted ?? 0) + (kill.lost ?? 0) + (kill.wronglyDeleted ?? 0) + (races.tornReads ?? 0);
if (losses || fuzzBad || vitest.status !== 0) {
  console.error(`\nFAILED: ${losses} losses or torn reads, ${fuzzBad} fuzz failures, vitest exit ${vitest.status ?? vitest.signal}`);
  process.exit(1);
}
