// The console: hash routes (#/, #/bucket?bucket=&prefix=, #/object?bucket=&key=, #/encryption?bucket=,
// #/cors?bucket=, #/admin) rendered into <main>; sign-in first when no key is held.
import { announce, clearError, h, showError } from './dom';
import { S3 } from './s3';
import { clearCredentials, loadCredentials } from './session';
import { keyMemory } from './sse';
import { adminView } from './views/admin';
import { bucketCorsView } from './views/bucket-cors';
import { bucketEncryptionView } from './views/bucket-encryption';
import { bucketsView } from './views/buckets';
import { objectView } from './views/object';
import { objectsView } from './views/objects';
import { signInView } from './views/signin';

const main = document.getElementById('main')!;
const account = document.getElementById('account')!;
let s3: S3 | null = null;
/** Ignores a slow view that finished after the person moved on. */
let generation = 0;

async function render(): Promise<void> {
  const mine = ++generation;
  clearError();
  const saved = s3 ?? (loadCredentials() && new S3(loadCredentials()!));
  s3 = saved || null;
  account.hidden = !s3;
  document.getElementById('who')!.textContent = s3?.credentials.accessKeyId ?? '';
  if (!s3) return show(signInView((signedIn) => ((s3 = signedIn), void render())), mine);
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const params = new URLSearchParams(query);
  const bucket = params.get('bucket') ?? '';
  main.setAttribute('aria-busy', 'true');
  try {
    const view =
      path === 'bucket' ? await objectsView(s3, bucket, params.get('prefix') ?? '')
      : path === 'object' ? await objectView(s3, bucket, params.get('key') ?? '')
      : path === 'encryption' ? await bucketEncryptionView(s3, bucket, () => void render())
      : path === 'cors' ? await bucketCorsView(s3, bucket, () => void render())
      : path === 'admin' ? adminView(s3)
      : await bucketsView(s3, () => void render());
    show(view, mine);
  } catch (e) {
    if (mine !== generation) return;
    show(h('p', { class: 'empty' }, h('a', { href: '#/' }, 'Back to buckets')), mine);
    showError(e);
  } finally {
    main.removeAttribute('aria-busy');
  }
}

/** Puts a view in place and moves focus to its heading, so keyboard and screen-reader users land there. */
function show(view: HTMLElement, mine: number): void {
  if (mine !== generation) return;
  main.replaceChildren(view);
  (main.querySelector('#view-title') as HTMLElement | null)?.focus();
}

document.getElementById('sign-out')!.addEventListener('click', () => {
  clearCredentials();
  keyMemory.value = '';
  s3 = null;
  location.hash = '#/';
  void render();
});
// WebCrypto (request signing) exists only in secure contexts: HTTPS, or http to loopback.
if (window.isSecureContext) {
  window.addEventListener('hashchange', () => {
    announce('');
    void render();
  });
  void render();
} else {
  showError(Object.assign(new Error('The console runs only over HTTPS (or plain http to 127.0.0.1 or localhost in development): it signs requests with WebCrypto, and secrets must not travel in clear.'), { name: 'InsecureOrigin' }));
}
