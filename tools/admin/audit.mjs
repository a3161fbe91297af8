// Admin CLI commands of the audit log, the erasure report and health (docs/OPERATIONS.md). Each takes
// `call(path)`: a signed GET of the service's /_admin/<path> answering parsed JSON (throwing with the
// service's error in words), and `args`: the command's parsed options. Each returns the exit status.

/**
 * `audit verify [--anchor N:HASH] [--limit SEGMENTS]`: checks the whole chain, page by page, and that
 * entry N still has the hash a previous verify printed; 1 when anything is wrong.
 */
export async function auditVerify(call, args, out = console) {
  let from = null;
  const totals = { segments: 0, entries: 0, findings: [] };
  let head;
  do {
    const q = new URLSearchParams({ ...(args.limit ? { limit: args.limit } : {}), ...(args.anchor ? { anchor: args.anchor } : {}) });
    if (from) q.set('from', JSON.stringify(from));
    const page = await call(`audit/verify?${q}`);
    totals.segments += page.segments;
    totals.entries += page.entries;
    totals.findings.push(...page.findings);
    head = page.head;
    from = page.next;
  } while (from);
  if (args.json) out.log(JSON.stringify({ ok: totals.findings.length === 0, ...totals, head }));
  else {
    for (const f of totals.findings) out.log(describeFinding(f));
    out.log(
      totals.findings.length
        ? `audit log NOT intact: ${totals.findings.length} finding(s) in ${totals.entries} entries, ${totals.segments} segments`
        : `audit log intact: ${totals.entries} entries in ${totals.segments} segments`,
    );
    out.log(`head: ${head.n}:${head.hash} (keep it; a later \`audit verify --anchor ${head.n}:${head.hash}\` proves the log still holds it)`);
  }
  return totals.findings.length ? 1 : 0;
}

export function describeFinding(f) {
  switch (f.problem) {
    case 'edited':
      return `entry ${f.n} was edited (its hash does not match its contents)`;
    case 'removed':
      return f.from === f.to ? `entry ${f.from} was removed` : `entries ${f.from} to ${f.to} were removed`;
    case 'reordered':
      return `entry ${f.n} was moved (it comes after entry ${f.after})`;
    case 'unlinked':
      return `entry ${f.n} does not follow the entry before it (that entry was rewritten or replaced)`;
    case 'segment-missing':
      return `segment ${f.seq} was removed`;
    case 'segment-unreadable':
      return `segment ${f.seq} is not readable (edited)`;
    case 'anchor-mismatch':
      return `entry ${f.n} no longer has the hash you kept: the log was rewritten`;
    case 'anchor-missing':
      return `entry ${f.n}, which you kept, is no longer in the log: the log was cut back or rewritten`;
    default:
      return JSON.stringify(f);
  }
}

const LIST_FILTERS = { bucket: 'bucket', key: 'key', 'access-key': 'accessKey', 'kms-key': 'kmsKeyId', since: 'since', until: 'until' };

/** `audit list [--bucket B] [--key K] [--access-key A] [--kms-key ID] [--since T] [--until T] [--limit N]`: one JSON entry per line. */
export async function auditList(call, args, out = console) {
  const want = args.limit ? Number(args.limit) : Infinity;
  let after = null;
  let printed = 0;
  for (;;) {
    const q = new URLSearchParams();
    for (const [option, param] of Object.entries(LIST_FILTERS)) if (args[option] !== undefined) q.set(param, args[option]);
    q.set('limit', String(Math.min(1000, want - printed)));
    if (after !== null) q.set('after', String(after));
    const { entries } = await call(`audit?${q}`);
    for (const e of entries) out.log(JSON.stringify(e));
    printed += entries.length;
    if (entries.length === 0 || printed >= want) return 0;
    after = entries.at(-1).n;
  }
}

/** `erasure-report --kms-key ID`: the objects the key protects and whether they are still readable. */
export async function erasureReport(call, args, out = console) {
  if (!args['kms-key']) throw new Error('erasure-report needs --kms-key ID');
  let after = null;
  let report;
  const objects = [];
  do {
    const q = new URLSearchParams({ kmsKeyId: args['kms-key'] });
    if (after) q.set('after', JSON.stringify(after));
    report = await call(`erasure-report?${q}`);
    objects.push(...report.objects);
    after = report.next;
  } while (after);
  if (args.json) {
    out.log(JSON.stringify({ ...report, objects, next: null }));
    return 0;
  }
  const unreadable = report.state === 'locked' || report.state === 'erased';
  const states = { usable: 'usable', locked: 'disabled or pending deletion', erased: 'deleted', unknown: `unknown (${report.error})` };
  out.log(`KMS key ${report.kmsKeyId}: ${states[report.state]}`);
  out.log(`${report.count} object(s) and ${report.uploads} upload(s) in progress ${unreadable ? 'are unreadable' : 'are protected by it'}`);
  for (const o of objects) out.log(`${o.bucket}/${o.key}\t${o.size}\t${new Date(o.lastModified).toISOString()}`);
  return 0;
}

/** `health`: the administrators' health report; 1 when anything is unhealthy. */
export async function health(call, args, out = console) {
  const report = await call('health', { acceptStatus: [503] });
  if (args.json) out.log(JSON.stringify(report));
  else {
    const check = (name, c) => `${name}: ${c.ok ? 'ok' : `FAILING (${c.error})`} in ${c.ms} ms`;
    out.log(check('D1', report.d1));
    out.log(check('R2', report.r2));
    out.log(`${check('KMS', report.kms)}, default key ${report.kms.defaultKeyId}`);
    for (const k of report.keys) out.log(`  key ${k.kmsKeyId}${k.default ? ' (default)' : ''}: ${k.state}, ${k.objects} object(s), ${k.uploads} upload(s)`);
    if (report.gc) out.log(`GC: ${report.gc.trashedBlobs} blob(s) in the trash, ${report.gc.uploadsInProgress} upload(s) in progress, orphan sweep ${report.gc.orphanSweep}`);
    if (report.audit) out.log(`audit: ${report.audit.n} entries, head ${report.audit.hash}`);
    out.log(report.ok ? 'healthy' : 'UNHEALTHY');
  }
  return report.ok ? 0 : 1;
}

/** Command names as typed after `npm run admin --`, with the options each takes (node:util parseArgs). */
export const COMMANDS = {
  'audit verify': { run: auditVerify, options: { anchor: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } } },
  'audit list': {
    run: auditList,
    options: { ...Object.fromEntries(Object.keys(LIST_FILTERS).map((k) => [k, { type: 'string' }])), limit: { type: 'string' } },
  },
  'erasure-report': { run: erasureReport, options: { 'kms-key': { type: 'string' }, json: { type: 'boolean' } } },
  health: { run: health, options: { json: { type: 'boolean' } } },
};
