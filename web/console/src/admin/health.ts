// KMS key health: GET /_admin/health — dependencies reachable, and each KMS key that protects objects
// usable or not, with its object and upload counts (during a re-wrap, what is left under the old key).
import { act, h } from '../dom';
import type { S3 } from '../s3';
import type { AdminPanel } from './panels';

interface Check {
  ok: boolean;
  ms: number;
  error?: string;
}

interface HealthReport {
  ok: boolean;
  d1: Check;
  r2: Check;
  kms: Check & { defaultKeyId: string | null };
  keys: Array<{ kmsKeyId: string; default: boolean; state: string; error?: string; objects: number; uploads: number }>;
}

const checkText = (c: Check) => (c.ok ? `reachable (${c.ms} ms)` : `failing: ${c.error ?? 'unknown error'}`);

export const healthPanel: AdminPanel = {
  render(s3: S3): HTMLElement {
    const summary = h('p', { id: 'health-summary', 'aria-live': 'polite' });
    const body = h('tbody');
    const table = h(
      'table',
      { hidden: true },
      h('caption', {}, 'KMS keys that protect objects, and the default key'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key ID'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col', class: 'num' }, 'Objects'), h('th', { scope: 'col', class: 'num' }, 'Uploads'))),
      body,
    );
    const run = h('button', { type: 'button', class: 'primary' }, 'Check health');
    run.addEventListener('click', () =>
      act(run, async () => {
        const report = (await (await s3.send('GET', { path: '/_admin/health' })).json()) as HealthReport;
        summary.textContent = `${report.ok ? 'Healthy' : 'Unhealthy'}. D1 ${checkText(report.d1)}; R2 ${checkText(report.r2)}; KMS ${checkText(report.kms)}.`;
        body.replaceChildren(
          ...report.keys.map((k) =>
            h(
              'tr',
              {},
              h('td', { class: 'name' }, k.kmsKeyId, k.default ? ' ' : '', k.default ? h('span', { class: 'badge' }, 'default') : null),
              h('td', {}, k.state, k.error ? ` (${k.error})` : ''),
              h('td', { class: 'num' }, k.objects),
              h('td', { class: 'num' }, k.uploads),
            ),
          ),
        );
        table.hidden = false;
      }),
    );
    return h('section', { class: 'panel', 'aria-labelledby': 'health-title' }, h('h3', { id: 'health-title' }, 'KMS key health'), h('div', { class: 'row' }, run), summary, table);
  },
};
