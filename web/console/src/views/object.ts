// One object: HEAD with checksums, shown as encryption, size, ETag, checksums and metadata.
import { download } from '../download';
import { act, announce, formatBytes, formatDate, h, showError } from '../dom';
import { type S3, S3Failure } from '../s3';
import { customerKeyHeaders, customerKeysAllowed, keyMemory, parseCustomerKey } from '../sse';
import { breadcrumbs, route, title } from './layout';

const ENCRYPTION_NAMES: Record<string, string> = { AES256: 'SSE-S3 (AES256)', 'aws:kms': 'SSE-KMS (aws:kms)' };

export async function objectView(s3: S3, bucket: string, key: string): Promise<HTMLElement> {
  const facts = h('dl', { class: 'facts', 'aria-label': 'Object properties' });
  const keyInput = h('input', { id: 'read-sse-c-key', type: 'password', spellcheck: 'false', autocomplete: 'off', value: keyMemory.value, disabled: !customerKeysAllowed(location) });
  const useKey = h('button', { type: 'button' }, 'Read with this key');
  const get = h('button', { type: 'button', class: 'primary' }, 'Download');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
  const customerKey = () => (keyInput.value.trim() ? parseCustomerKey(keyInput.value) : null);

  const head = async () => {
    const key32 = customerKey();
    const response = await s3.send('HEAD', { bucket, key, headers: { 'x-amz-checksum-mode': 'ENABLED', ...(key32 ? customerKeyHeaders(key32) : {}) } });
    facts.replaceChildren(...describe(response.headers));
  };
  useKey.addEventListener('click', () => act(useKey, head));
  get.addEventListener('click', () => act(get, () => download(s3, bucket, key, customerKey())));
  remove.addEventListener('click', () =>
    act(remove, async () => {
      if (!confirm(`Delete ${key}?`)) return;
      await s3.send('DELETE', { bucket, key });
      announce(`Deleted ${key}.`);
      location.hash = route('bucket', { bucket, prefix: key.slice(0, key.lastIndexOf('/') + 1) });
    }),
  );
  try {
    await head();
  } catch (e) {
    // SSE-C objects answer HEAD without their key with 400/403: ask for the key instead of failing the view.
    if (!(e instanceof S3Failure) || (e.status !== 400 && e.status !== 403)) throw e;
    showError(new S3Failure(e.code, `${e.message} If this is an SSE-C object, enter its key below.`, e.status));
  }
  const folder = key.slice(0, key.lastIndexOf('/') + 1);
  return h(
    'section',
    { 'aria-labelledby': 'view-title' },
    breadcrumbs(bucket, folder),
    title(key),
    facts,
    h('div', { class: 'panel' }, h('label', { for: 'read-sse-c-key' }, 'SSE-C key (only for objects written with one)'), h('div', { class: 'row' }, keyInput, useKey)),
    h('div', { class: 'row' }, get, remove),
  );
}

function describe(headers: Headers): HTMLElement[] {
  const rows: Array<[string, string]> = [];
  const add = (label: string, value: string | null) => value && rows.push([label, value]);
  const customer = headers.get('x-amz-server-side-encryption-customer-algorithm');
  const sse = headers.get('x-amz-server-side-encryption');
  add('Encryption', customer ? `SSE-C (${customer})` : sse ? (ENCRYPTION_NAMES[sse] ?? sse) : 'none reported');
  add('KMS key ID', headers.get('x-amz-server-side-encryption-aws-kms-key-id'));
  add('Bucket key', headers.get('x-amz-server-side-encryption-bucket-key-enabled'));
  add('SSE-C key MD5', headers.get('x-amz-server-side-encryption-customer-key-md5'));
  const size = Number(headers.get('content-length') ?? 0);
  add('Size', `${formatBytes(size)} (${size.toLocaleString('en-US')} bytes)`);
  add('Last modified', formatDate(headers.get('last-modified') ?? ''));
  add('ETag', headers.get('etag'));
  add('Parts', headers.get('x-amz-mp-parts-count'));
  add('Content-Type', headers.get('content-type'));
  for (const algorithm of ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256']) add(`Checksum ${algorithm.toUpperCase()}`, headers.get(`x-amz-checksum-${algorithm}`));
  add('Checksum type', headers.get('x-amz-checksum-type'));
  for (const [name, value] of headers) if (name.startsWith('x-amz-meta-')) add(`Metadata ${name.slice(11)}`, value);
  return rows.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]);
}
