// Sign-in: the key is checked with ListBuckets before it is kept (a wrong secret is refused by S3).
import { act, field, h } from '../dom';
import { type Credentials, S3 } from '../s3';
import { saveCredentials } from '../session';

export function signInView(onSignedIn: (s3: S3) => void): HTMLElement {
  const accessKeyId = h('input', { id: 'access-key-id', name: 'accessKeyId', required: true, autocomplete: 'username', spellcheck: 'false' });
  const secret = h('input', { id: 'secret-access-key', name: 'secretAccessKey', type: 'password', required: true, autocomplete: 'off' });
  const region = h('input', { id: 'region', name: 'region', value: 'us-east-1', required: true, spellcheck: 'false' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'panel signin',
      'aria-labelledby': 'view-title',
      onsubmit: (e) => {
        e.preventDefault();
        void act(submit, async () => {
          const credentials: Credentials = { accessKeyId: accessKeyId.value.trim(), secretAccessKey: secret.value, region: region.value.trim() };
          const s3 = new S3(credentials);
          await s3.send('GET');
          saveCredentials(credentials);
          onSignedIn(s3);
        });
      },
    },
    h('h2', { id: 'view-title', tabindex: '-1' }, 'Sign in'),
    h('p', { class: 'hint' }, 'Requests are signed in this page; the secret stays in this browser tab (session storage) and is never sent.'),
    field('Access key ID', accessKeyId),
    field('Secret access key', secret),
    field('Region', region),
    h('div', { class: 'row' }, submit),
  );
  return form;
}
