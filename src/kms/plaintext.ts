// Every data key is 256 bits: a KMS answer with another length is refused, not used.
import { KmsError } from './kms';

export function checkDataKey(plaintext: Uint8Array, what: string): Uint8Array {
  if (plaintext.length !== 32) throw new KmsError('rejected', `${what}: the KMS returned a ${plaintext.length}-byte data key, not 32`);
  return plaintext;
}
