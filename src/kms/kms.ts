// The key-management interface: where key-encryption keys live. Backends: builtin.ts (master keys
// configured as a secret), kes.ts (MinIO KES), aws.ts (AWS KMS), vault.ts (Vault/OpenBao transit);
// config.ts picks one. docs/KMS.md describes each.
import type { KeyBinding } from '../crypto/keys';

/** Key-value pairs a client adds to the encryption context (SSE-KMS `-context`); see context.ts. */
export type ClientContext = Readonly<Record<string, string>>;

export interface SealedDataKey {
  /** What is stored: the data key sealed under `keyId`, bound to the object (for an external KMS its ciphertext blob). */
  sealed: Uint8Array;
  /** The key that sealed it, as the KMS names it (AWS: the key ARN); pass it back to open `sealed`. */
  keyId: string;
}

export interface DataKey extends SealedDataKey {
  plaintext: Uint8Array;
}

export interface KeyStatus {
  /** The KMS's canonical name of the key (AWS: the key ARN). */
  keyId: string;
  /** False when the key exists but may not be used (disabled, pending deletion). */
  enabled: boolean;
}

export interface Kms {
  readonly defaultKeyId: string;
  /** A new 256-bit data key, sealed under `keyId` and bound to the object and the client's context. */
  generateDataKey(keyId: string, binding: KeyBinding, clientContext?: ClientContext): Promise<DataKey>;
  /** Opens a sealed data key; the binding and client context must be those it was sealed with. */
  decryptDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding, clientContext?: ClientContext): Promise<Uint8Array>;
  /**
   * Seals the same data key again under `newKeyId` (its newest version; may equal `keyId`), for key
   * rotation without rewriting object data. Where the KMS can, the plaintext never leaves it.
   */
  rewrapDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding, newKeyId: string, clientContext?: ClientContext): Promise<SealedDataKey>;
  /** Whether `keyId` exists and may be used; throws KmsError('key-not-found') when it does not exist. */
  describeKey(keyId: string): Promise<KeyStatus>;
}

export type KmsErrorKind =
  /** The service's KMS configuration is missing or wrong. */
  | 'not-configured'
  /** The KMS has no such key (never created, or deleted). */
  | 'key-not-found'
  /** The key exists but is disabled or pending deletion. */
  | 'key-disabled'
  /** The KMS refused this service's credentials or policy. */
  | 'access-denied'
  /** The sealed key does not open under this key, binding and context: damaged, moved or forged. */
  | 'not-authentic'
  /** The KMS did not answer in time, or failed after bounded retries: transient, try again later. */
  | 'unavailable'
  /** The KMS rejected the request for another reason (a bug or a protocol mismatch). */
  | 'rejected';

/** Typed KMS failures, kept apart so each maps to its own S3 error. */
export class KmsError extends Error {
  constructor(
    readonly kind: KmsErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'KmsError';
  }
}
