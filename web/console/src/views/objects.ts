// A bucket's objects under a prefix (folders from the "/" delimiter), with uploads and deletes.
import { download } from '../download';
import { act, announce, formatBytes, formatDate, h } from '../dom';
import { type S3, S3Failure, children, text } from '../s3';
import type { SseChoice } from '../sse';
import { FileUpload, type Progress } from '../upload';
import { encryptionChoice } from './encryption-choice';
import { breadcrumbs, bucketTabs, route, title } from './layout';

export async function objectsView(s3: S3, bucket: string, prefix: string): Promise<HTMLElement> {
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const caption = h('caption');
  let token = '';
  let shown = 0;

  const load = async () => {
    const query: Record<string, string> = { 'list-type': '2', delimiter: '/', prefix, ...(token ? { 'continuation-token': token } : {}) };
    const doc = await s3.xml('GET', { bucket, query });
    const root = doc.documentElement;
    for (const p of children(root, 'CommonPrefixes')) {
      const folder = text(p, 'Prefix');
      body.append(
        h('tr', {}, h('td', { class: 'name' }, h('a', { href: route('bucket', { bucket, prefix: folder }) }, folder.slice(prefix.length))), h('td', { class: 'num' }, '—'), h('td', {}, h('span', { class: 'badge' }, 'folder')), h('td')),
      );
      shown++;
    }
    for (const o of children(root, 'Contents')) {
      body.append(objectRow(s3, bucket, prefix, text(o, 'Key'), Number(text(o, 'Size')), text(o, 'LastModified')));
      shown++;
    }
    token = text(root, 'NextContinuationToken');
    more.hidden = !token;
    caption.textContent = `${shown} item${shown === 1 ? '' : 's'}${token ? ' so far' : ''} in ${prefix || 'the bucket root'}`;
    table.hidden = shown === 0;
    empty.hidden = shown > 0;
  };
  const table = h(
    'table',
    {},
    caption,
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col' }, 'Last modified'), h('th', { scope: 'col', class: 'actions' }, 'Actions'))),
    body,
  );
  const empty = h('p', { class: 'empty' }, prefix ? 'Nothing under this prefix.' : 'This bucket is empty.');
  more.addEventListener('click', () => act(more, load));
  await load();

  const reload = async () => {
    body.replaceChildren();
    token = '';
    shown = 0;
    await load();
  };
  return h(
    'section',
    { 'aria-labelledby': 'view-title' },
    breadcrumbs(bucket, prefix),
    title(prefix ? `${bucket}/${prefix}` : bucket),
    bucketTabs(bucket, 'objects'),
    uploadPanel(s3, bucket, prefix, reload),
    table,
    empty,
    more,
  );
}

function objectRow(s3: S3, bucket: string, prefix: string, key: string, size: number, modified: string): HTMLTableRowElement {
  const name = key.slice(prefix.length);
  const get = h('button', { type: 'button', 'aria-label': `Download ${name}` }, 'Download');
  get.addEventListener('click', () => act(get, () => download(s3, bucket, key, null)));
  const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${name}` }, 'Delete');
  const row = h(
    'tr',
    {},
    h('td', { class: 'name' }, h('a', { href: route('object', { bucket, key }) }, name)),
    h('td', { class: 'num' }, formatBytes(size)),
    h('td', {}, formatDate(modified)),
    h('td', { class: 'actions' }, get, remove),
  );
  remove.addEventListener('click', () =>
    act(remove, async () => {
      if (!confirm(`Delete ${key}?`)) return;
      await s3.send('DELETE', { bucket, key });
      row.remove();
      announce(`Deleted ${key}.`);
    }),
  );
  return row;
}

function uploadPanel(s3: S3, bucket: string, prefix: string, reload: () => Promise<void>): HTMLElement {
  const files = h('input', { id: 'upload-files', type: 'file', multiple: true, required: true });
  const sse = encryptionChoice();
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Upload');
  const list = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  const form = h(
    'form',
    {
      class: 'panel',
      'aria-labelledby': 'upload-title',
      onsubmit: (e) => {
        e.preventDefault();
        void act(submit, async () => {
          const choice = sse.value();
          for (const file of Array.from(files.files ?? [])) list.prepend(uploadItem(s3, bucket, prefix + file.name, file, choice, reload));
          files.value = '';
        });
      },
    },
    h('h3', { id: 'upload-title' }, `Upload to ${prefix || 'the bucket root'}`),
    h('label', { for: 'upload-files' }, 'Files'),
    files,
    sse.element,
    h('div', { class: 'row' }, submit),
    list,
  );
  return form;
}

/** One upload's line: progress bar, state, and Resume / Abort after a failure. */
function uploadItem(s3: S3, bucket: string, key: string, file: File, choice: SseChoice, reload: () => Promise<void>): HTMLLIElement {
  const upload: FileUpload = new FileUpload(s3, bucket, key, file, choice, (p) => show(p));
  const id = `upload-${crypto.randomUUID()}`;
  const bar = h('progress', { id, max: upload.parts > 1 ? '100' : '1', value: '0' });
  const state = h('p', { class: 'state', role: 'status', 'aria-live': 'polite' }, 'Starting…');
  const resume = h('button', { type: 'button', hidden: true }, 'Resume');
  const abort = h('button', { type: 'button', class: 'danger', hidden: true }, 'Abort');
  const item = h('li', { class: 'running' }, h('label', { for: id }, upload.key, ' ', h('span', { class: 'badge' }, upload.multipart ? `multipart, ${upload.parts} parts of ${formatBytes(upload.partSize)}` : 'single request')), bar, state, h('div', { class: 'row' }, resume, abort));
  const show = (p: Progress) => {
    bar.max = p.total || 1;
    bar.value = p.total ? p.sent : p.partsDone;
    state.textContent = `${formatBytes(p.sent)} of ${formatBytes(p.total)}${upload.multipart ? ` (${p.partsDone} of ${p.parts} parts)` : ''}`;
  };
  const run = async () => {
    item.className = 'running';
    resume.hidden = abort.hidden = true;
    show(upload.progress());
    try {
      await upload.start();
      item.className = 'done';
      show(upload.progress());
      state.textContent = `Uploaded ${formatBytes(upload.progress().total)}.`;
      await reload();
    } catch (e) {
      item.className = 'failed';
      const { partsDone, parts } = upload.progress();
      const code = e instanceof S3Failure ? e.code : e instanceof Error ? e.name : 'Error';
      state.textContent = `Failed: ${code}: ${e instanceof Error ? e.message : String(e)}${upload.multipart ? ` — ${partsDone} of ${parts} parts are uploaded; Resume sends the rest.` : ''}`;
      resume.hidden = false;
      abort.hidden = !upload.multipart;
      resume.focus();
    }
  };
  resume.addEventListener('click', () => void run());
  abort.addEventListener('click', () =>
    act(abort, async () => {
      await upload.abort();
      item.remove();
      announce(`Aborted the upload of ${upload.key}.`);
    }),
  );
  void run();
  return item;
}
