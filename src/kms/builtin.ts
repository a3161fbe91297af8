// The embedded KMS: master keys from configuration, `name:base64(32 bytes)`, several separated by
// commas (the first seals new objects; the others still open what they sealed).
import { KeyError, type KeyBinding, bindingBytes, deriveKek, randomKey, sealKey, unsealKey } from '../crypto/keys';
import { canonicalContext, encryptionContext } from './context';
import { type ClientContext, type DataKey, type KeyStatus, type Kms, KmsError, type SealedDataKey } from './kms';

const LABEL = 'SSE-S3';

export function parseMasterKeys(config: string | undefined): Map<string, Uint8Array> {
  const keys = new Map<string, Uint8Array>();
  for (const entry of (config ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const name = entry.slice(0, colon);
    let key: Uint8Array | null = null;
    try {
      key = Uint8Array.from(atob(entry.slice(colon + 1)), (c) => c.charCodeAt(0));
    } catch {
      key = null;
    }
    if (colon <= 0 || key?.length !== 32) {
      throw new KmsError('not-configured', 'MASTER_KEY is malformed: expected name:base64 of 32 bytes');
    }
    keys.set(name, key);
  }
  if (!keys.size) throw new KmsError('not-configured', 'MASTER_KEY is not configured: refusing to store objects unencrypted');
  return keys;
}

export class BuiltinKms implements Kms {
  readonly defaultKeyId: string;

  constructor(private readonly keys: Map<string, Uint8Array>) {
    this.defaultKeyId = keys.keys().next().value!;
  }

  /** The KEK context is the binding, then (only when the client gave pairs) the canonical context. */
  private async kek(keyId: string, binding: KeyBinding, clientContext: ClientContext): Promise<Uint8Array> {
    const master = this.keys.get(keyId);
    if (!master) throw new KmsError('key-not-found', `master key ${keyId} is not configured`);
    const bound = bindingBytes(binding);
    if (!Object.keys(clientContext).length) return deriveKek(master, LABEL, bound);
    const context = canonicalContext(encryptionContext(binding, clientContext));
    return deriveKek(master, LABEL, new Uint8Array([...bound, ...context]));
  }

  async generateDataKey(keyId: string, binding: KeyBinding, clientContext: ClientContext = {}): Promise<DataKey> {
    const plaintext = randomKey();
    return { plaintext, sealed: await sealKey(await this.kek(keyId, binding, clientContext), plaintext, binding), keyId };
  }

  async decryptDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding, clientContext: ClientContext = {}): Promise<Uint8Array> {
    try {
      return await unsealKey(await this.kek(keyId, binding, clientContext), sealed, binding);
    } catch (e) {
      if (e instanceof KeyError) throw new KmsError('not-authentic', e.message);
      throw e;
    }
  }

  async rewrapDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding, newKeyId: string, clientContext: ClientContext = {}): Promise<SealedDataKey> {
    const plaintext = await this.decryptDataKey(keyId, sealed, binding, clientContext);
    return { sealed: await sealKey(await this.kek(newKeyId, binding, clientContext), plaintext, binding), keyId: newKeyId };
  }

  async describeKey(keyId: string): Promise<KeyStatus> {
    if (!this.keys.has(keyId)) throw new KmsError('key-not-found', `master key ${keyId} is not configured`);
    return { keyId, enabled: true };
  }
}
