// CopyObject, and the copy source shared with UploadPartCopy.
import type { StoredObject } from '../../storage/metadata';
import { checkPreconditions } from '../conditional';
import { iso, type S3Request } from '../context';
import { S3Error } from '../../error';
import { copySourceAddress } from '../address';
import { validateObjectKey } from '../names';
import { checkWriteHeaders, checksumHeaders, storedHeaders, userMetadata } from '../object-headers';
import { COPY_SOURCE_SSE_C_PREFIX, customerKey, writeSse } from '../sse';
import type { SseRequest } from '../../service/encryption';
import { xmlDocument } from '../xml';
import { sseHeaders } from './objects';

export interface CopySource {
  bucket: string;
  key: string;
  sse: SseRequest;
  record: StoredObject;
}

/** The object named by x-amz-copy-source, readable with the copy-source SSE-C key, its conditions met. */
export async function copySource({ request, objects, secure }: S3Request): Promise<CopySource> {
  const { bucket, key, versionId } = copySourceAddress(request.headers.get('x-amz-copy-source')!);
  if (versionId !== null && versionId !== 'null') throw new S3Error('NotImplemented', 'Versioning is not supported: copy sources have no versions.');
  const customer = customerKey(request.headers, COPY_SOURCE_SSE_C_PREFIX, secure);
  const sse: SseRequest = customer ? { mode: 'SSE-C', ...customer } : { mode: 'default' };
  const record = await objects.head(bucket, key, sse);

  // The copy-source conditions are the GET conditions; every failure is 412 for a copy.
  const conditions = new Headers();
  for (const name of ['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since']) {
    const value = request.headers.get(`x-amz-copy-source-${name}`);
    if (value !== null) conditions.set(name, value);
  }
  if (checkPreconditions(conditions, { etag: record.etag, lastModified: new Date(record.lastModified) }) !== 'ok') {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: 'x-amz-copy-source-If-Match' });
  }
  return { bucket, key, sse, record };
}

export async function copyObject(req: S3Request, bucket: string, key: string): Promise<Response> {
  const { request, objects, secure } = req;
  validateObjectKey(key);
  const headers = request.headers;
  checkWriteHeaders(headers);
  const directive = (headers.get('x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  const sse = writeSse(headers, secure);
  const source = await copySource(req);
  const record = await objects.copy(
    bucket,
    key,
    {
      source,
      sse,
      replace: directive === 'REPLACE' ? { headers: storedHeaders(headers), userMetadata: userMetadata(headers) } : null,
    },
    source.record,
  );
  const checksum = checksumHeaders(record);
  const checksumElement = record.checksumAlgorithm ? { [`Checksum${record.checksumAlgorithm}`]: record.checksumValue! } : {};
  return new Response(xmlDocument('CopyObjectResult', { ETag: record.etag, LastModified: iso(record.lastModified), ...checksumElement }), {
    headers: { 'content-type': 'application/xml', ...sseHeaders(record, sse), ...(record.checksumType === 'FULL_OBJECT' ? checksum : {}) },
  });
}
