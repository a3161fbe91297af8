// Request headers that describe an object being written (PUT, CreateMultipartUpload, CopyObject
// with REPLACE) and response headers that describe a stored one.
import type { ObjectHeaders, ObjectRecord } from '../storage/metadata';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../crypto/checksum';
import { S3Error } from '../error';
import { headerText } from './header-text';

export const STORED_HEADERS: [keyof ObjectHeaders, string][] = [
  ['contentType', 'content-type'],
  ['cacheControl', 'cache-control'],
  ['contentDisposition', 'content-disposition'],
  ['contentEncoding', 'content-encoding'],
  ['contentLanguage', 'content-language'],
  ['expires', 'expires'],
];

/** Request headers that ask for features this service does not have: refused rather than ignored. */
const UNSUPPORTED_WRITE_HEADERS = [
  'x-amz-tagging',
  'x-amz-website-redirect-location',
  'x-amz-object-lock-mode',
  'x-amz-object-lock-retain-until-date',
  'x-amz-object-lock-legal-hold',
];

const USER_METADATA_LIMIT = 2048;

/** Canned ACLs (x-amz-acl) are accepted and ignored, everything being private; grants are refused. */
export function rejectGrants(headers: Headers): void {
  for (const name of headers.keys()) {
    if (name.startsWith('x-amz-grant-')) throw new S3Error('NotImplemented', `The ${name} header is not supported: access is single-tenant.`);
  }
}

/** Refuses what a write asks for that is not supported (conditional writes: PutObject only). */
export function checkWriteHeaders(headers: Headers, conditional = false): void {
  if (!conditional) {
    for (const name of ['if-match', 'if-none-match']) {
      if (headers.has(name)) throw new S3Error('NotImplemented', `The ${name} header is supported on PutObject only.`);
    }
  }
  for (const name of UNSUPPORTED_WRITE_HEADERS) {
    if (headers.has(name)) throw new S3Error('NotImplemented', `The ${name} header is not supported yet.`);
  }
  rejectGrants(headers);
  const storageClass = headers.get('x-amz-storage-class');
  if (storageClass !== null && storageClass !== 'STANDARD') {
    throw new S3Error('InvalidStorageClass', 'The storage class you specified is not valid: only STANDARD is offered.', { StorageClassRequested: storageClass });
  }
}

export function storedHeaders(headers: Headers): ObjectHeaders {
  const out = {} as ObjectHeaders;
  for (const [field, name] of STORED_HEADERS) {
    const value = headers.get(name);
    out[field] = value === null ? null : headerText(value);
  }
  // aws-chunked is transfer framing, not a content coding of the stored object.
  if (out.contentEncoding) {
    const codings = out.contentEncoding.split(',').map((s) => s.trim()).filter((s) => s && s !== 'aws-chunked');
    out.contentEncoding = codings.length ? codings.join(', ') : null;
  }
  return out;
}

export function userMetadata(headers: Headers): Record<string, string> {
  const meta: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of headers) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const key = name.slice('x-amz-meta-'.length);
    meta[key] = headerText(value);
    size += key.length + new TextEncoder().encode(meta[key]).length;
  }
  if (size > USER_METADATA_LIMIT) {
    throw new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.', { MaxSizeAllowed: String(USER_METADATA_LIMIT) });
  }
  return meta;
}

/** x-amz-checksum-algorithm of CreateMultipartUpload (or null). */
export function declaredChecksumAlgorithm(headers: Headers): ChecksumAlgorithm | null {
  const value = headers.get('x-amz-checksum-algorithm')?.toUpperCase();
  if (!value) return null;
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(value)) {
    throw new S3Error('InvalidRequest', 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
  }
  return value as ChecksumAlgorithm;
}

/** The stored checksum of an object as S3 returns it, e.g. on PUT and on GET with checksum mode. */
export function checksumHeaders(r: Pick<ObjectRecord, 'checksumAlgorithm' | 'checksumValue' | 'checksumType'>): Record<string, string> {
  if (!r.checksumAlgorithm || !r.checksumValue) return {};
  return { [`x-amz-checksum-${r.checksumAlgorithm.toLowerCase()}`]: r.checksumValue, 'x-amz-checksum-type': r.checksumType ?? 'FULL_OBJECT' };
}

/** If-None-Match / If-Match of a conditional PutObject. */
export function writeCondition(headers: Headers): { ifNoneMatch?: boolean; ifMatch?: string } {
  const noneMatch = headers.get('if-none-match');
  const match = headers.get('if-match');
  if (noneMatch !== null && noneMatch.trim() !== '*') {
    throw new S3Error('NotImplemented', 'If-None-Match on PutObject supports only "*".', { Header: 'If-None-Match' });
  }
  return {
    ...(noneMatch !== null ? { ifNoneMatch: true } : {}),
    ...(match !== null ? { ifMatch: match.trim() === '*' ? '*' : `"${match.trim().replace(/^"|"$/g, '')}"` } : {}),
  };
}
