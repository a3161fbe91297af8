// A bucket's CORS rules (Get/Put/DeleteBucketCors, S3's CORSConfiguration XML), edited as a form.
import { act, announce, h, showError } from '../dom';
import { type S3, S3Failure, base64, children, escapeXml } from '../s3';
import { md5 } from '../md5';
import { breadcrumbs, bucketTabs, title } from './layout';

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];

interface CorsRule {
  id: string;
  origins: string[];
  methods: string[];
  headers: string[];
  expose: string[];
  maxAge: string;
}

const values = (rule: Element, name: string) => children(rule, name).map((e) => e.textContent ?? '');

export function parseCors(doc: Document): CorsRule[] {
  return children(doc.documentElement, 'CORSRule').map((r) => ({
    id: values(r, 'ID')[0] ?? '',
    origins: values(r, 'AllowedOrigin'),
    methods: values(r, 'AllowedMethod'),
    headers: values(r, 'AllowedHeader'),
    expose: values(r, 'ExposeHeader'),
    maxAge: values(r, 'MaxAgeSeconds')[0] ?? '',
  }));
}

export function corsXml(rules: CorsRule[]): string {
  const each = (tag: string, list: string[]) => list.map((v) => `<${tag}>${escapeXml(v)}</${tag}>`).join('');
  const rule = (r: CorsRule) =>
    `<CORSRule>${r.id ? each('ID', [r.id]) : ''}${each('AllowedOrigin', r.origins)}${each('AllowedMethod', r.methods)}${each('AllowedHeader', r.headers)}${each('ExposeHeader', r.expose)}${r.maxAge ? each('MaxAgeSeconds', [r.maxAge]) : ''}</CORSRule>`;
  return `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules.map(rule).join('')}</CORSConfiguration>`;
}

const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);

export async function bucketCorsView(s3: S3, bucket: string, refresh: () => void): Promise<HTMLElement> {
  let rules: CorsRule[] = [];
  let state = '';
  try {
    rules = parseCors(await s3.xml('GET', { bucket, query: { cors: '' } }));
    state = `${rules.length} rule${rules.length === 1 ? '' : 's'}.`;
  } catch (e) {
    if (!(e instanceof S3Failure)) throw e;
    if (e.code === 'NoSuchCORSConfiguration') state = 'No CORS configuration: browsers on other origins cannot use this bucket.';
    else {
      showError(e);
      state = 'The CORS configuration could not be read.';
    }
  }
  const list = h('div', { id: 'cors-rules' });
  let counter = 0;
  const addRule = (rule: CorsRule) => list.append(ruleEditor(rule, ++counter));
  for (const rule of rules) addRule(rule);
  const add = h('button', { type: 'button' }, 'Add rule');
  add.addEventListener('click', () => {
    addRule({ id: '', origins: [], methods: ['GET'], headers: [], expose: [], maxAge: '' });
    (list.lastElementChild?.querySelector('textarea') as HTMLTextAreaElement | null)?.focus();
  });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save CORS');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete CORS configuration');
  remove.addEventListener('click', () =>
    act(remove, async () => {
      await s3.send('DELETE', { bucket, query: { cors: '' } });
      announce('CORS configuration deleted.');
      refresh();
    }),
  );
  const form = h(
    'form',
    {
      class: 'panel',
      'aria-labelledby': 'cors-title',
      onsubmit: (e) => {
        e.preventDefault();
        void act(save, async () => {
          const body = corsXml(Array.from(list.querySelectorAll<HTMLFieldSetElement>('fieldset.rule'), readRule));
          await s3.send('PUT', { bucket, query: { cors: '' }, headers: { 'content-type': 'application/xml', 'content-md5': base64(md5(new TextEncoder().encode(body))) }, body });
          announce('CORS configuration saved.');
          refresh();
        });
      },
    },
    h('h3', { id: 'cors-title' }, 'Cross-origin resource sharing'),
    h('p', { id: 'cors-state' }, state),
    list,
    h('div', { class: 'row' }, add, save, remove),
  );
  return h('section', { 'aria-labelledby': 'view-title' }, breadcrumbs(bucket, ''), title(bucket), bucketTabs(bucket, 'cors'), form);
}

function ruleEditor(rule: CorsRule, n: number): HTMLFieldSetElement {
  const area = (name: string, label: string, list: string[], hint: string) => {
    const id = `cors-${n}-${name}`;
    return [h('label', { for: id }, label), h('textarea', { id, name, 'aria-describedby': `${id}-hint` }, list.join('\n')), h('p', { class: 'hint', id: `${id}-hint` }, hint)];
  };
  const removeRule = h('button', { type: 'button', class: 'danger' }, `Remove rule ${n}`);
  const set = h(
    'fieldset',
    { class: 'rule' },
    h('legend', {}, `Rule ${n}`),
    h('label', { for: `cors-${n}-id` }, 'ID (optional)'),
    h('input', { id: `cors-${n}-id`, name: 'id', value: rule.id }),
    ...area('origins', 'Allowed origins', rule.origins, 'One per line, e.g. https://app.example.com; at most one * each.'),
    h('fieldset', {}, h('legend', {}, 'Allowed methods'), h('div', { class: 'methods' }, ...METHODS.map((m) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'method', value: m, checked: rule.methods.includes(m) }), m)))),
    ...area('headers', 'Allowed headers', rule.headers, 'Request headers a preflight may ask for, one per line; * for any.'),
    ...area('expose', 'Exposed headers', rule.expose, 'Response headers scripts may read, e.g. ETag, x-amz-server-side-encryption.'),
    h('label', { for: `cors-${n}-max-age` }, 'Max age (seconds)'),
    h('input', { id: `cors-${n}-max-age`, name: 'maxAge', type: 'number', min: '0', value: rule.maxAge }),
    h('div', { class: 'row' }, removeRule),
  );
  removeRule.addEventListener('click', () => set.remove());
  return set;
}

function readRule(set: HTMLFieldSetElement): CorsRule {
  const value = (name: string) => (set.querySelector(`[name=${name}]`) as HTMLInputElement | HTMLTextAreaElement).value;
  return {
    id: value('id').trim(),
    origins: lines(value('origins')),
    methods: Array.from(set.querySelectorAll<HTMLInputElement>('input[name=method]:checked'), (c) => c.value),
    headers: lines(value('headers')),
    expose: lines(value('expose')),
    maxAge: value('maxAge').trim(),
  };
}
