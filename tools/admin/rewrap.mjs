// `rewrap`: re-seals the KMS-sealed key material of every object, upload, bucket key and user
// secret under another KMS key without rewriting object data, in batches (POST /_admin/rewrap).
// Progress goes to stderr, the totals as JSON to stdout. Safe while traffic flows; stopped (an
// error, Ctrl-C), it prints the cursor to resume from. Rows the KMS cannot re-wrap are listed and
// make the exit status 3.
import { parseArgs } from 'node:util';
import { UsageError } from './client.mjs';

export const usage = `rewrap [--key-id ID] [--all] [--batch N] [--cursor C]
                                          re-wrap every KMS-sealed key under ID (default: the KMS's default key);
                                          --all also re-wraps keys already under ID (to its newest version);
                                          resumes from --cursor; exit status 3 when some rows could not be re-wrapped`;

const BAR_WIDTH = 30;

function progress(done, total, totals, cursor) {
  const counts = `re-wrapped ${totals.rewrapped}, skipped ${totals.skipped}, failed ${totals.failed}`;
  const where = cursor ? `; cursor '${cursor}'` : '; done';
  if (!process.stderr.isTTY || !total) return `examined ${done}${total ? `/${total}` : ''}, ${counts}${where}\n`;
  const filled = Math.round((BAR_WIDTH * Math.min(done, total)) / total);
  return `\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${counts}${cursor ? '' : ' done\n'}`;
}

export async function run(args, client) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { 'key-id': { type: 'string' }, all: { type: 'boolean', default: false }, batch: { type: 'string', default: '100' }, cursor: { type: 'string' } },
    }));
  } catch (e) {
    throw new UsageError(e.message);
  }
  const limit = Number(values.batch);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--batch must be an integer from 1 to 1000');
  const totals = { examined: 0, rewrapped: 0, skipped: 0, failed: 0, failures: [] };
  let cursor = values.cursor ?? null;
  let total = null;
  process.once('SIGINT', () => {
    process.stderr.write(`\ninterrupted${cursor ? `; resume with --cursor '${cursor}'` : ''}\n`);
    process.exit(130);
  });
  do {
    let report;
    try {
      report = await client.request('POST', 'rewrap', { targetKeyId: values['key-id'] ?? null, all: values.all, cursor, limit, count: total === null && cursor === null });
    } catch (e) {
      if (cursor) e.message += `\nresume with --cursor '${cursor}'`;
      throw e;
    }
    total ??= report.total ?? 0;
    for (const k of ['examined', 'rewrapped', 'skipped', 'failed']) totals[k] += report[k];
    totals.failures.push(...report.failures);
    cursor = report.cursor;
    process.stderr.write(progress(totals.examined, total, totals, cursor));
  } while (cursor);
  console.log(JSON.stringify(totals, null, 2));
  return totals.failed ? 3 : 0;
}
