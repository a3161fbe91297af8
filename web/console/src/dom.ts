// A tiny element builder: text always goes in as text nodes (keys and bucket names are user data).
import { S3Failure } from './s3';

type Child = Node | string | number | null | undefined | false;
type Prop = string | number | boolean | null | undefined | ((event: Event) => void);

/** `h('button', { type: 'button', onclick: f }, 'Save')`: attributes, `on*` listeners, children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, Prop> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value != null) el.setAttribute(name, String(value));
  }
  el.append(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === 'number' ? String(c) : c)));
  return el;
}

const byId = (id: string) => document.getElementById(id)!;

/** Polite announcement in the status line (progress, "Saved"). */
export function announce(text: string): void {
  byId('status').textContent = text;
}

/** Shows an error as S3 gives it: code and message. */
export function showError(e: unknown): void {
  const box = byId('error');
  const failure = e instanceof S3Failure ? e : null;
  const code = failure?.code ?? (e instanceof Error ? e.name : 'Error');
  const message = e instanceof Error ? e.message : String(e);
  box.replaceChildren(h('code', {}, code), ': ', message);
  box.hidden = false;
}

export function clearError(): void {
  const box = byId('error');
  box.hidden = true;
  box.replaceChildren();
}

/** Runs an action from a button or form: clears the last error, shows a new one, re-enables the control. */
export async function act(control: HTMLButtonElement | null, work: () => Promise<void>): Promise<void> {
  clearError();
  if (control) control.disabled = true;
  try {
    await work();
  } catch (e) {
    showError(e);
  } finally {
    if (control) control.disabled = false;
  }
}

/** A labelled input: the label's `for` points at the control. */
export function field(label: string, control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, hint?: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  const hintEl = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  fragment.append(h('label', { for: control.id }, label), control, ...(hintEl ? [hintEl] : []));
  return fragment;
}

export const formatBytes = (n: number): string => {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
};

export const formatDate = (iso: string): string => (iso ? new Date(iso).toLocaleString() : '');
