// Server-side encryption headers, parsed and checked as AWS does, and echoed on responses.
import { createHasher, fromBase64, toBase64 } from './checksum';
import { S3Error } from './errors';

/** What a request asks for; `default` leaves the choice to the bucket's default encryption. */
export type SseRequest = { mode: 'default' } | { mode: 'SSE-S3' } | { mode: 'SSE-C'; key: Uint8Array; keyMd5: string };

const SSE = 'x-amz-server-side-encryption';
export const SSE_C_PREFIX = 'x-amz-server-side-encryption-customer-';
export const COPY_SOURCE_SSE_C_PREFIX = 'x-amz-copy-source-server-side-encryption-customer-';

/**
 * The SSE-C key a request carries under `prefix`, or null. `secure`: the request came over HTTPS,
 * or plain HTTP is explicitly allowed (local development).
 */
export function customerKey(headers: Headers, prefix: string, secure: boolean): { key: Uint8Array; keyMd5: string } | null {
  const algorithm = headers.get(`${prefix}algorithm`);
  const key = headers.get(`${prefix}key`);
  const keyMd5 = headers.get(`${prefix}key-md5`);
  if (algorithm === null && key === null && keyMd5 === null) return null;
  if (!secure) {
    throw new S3Error('InvalidRequest', 'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.');
  }
  if (algorithm === null) {
    throw new S3Error('InvalidArgument', 'Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.', { ArgumentName: `${prefix}algorithm` });
  }
  if (algorithm !== 'AES256') {
    throw new S3Error('InvalidEncryptionAlgorithmError', 'The encryption request you specified is not valid. The valid value is AES256.', { ArgumentName: `${prefix}algorithm`, ArgumentValue: algorithm });
  }
  if (key === null) {
    throw new S3Error('InvalidArgument', 'Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.', { ArgumentName: `${prefix}key` });
  }
  if (keyMd5 === null) {
    throw new S3Error('InvalidArgument', 'Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.', { ArgumentName: `${prefix}key-MD5` });
  }
  let raw: Uint8Array;
  try {
    raw = fromBase64(key);
  } catch {
    raw = new Uint8Array(0);
  }
  if (raw.length !== 32) {
    throw new S3Error('InvalidArgument', 'The secret key was invalid for the specified algorithm.', { ArgumentName: `${prefix}key` });
  }
  const md5 = createHasher('MD5');
  md5.update(raw);
  if (toBase64(md5.digest()) !== keyMd5) {
    throw new S3Error('InvalidArgument', 'The calculated MD5 hash of the key did not match the hash that was provided.', { ArgumentName: `${prefix}key-MD5` });
  }
  return { key: raw, keyMd5 };
}

/** SSE headers of a write (PUT, later CreateMultipartUpload and copy destination). */
export function writeSse(headers: Headers, secure: boolean): SseRequest {
  const sse = headers.get(SSE);
  const customer = customerKey(headers, SSE_C_PREFIX, secure);
  if (headers.has(`${SSE}-aws-kms-key-id`) && sse !== 'aws:kms') {
    throw new S3Error('InvalidArgument', 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms', { ArgumentName: SSE });
  }
  if (customer && sse !== null) {
    throw new S3Error('InvalidArgument', 'Server Side Encryption with Customer provided key is incompatible with the encryption method specified', { ArgumentName: SSE, ArgumentValue: sse });
  }
  if (customer) return { mode: 'SSE-C', ...customer };
  if (sse === null) return { mode: 'default' };
  if (sse === 'AES256') return { mode: 'SSE-S3' };
  if (sse === 'aws:kms' || sse === 'aws:kms:dsse') throw new S3Error('NotImplemented', 'SSE-KMS is not supported yet.');
  throw new S3Error('InvalidArgument', 'The encryption method specified is not supported', { ArgumentName: SSE, ArgumentValue: sse });
}

/** SSE headers of a read (GET, HEAD): only an SSE-C key may be sent. */
export function readSse(headers: Headers, secure: boolean): SseRequest {
  if (headers.has(SSE)) {
    throw new S3Error('InvalidArgument', 'x-amz-server-side-encryption header is not supported for this operation.', { ArgumentName: SSE });
  }
  const customer = customerKey(headers, SSE_C_PREFIX, secure);
  return customer ? { mode: 'SSE-C', ...customer } : { mode: 'default' };
}

/** Response headers that tell the client how its object is encrypted. */
export function sseResponseHeaders(mode: 'SSE-S3' | 'SSE-C', keyMd5: string | null): Record<string, string> {
  if (mode === 'SSE-S3') return { [SSE]: 'AES256' };
  return { [`${SSE_C_PREFIX}algorithm`]: 'AES256', ...(keyMd5 ? { [`${SSE_C_PREFIX}key-md5`]: keyMd5 } : {}) };
}
