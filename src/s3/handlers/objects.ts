// PutObject, GetObject, HeadObject, DeleteObject.
import type { ObjectRecord, ObjectSealing } from '../../storage/metadata';
import { checkPreconditions } from '../conditional';
import type { S3Request } from '../context';
import { S3Error } from '../../error';
import { validateObjectKey } from '../names';
import { STORED_HEADERS, checkWriteHeaders, checksumHeaders, storedHeaders, userMetadata, writeCondition } from '../object-headers';
import { parseRange } from '../range';
import { readSse, sseResponseHeaders, writeSse } from '../sse';
import type { SseRequest } from '../../service/encryption';
import { readUpload } from '../upload';

export async function putObject(req: S3Request, bucket: string, key: string): Promise<Response> {
  const { request, auth, objects, secure } = req;
  validateObjectKey(key);
  const headers = request.headers;
  checkWriteHeaders(headers, true);
  const sse = writeSse(headers, secure);
  const record = await objects.put(bucket, key, {
    sse,
    body: readUpload(request, auth.payload),
    headers: storedHeaders(headers),
    userMetadata: userMetadata(headers),
    condition: writeCondition(headers),
  });
  return new Response(null, { status: 200, headers: { ETag: record.etag, ...sseHeaders(record, sse), ...checksumHeaders(record) } });
}

export const sseHeaders = (sealing: ObjectSealing, sse: SseRequest) => sseResponseHeaders(sealing, sse.mode === 'SSE-C' ? sse.keyMd5 : null);

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
    ...sseHeaders(record, sse),
    ETag: record.etag,
    'Last-Modified': new Date(record.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
    'Content-Type': record.contentType ?? 'binary/octet-stream',
    ...(withChecksum ? checksumHeaders(record) : {}),
  });
  for (const [field, name] of STORED_HEADERS) {
    const value = record[field];
    if (value !== null && field !== 'contentType') h.set(name, value);
  }
  for (const [name, value] of Object.entries(record.userMetadata)) h.set(`x-amz-meta-${name}`, value);
  for (const [param, name] of RESPONSE_OVERRIDES) {
    const value = url.searchParams.get(param);
    if (value !== null) h.set(name, value);
  }
  return h;
}

function partNumberOf(url: URL): number | null {
  const raw = url.searchParams.get('partNumber');
  if (raw === null) return null;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000) {
    throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber', ArgumentValue: raw });
  }
  return Number(raw);
}

export async function getObject(req: S3Request, bucket: string, key: string, head: boolean): Promise<Response> {
  const { request, url, objects, secure } = req;
  const sse = readSse(request.headers, secure);
  const partNumber = partNumberOf(url);
  if (partNumber !== null && request.headers.has('range')) {
    throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
  }
  // What a GET will read, known before the row is: a small read of a recent object starts early.
  const rangeFor = head || partNumber !== null ? undefined : (size: number) => parseRange(request.headers.get('range'), size);
  const record = await objects.head(bucket, key, sse, rangeFor);
  const validators = { etag: record.etag, lastModified: new Date(record.lastModified) };
  const outcome = checkPreconditions(request.headers, validators);
  if (outcome === 'not-modified') {
    return new Response(null, { status: 304, headers: { ETag: record.etag, 'Last-Modified': validators.lastModified.toUTCString() } });
  }
  if (outcome === 'precondition-failed') {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: 'If-Match' });
  }
  const opened = objects.open(record, sse);
  let range = parseRange(request.headers.get('range'), record.size);
  if (partNumber !== null && record.partsCount !== null) {
    if (partNumber > opened.partSizes.length) throw new S3Error('InvalidPartNumber', 'The requested partnumber is not satisfiable', { PartNumberRequested: String(partNumber), ActualPartCount: String(record.partsCount) });
    const start = opened.partSizes.slice(0, partNumber - 1).reduce((n, s) => n + s, 0);
    range = { start, end: start + opened.partSizes[partNumber - 1]! - 1 };
  } else if (partNumber !== null && partNumber > 1) {
    throw new S3Error('InvalidPartNumber', 'The requested partnumber is not satisfiable', { PartNumberRequested: String(partNumber), ActualPartCount: '1' });
  }
  const checksumMode = request.headers.get('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  const headers = objectHeaders(record, url, sse, checksumMode && !range);
  if (record.partsCount !== null && partNumber !== null) headers.set('x-amz-mp-parts-count', String(record.partsCount));
  if (range) {
    headers.set('Content-Range', `bytes ${range.start}-${range.end}/${record.size}`);
    headers.set('Content-Length', String(range.end - range.start + 1));
  } else {
    headers.set('Content-Length', String(record.size));
  }
  const status = range ? 206 : 200;
  if (head) return new Response(null, { status, headers });
  return new Response(await opened.read(range), { status, headers });
}

export async function deleteObject({ objects }: S3Request, bucket: string, key: string): Promise<Response> {
  await objects.delete(bucket, [key]);
  return new Response(null, { status: 204 });
}
