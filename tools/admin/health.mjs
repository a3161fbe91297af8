// `health`: the administrators' health report (GET /_admin/health; docs/OPERATIONS.md).
import { parseArgs } from 'node:util';
import { UsageError } from './client.mjs';

export const usage = `health [--json]                           D1, R2 and the KMS reachable, each KMS key usable with its object
                                          count, GC backlog, audit head; exit status 1 when unhealthy`;

export async function run(args, client) {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean' } } }));
  } catch (e) {
    throw new UsageError(e.message);
  }
  const report = await client.request('GET', 'health');
  if (values.json) console.log(JSON.stringify(report));
  else {
    const check = (name, c) => `${name}: ${c.ok ? 'ok' : `FAILING (${c.error})`} in ${c.ms} ms`;
    console.log(check('D1', report.d1));
    console.log(check('R2', report.r2));
    console.log(`${check('KMS', report.kms)}, default key ${report.kms.defaultKeyId}`);
    for (const k of report.keys) console.log(`  key ${k.kmsKeyId}${k.default ? ' (default)' : ''}: ${k.state}, ${k.objects} object(s), ${k.uploads} upload(s)`);
    if (report.gc) console.log(`GC: ${report.gc.trashedBlobs} blob(s) in the trash, ${report.gc.uploadsInProgress} upload(s) in progress, orphan sweep ${report.gc.orphanSweep}`);
    console.log(`${check('audit log (R2)', report.audit)}${report.audit.head ? `, ${report.audit.head.n} entries, head ${report.audit.head.n}:${report.audit.head.hash}` : ''}`);
    const last = report.scrub?.lastPass;
    if (last) {
      const named = last.damagedObjects.map((d) => `${d.bucket}/${d.key}`).join(', ');
      console.log(`scrub: last pass ended ${new Date(last.finishedAt).toISOString()}, ${last.examined} object(s), ${last.damaged} damaged${named ? ` (${named})` : ''}, ${last.skipped} SSE-C skipped`);
    } else console.log(`scrub: no complete pass yet${report.scrub?.current ? ` (${report.scrub.current.examined} object(s) so far)` : ''}`);
    console.log(report.ok ? 'healthy' : 'UNHEALTHY');
  }
  return report.ok ? 0 : 1;
}
