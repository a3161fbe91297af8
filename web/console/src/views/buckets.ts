// Buckets: list, create, delete.
import { act, announce, field, formatDate, h } from '../dom';
import { type S3, text } from '../s3';
import { route, title } from './layout';

export async function bucketsView(s3: S3, refresh: () => void): Promise<HTMLElement> {
  const doc = await s3.xml('GET');
  const buckets = Array.from(doc.getElementsByTagName('Bucket'), (b) => ({ name: text(b, 'Name'), created: text(b, 'CreationDate') }));
  const name = h('input', { id: 'new-bucket', name: 'bucket', required: true, spellcheck: 'false', pattern: '[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]' });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create bucket');
  const rows = buckets.map(({ name: bucket, created }) => {
    const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete bucket ${bucket}` }, 'Delete');
    remove.addEventListener('click', () =>
      act(remove, async () => {
        if (!confirm(`Delete the bucket ${bucket}? It must be empty.`)) return;
        await s3.send('DELETE', { bucket });
        announce(`Deleted bucket ${bucket}.`);
        refresh();
      }),
    );
    return h('tr', {}, h('td', { class: 'name' }, h('a', { href: route('bucket', { bucket }) }, bucket)), h('td', {}, formatDate(created)), h('td', { class: 'actions' }, remove));
  });
  return h(
    'section',
    { 'aria-labelledby': 'view-title' },
    title('Buckets'),
    h(
      'form',
      {
        class: 'row',
        onsubmit: (e) => {
          e.preventDefault();
          void act(create, async () => {
            await s3.send('PUT', { bucket: name.value.trim() });
            announce(`Created bucket ${name.value.trim()}.`);
            refresh();
          });
        },
      },
      h('div', {}, field('New bucket name', name, '3–63 characters: lowercase letters, digits, dots and hyphens.')),
      create,
    ),
    buckets.length
      ? h(
          'table',
          {},
          h('caption', {}, `${buckets.length} bucket${buckets.length === 1 ? '' : 's'}`),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col', class: 'actions' }, 'Actions'))),
          h('tbody', {}, ...rows),
        )
      : h('p', { class: 'empty' }, 'No buckets yet.'),
  );
}
