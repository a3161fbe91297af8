// Streaming checksums for the algorithms S3 accepts (x-amz-checksum-*) plus MD5 (ETag, Content-MD5),
// and the base64/hex encodings they travel in.
import { Crc32c } from '@aws-crypto/crc32c';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc64Nvme } from './crc64nvme';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Feed chunks with update(), then call digest() once. */
export interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): Uint8Array;
}

export function createHasher(algorithm: ChecksumAlgorithm | 'MD5'): Hasher {
  switch (algorithm) {
    case 'CRC32':
      return crc32Hasher();
    case 'CRC32C':
      return crc32cHasher();
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'MD5':
    case 'SHA1':
    case 'SHA256':
      return nodeHasher(algorithm.toLowerCase());
  }
}

function nodeHasher(name: string): Hasher {
  const hash = createHash(name);
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => new Uint8Array(hash.digest()),
  };
}

function crc32Hasher(): Hasher {
  let crc = 0;
  return {
    update: (chunk) => void (crc = crc32(chunk, crc)),
    digest: () => uint32BigEndian(crc),
  };
}

function crc32cHasher(): Hasher {
  const crc = new Crc32c();
  return {
    update: (chunk) => void crc.update(chunk),
    digest: () => uint32BigEndian(crc.digest()),
  };
}

function uint32BigEndian(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// Canonical padded base64 only: atob alone would also accept whitespace and missing padding.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes padded base64; throws TypeError on anything else (callers map it to their S3 error). */
export function fromBase64(text: string): Uint8Array {
  if (!BASE64.test(text)) throw new TypeError('invalid base64');
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
