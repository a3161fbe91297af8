// The encryption context an external KMS binds each data key to (AWS: EncryptionContext; KES and
// Vault: context bytes): the object and mode, plus the client's own SSE-KMS pairs. A key sealed for
// one object therefore does not open for another, and the KMS audit log names the object.
import type { KeyBinding } from '../crypto/keys';
import { type ClientContext, KmsError } from './kms';

/** Names starting with this are the service's; a client may not set them. */
export const RESERVED_PREFIX = 'edge-sse:';

/** Pairs sorted by name (JavaScript string order: UTF-16 code units). */
export type EncryptionContext = ReadonlyArray<readonly [string, string]>;

export function encryptionContext(binding: KeyBinding, clientContext: ClientContext = {}): EncryptionContext {
  const pairs = Object.entries(clientContext);
  const reserved = pairs.find(([name]) => name.startsWith(RESERVED_PREFIX));
  if (reserved) throw new KmsError('rejected', `encryption context name ${reserved[0]} is reserved`);
  pairs.push([`${RESERVED_PREFIX}bucket`, binding.bucket], [`${RESERVED_PREFIX}key`, binding.key], [`${RESERVED_PREFIX}mode`, binding.mode]);
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Compact JSON of the sorted pairs, UTF-8: `{"edge-sse:bucket":"b","edge-sse:key":"k","edge-sse:mode":"SSE-KMS"}`.
 * Written by hand because a JavaScript object would put integer-like names first.
 */
export function canonicalContext(context: EncryptionContext): Uint8Array {
  const body = context.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',');
  return new TextEncoder().encode(`{${body}}`);
}
