// Shared pieces of the bucket views: title, breadcrumbs and the Objects / Encryption / CORS tabs.
import { h } from '../dom';

export const route = (view: string, params: Record<string, string> = {}): string => {
  const query = new URLSearchParams(params).toString();
  return `#/${view}${query ? `?${query}` : ''}`;
};

export function title(text: string): HTMLHeadingElement {
  return h('h2', { id: 'view-title', tabindex: '-1' }, text);
}

export function bucketTabs(bucket: string, current: 'objects' | 'encryption' | 'cors'): HTMLElement {
  const tab = (view: typeof current, label: string) =>
    h('a', { href: route(view === 'objects' ? 'bucket' : view, { bucket }), 'aria-current': view === current ? 'page' : false }, label);
  return h('nav', { class: 'tabs', 'aria-label': 'Bucket' }, tab('objects', 'Objects'), tab('encryption', 'Default encryption'), tab('cors', 'CORS'));
}

/** Buckets / bucket / each folder of the prefix, as links. */
export function breadcrumbs(bucket: string, prefix: string): HTMLElement {
  const items = [h('li', {}, h('a', { href: route('') }, 'Buckets')), h('li', {}, h('a', { href: route('bucket', { bucket }) }, bucket))];
  let path = '';
  for (const part of prefix.split('/').filter((p, i, all) => p || i < all.length - 1)) {
    path += `${part}/`;
    items.push(h('li', {}, h('a', { href: route('bucket', { bucket, prefix: path }) }, `${part}/`)));
  }
  items.at(-1)!.firstElementChild!.setAttribute('aria-current', 'page');
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('ol', {}, ...items));
}
