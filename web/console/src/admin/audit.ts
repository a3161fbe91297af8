// Audit of key use: GET /_admin/audit (filters: bucket, key, access key, KMS key, time range) and
// GET /_admin/audit/verify (the hash chain: removed, reordered or edited entries).
import { act, formatDate, h } from '../dom';
import type { S3 } from '../s3';
import type { AdminPanel } from './panels';

interface Entry {
  n: number;
  time: number;
  action: string;
  outcome: string;
  mode: string | null;
  bucket: string | null;
  key: string | null;
  kmsKeyId: string | null;
  accessKey: string | null;
}

const FILTERS = [
  ['bucket', 'Bucket'],
  ['key', 'Object key'],
  ['accessKey', 'Access key'],
  ['kmsKeyId', 'KMS key ID'],
  ['since', 'Since (ISO 8601)'],
  ['until', 'Until (ISO 8601)'],
] as const;

export const auditPanel: AdminPanel = {
  render(s3: S3): HTMLElement {
    const inputs = FILTERS.map(([name, label]) => ({ name, label, input: h('input', { id: `audit-${name}`, name, spellcheck: 'false' }) }));
    const body = h('tbody');
    const table = h(
      'table',
      { hidden: true },
      h('caption', { id: 'audit-caption' }),
      h('thead', {}, h('tr', {}, ...['#', 'Time', 'Action', 'Outcome', 'Mode', 'Object', 'KMS key', 'Access key'].map((t) => h('th', { scope: 'col' }, t)))),
      body,
    );
    const verified = h('p', { id: 'audit-verify', 'aria-live': 'polite' });
    const search = h('button', { type: 'submit', class: 'primary' }, 'Search');
    const verify = h('button', { type: 'button' }, 'Verify chain');
    verify.addEventListener('click', () =>
      act(verify, async () => {
        const r = (await (await s3.send('GET', { path: '/_admin/audit/verify' })).json()) as { ok: boolean; entries: number; findings: Array<Record<string, unknown>>; next: unknown };
        const findings = r.findings.map((f) => Object.entries(f).map(([k, v]) => `${k} ${v}`).join(' ')).join('; ');
        verified.textContent = `${r.ok ? 'Chain intact' : 'Chain broken'}: ${r.entries} entries checked${r.next ? ' (more remain: use npm run admin -- audit verify)' : ''}${findings ? `. Findings: ${findings}` : ''}.`;
      }),
    );
    const form = h(
      'form',
      {
        class: 'panel',
        'aria-labelledby': 'audit-title',
        onsubmit: (e) => {
          e.preventDefault();
          void act(search, async () => {
            const query: Record<string, string> = { limit: '100' };
            for (const { name, input } of inputs) if (input.value.trim()) query[name] = input.value.trim();
            const { entries } = (await (await s3.send('GET', { path: '/_admin/audit', query })).json()) as { entries: Entry[] };
            body.replaceChildren(
              ...entries.map((e) =>
                h(
                  'tr',
                  {},
                  h('td', { class: 'num' }, e.n),
                  h('td', {}, formatDate(new Date(e.time).toISOString())),
                  h('td', {}, e.action),
                  h('td', {}, e.outcome),
                  h('td', {}, e.mode ?? ''),
                  h('td', { class: 'name' }, e.bucket ? `${e.bucket}/${e.key ?? ''}` : ''),
                  h('td', {}, e.kmsKeyId ?? ''),
                  h('td', {}, e.accessKey ?? ''),
                ),
              ),
            );
            table.querySelector('caption')!.textContent = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} (at most 100)`;
            table.hidden = false;
          });
        },
      },
      h('h3', { id: 'audit-title' }, 'Audit of key use'),
      h('div', { class: 'filters' }, ...inputs.map(({ label, input }) => h('div', {}, h('label', { for: input.id }, label), input))),
      h('div', { class: 'row' }, search, verify),
      verified,
      table,
    );
    return form;
  },
};
