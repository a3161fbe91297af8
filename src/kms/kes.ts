// MinIO KES, API v1 (/v1/key/generate|decrypt|encrypt|describe/{name}): JSON with base64 fields,
// errors as {"message"} with an HTTP status. KES knows this service by its TLS client certificate,
// so `fetcher` must present one (on Workers: an mtls_certificates binding's fetch).
import type { KeyBinding } from '../crypto/keys';
import { type JsonObject, bytesField, jsonOf } from './answer';
import { toBase64 } from './base64';
import { canonicalContext, encryptionContext } from './context';
import { type CallPolicy, DEFAULT_CALL_POLICY, type Fetcher, type KmsAnswer, callKms } from './http';
import { type ClientContext, type DataKey, type KeyStatus, type Kms, KmsError, type SealedDataKey } from './kms';
import { checkDataKey } from './plaintext';

export interface KesOptions {
  /** Origin (and optional path prefix) of the KES server, e.g. https://kes.example.com:7373 */
  endpoint: string;
  defaultKeyId: string;
  fetcher: Fetcher;
  policy?: CallPolicy;
}

type Operation = 'generate' | 'decrypt' | 'encrypt' | 'describe';

export class KesKms implements Kms {
  readonly defaultKeyId: string;

  constructor(private readonly options: KesOptions) {
    this.defaultKeyId = options.defaultKeyId;
  }

  async generateDataKey(keyId: string, binding: KeyBinding, clientContext?: ClientContext): Promise<DataKey> {
    const json = await this.call('generate', keyId, { context: contextField(binding, clientContext) });
    const what = `KES generate ${keyId}`;
    return { plaintext: checkDataKey(bytesField(json, 'plaintext', what), what), sealed: bytesField(json, 'ciphertext', what), keyId };
  }

  async decryptDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding, clientContext?: ClientContext): Promise<Uint8Array> {
    const json = await this.call('decrypt', keyId, { ciphertext: toBase64(sealed), context: contextField(binding, clientContext) });
    const what = `KES decrypt ${keyId}`;
    return checkDataKey(bytesField(json, 'plaintext', what), what);
  }

  /** KES has no re-encrypt: the data key passes through this worker, as on every read. */
  async rewrapDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding, newKeyId: string, clientContext?: ClientContext): Promise<SealedDataKey> {
    const plaintext = await this.decryptDataKey(keyId, sealed, binding, clientContext);
    const json = await this.call('encrypt', newKeyId, { plaintext: toBase64(plaintext), context: contextField(binding, clientContext) });
    return { sealed: bytesField(json, 'ciphertext', `KES encrypt ${newKeyId}`), keyId: newKeyId };
  }

  async describeKey(keyId: string): Promise<KeyStatus> {
    await this.call('describe', keyId);
    return { keyId, enabled: true };
  }

  private async call(operation: Operation, keyId: string, body?: JsonObject): Promise<JsonObject | null> {
    const what = `KES ${operation} ${keyId}`;
    const url = `${this.options.endpoint.replace(/\/+$/, '')}/v1/key/${operation}/${encodeURIComponent(keyId)}`;
    const build = async () =>
      body
        ? new Request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        : new Request(url, { method: 'GET' });
    const answer = await callKms(this.options.fetcher, build, this.options.policy ?? DEFAULT_CALL_POLICY, what);
    if (answer.status === 200) return jsonOf(answer);
    throw kesError(answer, operation, what);
  }
}

function contextField(binding: KeyBinding, clientContext?: ClientContext): string {
  return toBase64(canonicalContext(encryptionContext(binding, clientContext)));
}

function kesError(answer: KmsAnswer, operation: Operation, what: string): KmsError {
  const json = jsonOf(answer);
  // KES servers send {"message"}; some releases read errors as {"error"}: accept both.
  const message = `${what}: ${String(json?.message ?? json?.error ?? answer.body).slice(0, 200)} (HTTP ${answer.status})`;
  if (answer.status === 404) return new KmsError('key-not-found', message);
  if (answer.status === 401 || answer.status === 403) return new KmsError('access-denied', message);
  // A decrypt that KES rejects as a bad request is a ciphertext or context that does not authenticate.
  if (answer.status === 400 && operation === 'decrypt') return new KmsError('not-authentic', message);
  return new KmsError('rejected', message);
}
