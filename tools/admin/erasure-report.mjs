// `erasure-report --kms-key ID`: the objects a KMS key protects, and whether its loss (disabled,
// scheduled for deletion, deleted) made them unreadable (docs/OPERATIONS.md).
import { parseArgs } from 'node:util';
import { UsageError } from './client.mjs';

export const usage = `erasure-report --kms-key ID [--json]      the objects under KMS key ID and their count: unreadable
                                          once the key is disabled (locked) or deleted (erased)`;

const STATES = { usable: 'usable', locked: 'disabled or pending deletion', erased: 'deleted' };

export async function run(args, client) {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { 'kms-key': { type: 'string' }, json: { type: 'boolean' } } }));
  } catch (e) {
    throw new UsageError(e.message);
  }
  if (!values['kms-key']) throw new UsageError('erasure-report needs --kms-key ID');
  let after = null;
  let report;
  const objects = [];
  do {
    const q = new URLSearchParams({ kmsKeyId: values['kms-key'] });
    if (after) q.set('after', JSON.stringify(after));
    report = await client.request('GET', `erasure-report?${q}`);
    objects.push(...report.objects);
    after = report.next;
  } while (after);
  if (values.json) {
    console.log(JSON.stringify({ ...report, objects, next: null }));
    return 0;
  }
  const unreadable = report.state === 'locked' || report.state === 'erased';
  console.log(`KMS key ${report.kmsKeyId}: ${STATES[report.state] ?? `unknown (the KMS answered ${report.error})`}`);
  console.log(`${report.count} object(s) and ${report.uploads} upload(s) in progress ${unreadable ? 'are unreadable' : 'are protected by it'}`);
  for (const o of objects) console.log(`${o.bucket}/${o.key}\t${o.size}\t${new Date(o.lastModified).toISOString()}`);
  return 0;
}
