// The per-upload encryption fieldset: bucket default, SSE-S3, SSE-KMS (key id) or SSE-C (a key pasted
// or generated here; offered only where keys may travel: HTTPS, or http to loopback in development).
import { h } from '../dom';
import { type SseChoice, customerKeysAllowed, generateCustomerKey, keyMemory, parseCustomerKey } from '../sse';

export interface EncryptionChoice {
  element: HTMLFieldSetElement;
  /** The chosen mode; throws (in words) on a bad SSE-C key. */
  value(): SseChoice;
}

export function encryptionChoice(): EncryptionChoice {
  const allowed = customerKeysAllowed(location);
  const radio = (value: string, label: string, checked = false, disabled = false) =>
    h('label', { class: 'inline' }, h('input', { type: 'radio', name: 'sse', value, checked, disabled }), label);
  const kmsKey = h('input', { id: 'kms-key-id', name: 'kmsKeyId', spellcheck: 'false', placeholder: 'the KMS default key' });
  const customerKey = h('input', { id: 'sse-c-key', name: 'sseCKey', type: 'password', spellcheck: 'false', autocomplete: 'off', value: keyMemory.value, disabled: !allowed });
  const reveal = h('button', { type: 'button', disabled: !allowed, 'aria-controls': 'sse-c-key', 'aria-pressed': 'false' }, 'Show');
  reveal.addEventListener('click', () => {
    const shown = customerKey.type === 'text';
    customerKey.type = shown ? 'password' : 'text';
    reveal.textContent = shown ? 'Show' : 'Hide';
    reveal.setAttribute('aria-pressed', String(!shown));
  });
  const generate = h('button', { type: 'button', disabled: !allowed }, 'Generate key');
  generate.addEventListener('click', () => {
    customerKey.value = generateCustomerKey();
    customerKey.type = 'text';
    reveal.textContent = 'Hide';
    (element.querySelector('input[value="SSE-C"]') as HTMLInputElement).checked = true;
  });
  const element = h(
    'fieldset',
    {},
    h('legend', {}, 'Encryption'),
    h(
      'div',
      {},
      radio('default', 'Bucket default', true),
      radio('SSE-S3', 'SSE-S3 (AES256)'),
      radio('SSE-KMS', 'SSE-KMS'),
      radio('SSE-C', 'SSE-C (your key)', false, !allowed),
    ),
    h('label', { for: 'kms-key-id' }, 'KMS key ID (SSE-KMS)'),
    kmsKey,
    h('label', { for: 'sse-c-key' }, 'SSE-C key (base64 of 32 bytes, or 32 characters)'),
    h('div', { class: 'row' }, customerKey, reveal, generate),
    h(
      'p',
      { class: 'hint', id: 'sse-c-hint' },
      allowed
        ? 'The key is sent only in SSE-C headers and is never stored here or by the service: keep a copy, or the object cannot be read again.'
        : 'SSE-C is unavailable: keys are sent only over HTTPS (or plain http to a local endpoint).',
    ),
  );
  customerKey.setAttribute('aria-describedby', 'sse-c-hint');
  return {
    element,
    value(): SseChoice {
      const mode = (element.querySelector('input[name=sse]:checked') as HTMLInputElement).value;
      if (mode === 'SSE-S3') return { mode };
      if (mode === 'SSE-KMS') return { mode, keyId: kmsKey.value.trim() };
      if (mode === 'SSE-C') {
        const key = parseCustomerKey(customerKey.value);
        keyMemory.value = customerKey.value.trim();
        return { mode, key };
      }
      return { mode: 'default' };
    },
  };
}
