// The key-management interface: where key-encryption keys live. Backends: builtin.ts (a master key
// configured as a secret); external KMSes come later behind the same interface.
import type { KeyBinding } from '../crypto/keys';

export interface DataKey {
  plaintext: Uint8Array;
  /** What is stored: the data key sealed under `keyId`, bound to the object. */
  sealed: Uint8Array;
  keyId: string;
}

export interface Kms {
  readonly defaultKeyId: string;
  generateDataKey(keyId: string, binding: KeyBinding): Promise<DataKey>;
  decryptDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding): Promise<Uint8Array>;
}

/** Typed KMS failures, kept apart so each maps to its own S3 error. */
export class KmsError extends Error {
  constructor(
    readonly kind: 'not-configured' | 'key-not-found' | 'not-authentic',
    message: string,
  ) {
    super(message);
    this.name = 'KmsError';
  }
}
