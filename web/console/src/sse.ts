// Per-upload encryption choices as S3 request headers, and SSE-C keys: pasted or generated here.
import { md5 } from './md5';
import { base64 } from './s3';

export type SseChoice = { mode: 'default' } | { mode: 'SSE-S3' } | { mode: 'SSE-KMS'; keyId: string } | { mode: 'SSE-C'; key: Uint8Array };

const CUSTOMER = 'x-amz-server-side-encryption-customer-';

/** The SSE-C headers for a 32-byte key (sent on writes, reads, parts, and Complete). */
export function customerKeyHeaders(key: Uint8Array): Record<string, string> {
  return { [`${CUSTOMER}algorithm`]: 'AES256', [`${CUSTOMER}key`]: base64(key), [`${CUSTOMER}key-md5`]: base64(md5(key)) };
}

/** Headers of PutObject / CreateMultipartUpload; "default" sends none (the bucket's default applies). */
export function writeHeaders(choice: SseChoice): Record<string, string> {
  switch (choice.mode) {
    case 'default':
      return {};
    case 'SSE-S3':
      return { 'x-amz-server-side-encryption': 'AES256' };
    case 'SSE-KMS':
      return { 'x-amz-server-side-encryption': 'aws:kms', ...(choice.keyId ? { 'x-amz-server-side-encryption-aws-kms-key-id': choice.keyId } : {}) };
    case 'SSE-C':
      return customerKeyHeaders(choice.key);
  }
}

/** Headers UploadPart and CompleteMultipartUpload repeat: only SSE-C's key. */
export const partHeaders = (choice: SseChoice): Record<string, string> => (choice.mode === 'SSE-C' ? customerKeyHeaders(choice.key) : {});

/**
 * An SSE-C key as people hold them: base64 of 32 bytes (what "Generate" makes), or 32 characters
 * taken as bytes (what `aws s3 cp --sse-c-key` takes).
 */
export function parseCustomerKey(input: string): Uint8Array {
  const trimmed = input.trim();
  if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return Uint8Array.from(atob(trimmed), (c) => c.charCodeAt(0));
  const raw = new TextEncoder().encode(trimmed);
  if (raw.length === 32) return raw;
  throw new Error('An SSE-C key is 32 bytes: paste it as base64 (44 characters) or as 32 plain characters, or generate one.');
}

/** A new random 256-bit key from WebCrypto, as base64. */
export const generateCustomerKey = (): string => base64(crypto.getRandomValues(new Uint8Array(32)));

const LOOPBACK = /^(127(\.\d+){3}|localhost|\[::1\])$/;

/**
 * SSE-C keys travel only over HTTPS, or plain http to a loopback endpoint (`npm run dev`, which
 * allows it with ALLOW_SSEC_OVER_HTTP) — the service refuses them otherwise anyway.
 */
export function customerKeysAllowed(url: { protocol: string; hostname: string }): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.test(url.hostname));
}

/** The SSE-C key last used in this page (memory only, never stored): offered for reads. */
export const keyMemory = { value: '' };
