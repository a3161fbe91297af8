// Server-side encryption headers, parsed and checked as AWS does, and echoed on responses.
import { createHasher, fromBase64, toBase64 } from '../crypto/checksum';
import { S3Error } from '../error';
import type { SseRequest } from '../service/encryption';
import type { ObjectSealing } from '../storage/metadata';

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

/** x-amz-server-side-encryption-context: base64 of a JSON object of string values. */
function kmsContext(header: string | null): Record<string, string> | null {
  if (header === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(fromBase64(header)));
  } catch {
    parsed = null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new S3Error('InvalidArgument', 'The header x-amz-server-side-encryption-context must be base64 of a JSON object of string values.', { ArgumentName: `${SSE}-context` });
  }
  return parsed as Record<string, string>;
}

function bucketKeyEnabled(header: string | null): boolean | null {
  if (header === null) return null;
  const value = header.trim().toLowerCase();
  if (value !== 'true' && value !== 'false') {
    throw new S3Error('InvalidArgument', 'x-amz-server-side-encryption-bucket-key-enabled must be true or false.', { ArgumentName: `${SSE}-bucket-key-enabled` });
  }
  return value === 'true';
}

/** SSE headers of a write (PUT, CreateMultipartUpload, copy destination). */
export function writeSse(headers: Headers, secure: boolean): SseRequest {
  const sse = headers.get(SSE);
  const customer = customerKey(headers, SSE_C_PREFIX, secure);
  for (const name of [`${SSE}-aws-kms-key-id`, `${SSE}-context`]) {
    if (headers.has(name) && sse !== 'aws:kms') {
      throw new S3Error('InvalidArgument', 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms', { ArgumentName: SSE });
    }
  }
  if (customer && sse !== null) {
    throw new S3Error('InvalidArgument', 'Server Side Encryption with Customer provided key is incompatible with the encryption method specified', { ArgumentName: SSE, ArgumentValue: sse });
  }
  if (customer) return { mode: 'SSE-C', ...customer };
  if (sse === null) return { mode: 'default' };
  if (sse === 'AES256') return { mode: 'SSE-S3' };
  if (sse === 'aws:kms') {
    return {
      mode: 'SSE-KMS',
      keyId: headers.get(`${SSE}-aws-kms-key-id`)?.trim() || null,
      context: kmsContext(headers.get(`${SSE}-context`)),
      bucketKeyEnabled: bucketKeyEnabled(headers.get(`${SSE}-bucket-key-enabled`)),
    };
  }
  if (sse === 'aws:kms:dsse') throw new S3Error('NotImplemented', 'Dual-layer SSE-KMS (aws:kms:dsse) is not supported.');
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

/** Response headers that tell the client how its object is encrypted (`keyMd5`: SSE-C, when known). */
export function sseResponseHeaders(sealing: Pick<ObjectSealing, 'sseMode' | 'kekId' | 'kmsContext' | 'bucketKeyId'>, keyMd5: string | null): Record<string, string> {
  switch (sealing.sseMode) {
    case 'SSE-S3':
      return { [SSE]: 'AES256' };
    case 'SSE-KMS':
      return {
        [SSE]: 'aws:kms',
        [`${SSE}-aws-kms-key-id`]: sealing.kekId ?? '',
        ...(sealing.kmsContext ? { [`${SSE}-context`]: btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(sealing.kmsContext)))) } : {}),
        ...(sealing.bucketKeyId ? { [`${SSE}-bucket-key-enabled`]: 'true' } : {}),
      };
    case 'SSE-C':
      return { [`${SSE_C_PREFIX}algorithm`]: 'AES256', ...(keyMd5 ? { [`${SSE_C_PREFIX}key-md5`]: keyMd5 } : {}) };
  }
}
