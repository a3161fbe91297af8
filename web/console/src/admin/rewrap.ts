// Re-wrap (key rotation): POST /_admin/rewrap in batches until the cursor runs out, with progress,
// Stop, and resume from the last cursor.
import { act, field, h } from '../dom';
import type { S3 } from '../s3';
import type { AdminPanel } from './panels';

interface RewrapReport {
  examined: number;
  rewrapped: number;
  skipped: number;
  cursor: string | null;
}

export const rewrapPanel: AdminPanel = {
  render(s3: S3): HTMLElement {
    const target = h('input', { id: 'rewrap-target', spellcheck: 'false', placeholder: 'the KMS default key' });
    const all = h('input', { id: 'rewrap-all', type: 'checkbox' });
    const batch = h('input', { id: 'rewrap-batch', type: 'number', min: '1', max: '1000', value: '100' });
    const cursor = h('input', { id: 'rewrap-cursor', spellcheck: 'false' });
    const start = h('button', { type: 'submit', class: 'primary' }, 'Start re-wrap');
    const stop = h('button', { type: 'button', disabled: true }, 'Stop');
    const bar = h('progress', { id: 'rewrap-progress', 'aria-label': 'Re-wrap batches' });
    bar.hidden = true;
    const report = h('output', { class: 'report', id: 'rewrap-report', 'aria-live': 'polite', for: 'rewrap-target' });
    let stopping = false;
    stop.addEventListener('click', () => {
      stopping = true;
      stop.disabled = true;
    });
    const form = h(
      'form',
      {
        class: 'panel',
        'aria-labelledby': 'rewrap-title',
        onsubmit: (e) => {
          e.preventDefault();
          void act(start, async () => {
            stopping = false;
            stop.disabled = false;
            bar.hidden = false;
            bar.removeAttribute('value');
            const totals = { batches: 0, examined: 0, rewrapped: 0, skipped: 0 };
            try {
              do {
                const body = JSON.stringify({ targetKeyId: target.value.trim() || undefined, all: all.checked, cursor: cursor.value.trim() || undefined, limit: Number(batch.value) });
                const response = await s3.send('POST', { path: '/_admin/rewrap', headers: { 'content-type': 'application/json' }, body });
                const r = (await response.json()) as RewrapReport;
                totals.batches++;
                totals.examined += r.examined;
                totals.rewrapped += r.rewrapped;
                totals.skipped += r.skipped;
                cursor.value = r.cursor ?? '';
                report.textContent = `${r.cursor ? (stopping ? 'Stopped' : 'Running') : 'Done'}: ${totals.batches} batch${totals.batches === 1 ? '' : 'es'}, ${totals.examined} examined, ${totals.rewrapped} re-wrapped, ${totals.skipped} skipped (changed meanwhile).${r.cursor ? ` Resume from cursor ${r.cursor}.` : ''}`;
              } while (cursor.value && !stopping);
            } finally {
              stop.disabled = true;
              bar.hidden = true;
            }
          });
        },
      },
      h('h3', { id: 'rewrap-title' }, 'Re-wrap keys'),
      h('p', { class: 'hint' }, 'Re-seals the keys of every SSE-S3 and SSE-KMS object, upload in progress and bucket key under another KMS key, without touching object data. Safe while traffic flows.'),
      field('Target KMS key ID', target, 'Empty: the KMS default key.'),
      h('label', { class: 'inline' }, all, 'Also re-wrap keys already under the target (move to its newest version)'),
      field('Batch size', batch),
      field('Resume from cursor', cursor, 'Filled in as batches finish; clear it to start over.'),
      h('div', { class: 'row' }, start, stop),
      bar,
      report,
    );
    return form;
  },
};
