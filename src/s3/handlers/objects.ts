// PutObject, GetObject, HeadObject, DeleteObject.
import type { ObjectHeaders, ObjectRecord } from '../../storage/metadata';
import { checkPreconditions } from '../conditional';
import type { S3Request } from '../context';
import { S3Error } from '../errors';
import { validateObjectKey } from '../names';
import { parseRange } from '../range';
import { type SseRequest, readSse, sseResponseHeaders, writeSse } from '../sse';
import { readUpload } from '../upload';
import { rejectUnsupportedAcl } from './buckets';

const STORED_HEADERS: [keyof ObjectHeaders, string][] = [
  ['contentType', 'content-type'],
  ['cacheControl', 'cache-control'],
  ['contentDisposition', 'content-disposition'],
  ['contentEncoding', 'content-encoding'],
  ['contentLanguage', 'content-language'],
  ['expires', 'expires'],
];

/** Request headers that ask for features this service does not have: refused rather than ignored. */
const UNSUPPORTED_PUT_HEADERS = [
  'x-amz-tagging',
  'x-amz-website-redirect-location',
  'x-amz-object-lock-mode',
  'x-amz-object-lock-retain-until-date',
  'x-amz-object-lock-legal-hold',
  'if-match',
  'if-none-match',
];

const USER_METADATA_LIMIT = 2048;

function storedHeaders(headers: Headers): ObjectHeaders {
  const out = {} as ObjectHeaders;
  for (const [field, name] of STORED_HEADERS) out[field] = headers.get(name);
  // aws-chunked is transfer framing, not a content coding of the stored object.
  if (out.contentEncoding) {
    const codings = out.contentEncoding.split(',').map((s) => s.trim()).filter((s) => s && s !== 'aws-chunked');
    out.contentEncoding = codings.length ? codings.join(', ') : null;
  }
  return out;
}

function userMetadata(headers: Headers): Record<string, string> {
  const meta: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of headers) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const key = name.slice('x-amz-meta-'.length);
    meta[key] = value;
    size += key.length + value.length;
  }
  if (size > USER_METADATA_LIMIT) {
    throw new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.', { MaxSizeAllowed: String(USER_METADATA_LIMIT) });
  }
  return meta;
}

function checkStorageClass(headers: Headers): void {
  const storageClass = headers.get('x-amz-storage-class');
  if (storageClass !== null && storageClass !== 'STANDARD') {
    throw new S3Error('InvalidStorageClass', 'The storage class you specified is not valid: only STANDARD is offered.', { StorageClassRequested: storageClass });
  }
}

export async function putObject(req: S3Request, bucket: string, key: string): Promise<Response> {
  const { request, auth, objects, secure } = req;
  validateObjectKey(key);
  const headers = request.headers;
  for (const name of UNSUPPORTED_PUT_HEADERS) {
    if (headers.has(name)) throw new S3Error('NotImplemented', `The ${name} header is not supported yet.`);
  }
  rejectUnsupportedAcl(headers);
  checkStorageClass(headers);
  const sse = writeSse(headers, secure);
  const record = await objects.put(bucket, key, {
    sse,
    body: readUpload(request, auth.payload),
    headers: storedHeaders(headers),
    userMetadata: userMetadata(headers),
  });
  const out = new Headers({ ETag: record.etag, ...sseResponseHeaders(record.sseMode, sse.mode === 'SSE-C' ? sse.keyMd5 : null) });
  if (record.checksumAlgorithm) {
    out.set(`x-amz-checksum-${record.checksumAlgorithm.toLowerCase()}`, record.checksumValue!);
    out.set('x-amz-checksum-type', 'FULL_OBJECT');
  }
  return new Response(null, { status: 200, headers: out });
}

/** Query parameters that override response headers on GET and HEAD. */
const RESPONSE_OVERRIDES: [string, string][] = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

function objectHeaders(record: ObjectRecord, url: URL, sse: SseRequest, withChecksum: boolean): Headers {
  const h = new Headers({
    ...sseResponseHeaders(record.sseMode, sse.mode === 'SSE-C' ? sse.keyMd5 : null),
    ETag: record.etag,
    'Last-Modified': new Date(record.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
    'Content-Type': record.contentType ?? 'binary/octet-stream',
  });
  for (const [field, name] of STORED_HEADERS) {
    const value = record[field];
    if (value !== null && field !== 'contentType') h.set(name, value);
  }
  for (const [name, value] of Object.entries(record.userMetadata)) h.set(`x-amz-meta-${name}`, value);
  if (withChecksum && record.checksumAlgorithm) {
    h.set(`x-amz-checksum-${record.checksumAlgorithm.toLowerCase()}`, record.checksumValue!);
    h.set('x-amz-checksum-type', 'FULL_OBJECT');
  }
  for (const [param, name] of RESPONSE_OVERRIDES) {
    const value = url.searchParams.get(param);
    if (value !== null) h.set(name, value);
  }
  return h;
}

export async function getObject(req: S3Request, bucket: string, key: string, head: boolean): Promise<Response> {
  const { request, url, objects, secure } = req;
  const sse = readSse(request.headers, secure);
  const record = await objects.head(bucket, key, sse);
  const validators = { etag: record.etag, lastModified: new Date(record.lastModified) };
  const outcome = checkPreconditions(request.headers, validators);
  if (outcome === 'not-modified') {
    return new Response(null, { status: 304, headers: { ETag: record.etag, 'Last-Modified': validators.lastModified.toUTCString() } });
  }
  if (outcome === 'precondition-failed') {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: 'If-Match' });
  }
  const range = parseRange(request.headers.get('range'), record.size);
  const checksumMode = request.headers.get('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  const headers = objectHeaders(record, url, sse, checksumMode && !range);
  if (range) {
    headers.set('Content-Range', `bytes ${range.start}-${range.end}/${record.size}`);
    headers.set('Content-Length', String(range.end - range.start + 1));
  } else {
    headers.set('Content-Length', String(record.size));
  }
  const status = range ? 206 : 200;
  if (head) return new Response(null, { status, headers });
  const body = await objects.read(record, sse, range ?? undefined);
  return new Response(body, { status, headers });
}

export async function deleteObject({ objects }: S3Request, bucket: string, key: string): Promise<Response> {
  await objects.delete(bucket, [key]);
  return new Response(null, { status: 204 });
}
