// HashiCorp Vault / OpenBao transit engine: datakey/plaintext, decrypt, rewrap, encrypt and keys/{name}
// under a mount, authenticated by X-Vault-Token; errors as {"errors": [...]}. The encryption context
// travels as transit's `context`, which binds only with a derived key (`derived=true`): describeKey
// refuses any other, because Vault would silently ignore the context.
import type { KeyBinding } from '../crypto/keys';
import { type JsonObject, bytesField, jsonOf, objectField, stringField } from './answer';
import { toBase64 } from './base64';
import { canonicalContext, encryptionContext } from './context';
import { type CallPolicy, DEFAULT_CALL_POLICY, type Fetcher, type KmsAnswer, callKms } from './http';
import { type ClientContext, type DataKey, type KeyStatus, type Kms, KmsError, type SealedDataKey } from './kms';
import { checkDataKey } from './plaintext';

export interface VaultOptions {
  /** e.g. https://vault.example.com:8200 */
  endpoint: string;
  token: string;
  /** Path the transit engine is mounted at (default "transit"). */
  mount?: string;
  /** Vault Enterprise / OpenBao namespace, sent as X-Vault-Namespace. */
  namespace?: string;
  defaultKeyId: string;
  fetcher: Fetcher;
  policy?: CallPolicy;
}

type Operation = 'datakey/plaintext' | 'decrypt' | 'rewrap' | 'encrypt' | 'keys';

const utf8 = new TextEncoder();

export class VaultKms implements Kms {
  readonly defaultKeyId: string;

  constructor(private readonly options: VaultOptions) {
    this.defaultKeyId = options.defaultKeyId;
  }

  async generateDataKey(keyId: string, binding: KeyBinding, clientContext?: ClientContext): Promise<DataKey> {
    const what = `Vault datakey ${keyId}`;
    const data = await this.call('datakey/plaintext', keyId, what, { context: contextField(binding, clientContext) });
    return { plaintext: checkDataKey(bytesField(data, 'plaintext', what), what), sealed: utf8.encode(stringField(data, 'ciphertext', what)), keyId };
  }

  async decryptDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding, clientContext?: ClientContext): Promise<Uint8Array> {
    const what = `Vault decrypt ${keyId}`;
    const data = await this.call('decrypt', keyId, what, { ciphertext: new TextDecoder().decode(sealed), context: contextField(binding, clientContext) });
    return checkDataKey(bytesField(data, 'plaintext', what), what);
  }

  /** Within one key, transit's rewrap (to its newest version) never reveals the data key; across keys it must pass through. */
  async rewrapDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding, newKeyId: string, clientContext?: ClientContext): Promise<SealedDataKey> {
    const context = contextField(binding, clientContext);
    if (newKeyId === keyId) {
      const what = `Vault rewrap ${keyId}`;
      const data = await this.call('rewrap', keyId, what, { ciphertext: new TextDecoder().decode(sealed), context });
      return { sealed: utf8.encode(stringField(data, 'ciphertext', what)), keyId };
    }
    const plaintext = await this.decryptDataKey(keyId, sealed, binding, clientContext);
    const what = `Vault encrypt ${newKeyId}`;
    const data = await this.call('encrypt', newKeyId, what, { plaintext: toBase64(plaintext), context });
    return { sealed: utf8.encode(stringField(data, 'ciphertext', what)), keyId: newKeyId };
  }

  async describeKey(keyId: string): Promise<KeyStatus> {
    const what = `Vault read key ${keyId}`;
    const data = await this.call('keys', keyId, what);
    if (data.derived !== true) {
      throw new KmsError('not-configured', `${what}: transit key ${keyId} is not derived (derived=true), so it cannot bind the encryption context`);
    }
    return { keyId, enabled: data.supports_encryption !== false };
  }

  /** The answer's `data` object. */
  private async call(operation: Operation, keyId: string, what: string, body?: JsonObject): Promise<JsonObject> {
    const { endpoint, token, mount = 'transit', namespace, fetcher, policy = DEFAULT_CALL_POLICY } = this.options;
    const url = `${endpoint.replace(/\/+$/, '')}/v1/${mount.replace(/^\/+|\/+$/g, '')}/${operation}/${encodeURIComponent(keyId)}`;
    const headers: Record<string, string> = { 'x-vault-token': token };
    if (namespace) headers['x-vault-namespace'] = namespace;
    const build = async () =>
      body
        ? new Request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
        : new Request(url, { method: 'GET', headers });
    const answer = await callKms(fetcher, build, policy, what);
    if (answer.status === 200) return objectField(jsonOf(answer), 'data', what);
    throw vaultError(answer, operation, what);
  }
}

function contextField(binding: KeyBinding, clientContext?: ClientContext): string {
  return toBase64(canonicalContext(encryptionContext(binding, clientContext)));
}

function vaultError(answer: KmsAnswer, operation: Operation, what: string): KmsError {
  const errors = jsonOf(answer)?.errors;
  const text = Array.isArray(errors) ? errors.join('; ') : answer.body;
  const message = `${what}: ${text.slice(0, 200) || 'error'} (HTTP ${answer.status})`;
  if (answer.status === 401 || answer.status === 403) return new KmsError('access-denied', message);
  // Reading a missing key is a 404; using one is a 400 "encryption key not found" (older: "policy not found").
  if (answer.status === 404 || (answer.status === 400 && /not found/i.test(text))) return new KmsError('key-not-found', message);
  // Transit answers a ciphertext that fails authentication (or is not its own) with a 400.
  if (answer.status === 400 && (operation === 'decrypt' || operation === 'rewrap')) return new KmsError('not-authentic', message);
  return new KmsError('rejected', message);
}
