// `audit verify | audit list`: the hash-chained audit log of key use (docs/OPERATIONS.md).
import { parseArgs } from 'node:util';
import { UsageError } from './client.mjs';

export const usage = `audit verify [--anchor N:HASH] [--json]   check the whole chain: every edited, removed or reordered entry;
                                          --anchor: entry N must still have the HASH a previous verify printed
                                          exit status 1 on any finding
audit list [--bucket B] [--key K] [--access-key A] [--kms-key ID] [--since T] [--until T] [--limit N]
                                          matching entries, one JSON object per line (T: ISO 8601 or ms)`;

const LIST_FILTERS = { bucket: 'bucket', key: 'key', 'access-key': 'accessKey', 'kms-key': 'kmsKeyId', since: 'since', until: 'until' };

function parsed(args, options) {
  try {
    return parseArgs({ args, options, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(e.message);
  }
}

export async function run(args, client) {
  const [command, ...rest] = args;
  if (command === 'verify') return verify(parsed(rest, { anchor: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }), client);
  if (command === 'list') return list(parsed(rest, { ...Object.fromEntries(Object.keys(LIST_FILTERS).map((k) => [k, { type: 'string' }])), limit: { type: 'string' } }), client);
  throw new UsageError(`audit ${command ?? ''}: the commands are audit verify and audit list`);
}

/** Page by page (the service checks --limit segments per request); the findings in words. */
async function verify(values, client) {
  const totals = { segments: 0, entries: 0, findings: [] };
  let from = null;
  let head;
  do {
    const q = new URLSearchParams({ ...(values.limit ? { limit: values.limit } : {}), ...(values.anchor ? { anchor: values.anchor } : {}) });
    if (from) q.set('from', JSON.stringify(from));
    const page = await client.request('GET', `audit/verify?${q}`);
    totals.segments += page.segments;
    totals.entries += page.entries;
    totals.findings.push(...page.findings);
    head = page.head;
    from = page.next;
  } while (from);
  if (values.json) console.log(JSON.stringify({ ok: totals.findings.length === 0, ...totals, head }));
  else {
    for (const f of totals.findings) console.log(describeFinding(f));
    console.log(
      totals.findings.length
        ? `audit log NOT intact: ${totals.findings.length} finding(s) in ${totals.entries} entries, ${totals.segments} segments`
        : `audit log intact: ${totals.entries} entries in ${totals.segments} segments`,
    );
    console.log(`head: ${head.n}:${head.hash} (keep it; a later \`audit verify --anchor ${head.n}:${head.hash}\` proves the log still holds it)`);
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

async function list(values, client) {
  const want = values.limit ? Number(values.limit) : Infinity;
  if (!(want > 0)) throw new UsageError('--limit must be a positive number');
  let after = null;
  let printed = 0;
  for (;;) {
    const q = new URLSearchParams();
    for (const [option, param] of Object.entries(LIST_FILTERS)) if (values[option] !== undefined) q.set(param, values[option]);
    q.set('limit', String(Math.min(1000, want - printed)));
    if (after !== null) q.set('after', String(after));
    const { entries } = await client.request('GET', `audit?${q}`);
    for (const e of entries) console.log(JSON.stringify(e));
    printed += entries.length;
    if (entries.length === 0 || printed >= want) return 0;
    after = entries.at(-1).n;
  }
}
