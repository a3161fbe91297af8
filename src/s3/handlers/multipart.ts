// CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload,
// ListParts, ListMultipartUploads.
import type { ChecksumAlgorithm } from '../../crypto/checksum';
import { OWNER, iso, type S3Request } from '../context';
import { S3Error } from '../../error';
import { validateObjectKey } from '../names';
import { checkWriteHeaders, checksumHeaders, declaredChecksumAlgorithm, storedHeaders, userMetadata } from '../object-headers';
import { readSse, writeSse } from '../sse';
import { readUpload, readUploadText } from '../upload';
import { consuming, internalUpload } from '../../service/upload-body';
import { asArray, parseXml, xmlDocument } from '../xml';
import { MAX_PART_NUMBER } from '../../service/multipart';
import { copySource } from './copy';
import { sseHeaders } from './objects';

const xml = (body: string, headers: Record<string, string> = {}) => new Response(body, { headers: { 'content-type': 'application/xml', ...headers } });

export async function createMultipartUpload(req: S3Request, bucket: string, key: string): Promise<Response> {
  const { request, multipart, secure } = req;
  validateObjectKey(key);
  checkWriteHeaders(request.headers);
  const sse = writeSse(request.headers, secure);
  const upload = await multipart.create(bucket, key, {
    sse,
    headers: storedHeaders(request.headers),
    userMetadata: userMetadata(request.headers),
    checksumAlgorithm: declaredChecksumAlgorithm(request.headers),
  });
  const headers: Record<string, string> = { ...sseHeaders(upload, sse) };
  if (upload.checksumAlgorithm) headers['x-amz-checksum-algorithm'] = upload.checksumAlgorithm;
  return xml(xmlDocument('InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: upload.uploadId }), headers);
}

function partNumberOf(raw: string): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PART_NUMBER) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: raw });
  }
  return Number(raw);
}

/** x-amz-copy-source-range: `bytes=first-last`, within the source. */
function copyRange(header: string | null, size: number): { start: number; end: number } | null {
  if (header === null) return null;
  const m = /^bytes=(\d+)-(\d+)$/.exec(header);
  if (!m || Number(m[1]) > Number(m[2])) {
    throw new S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', {
      ArgumentName: 'x-amz-copy-source-range',
      ArgumentValue: header,
    });
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end >= size) throw new S3Error('InvalidRange', 'The requested range is not satisfiable', { ActualObjectSize: String(size), RangeRequested: header });
  return { start, end };
}

export async function uploadPart(req: S3Request, bucket: string, key: string, uploadId: string, rawPartNumber: string, copy: boolean): Promise<Response> {
  const { request, auth, objects, multipart, secure } = req;
  const partNumber = partNumberOf(rawPartNumber);
  const sse = readSse(request.headers, secure);
  const upload = await multipart.upload(bucket, key, uploadId, sse);
  const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | null;
  if (!copy) {
    const part = await multipart.uploadPart(upload, partNumber, sse, readUpload(request, auth.payload, algorithm));
    return new Response(null, {
      headers: { ETag: part.etag, ...sseHeaders(upload, sse), ...(algorithm && part.checksumValue ? checksumHeaders({ checksumAlgorithm: algorithm, checksumValue: part.checksumValue, checksumType: null }) : {}) },
    });
  }
  const source = await copySource(req);
  const range = copyRange(request.headers.get('x-amz-copy-source-range'), source.record.size);
  const opened = objects.open(source.record, source.sse);
  const length = range ? range.end - range.start + 1 : source.record.size;
  const body = internalUpload(await opened.read(range), length, algorithm);
  const part = await consuming(body, () => multipart.uploadPart(upload, partNumber, sse, body));
  const checksumElement = algorithm && part.checksumValue ? { [`Checksum${algorithm}`]: part.checksumValue } : {};
  return xml(xmlDocument('CopyPartResult', { ETag: part.etag, LastModified: iso(part.lastModified), ...checksumElement }), sseHeaders(upload, sse));
}

interface CompleteXml {
  CompleteMultipartUpload?: { Part?: unknown };
}

const CHECKSUM_ELEMENTS = ['ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256'];

export async function completeMultipartUpload(req: S3Request, bucket: string, key: string, uploadId: string): Promise<Response> {
  const { request, auth, multipart, secure } = req;
  const sse = readSse(request.headers, secure);
  const doc = parseXml(await readUploadText(request, auth.payload)) as CompleteXml;
  if (!doc.CompleteMultipartUpload || typeof doc.CompleteMultipartUpload !== 'object') {
    throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  }
  const parts = asArray(doc.CompleteMultipartUpload.Part).map((p) => {
    const part = p as Record<string, string | undefined>;
    const number = part.PartNumber?.trim() ?? '';
    if (!/^\d+$/.test(number) || typeof part.ETag !== 'string') {
      throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    }
    const checksum = CHECKSUM_ELEMENTS.map((e) => part[e]).find((v) => typeof v === 'string') ?? null;
    return { partNumber: Number(number), etag: part.ETag.trim(), checksum: checksum?.trim() ?? null };
  });
  const record = await multipart.complete(bucket, key, uploadId, sse, parts);
  // Checksums of SSE-C plaintext only to a caller who holds the key (its fingerprint was checked).
  const showChecksum = record.checksumAlgorithm && (record.sseMode !== 'SSE-C' || sse.mode === 'SSE-C');
  const checksumElement = showChecksum ? { [`Checksum${record.checksumAlgorithm}`]: record.checksumValue!, ChecksumType: record.checksumType! } : {};
  return xml(
    xmlDocument('CompleteMultipartUploadResult', { Location: `/${bucket}/${key}`, Bucket: bucket, Key: key, ETag: record.etag, ...checksumElement }),
    sseHeaders(record, sse),
  );
}

export async function abortMultipartUpload({ multipart }: S3Request, bucket: string, key: string, uploadId: string): Promise<Response> {
  await multipart.abort(bucket, key, uploadId);
  return new Response(null, { status: 204 });
}

function boundedInt(url: URL, name: string, fallback: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw });
  return Math.min(Number(raw), max);
}

export async function listParts({ url, multipart, request, secure }: S3Request, bucket: string, key: string, uploadId: string): Promise<Response> {
  const sse = readSse(request.headers, secure);
  const upload = await multipart.upload(bucket, key, uploadId, sse.mode === 'SSE-C' ? sse : null);
  const maxParts = boundedInt(url, 'max-parts', 1000, 1000);
  const marker = boundedInt(url, 'part-number-marker', 0, MAX_PART_NUMBER);
  const parts = await multipart.parts(upload, marker, maxParts + 1);
  const truncated = parts.length > maxParts;
  const shown = parts.slice(0, maxParts);
  const algorithm = upload.checksumAlgorithm;
  // Checksums of SSE-C plaintext only to a caller who holds the key (its fingerprint was checked).
  const showChecksums = upload.sseMode !== 'SSE-C' || sse.mode === 'SSE-C';
  return xml(
    xmlDocument('ListPartsResult', {
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: shown.at(-1)?.partNumber ?? marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      ChecksumAlgorithm: algorithm ?? undefined,
      Part: shown.map((p) => ({
        PartNumber: p.partNumber,
        LastModified: iso(p.lastModified),
        ETag: p.etag,
        Size: p.size,
        ...(showChecksums && algorithm && p.checksumValue ? { [`Checksum${algorithm}`]: p.checksumValue } : {}),
      })),
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: 'STANDARD',
    }),
  );
}

export async function listMultipartUploads({ url, multipart }: S3Request, bucket: string): Promise<Response> {
  const q = url.searchParams;
  const maxUploads = boundedInt(url, 'max-uploads', 1000, 1000);
  const prefix = q.get('prefix') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = keyMarker ? (q.get('upload-id-marker') ?? '') : '';
  const uploads = await multipart.list(bucket, { prefix, keyMarker, uploadIdMarker: uploadIdMarker || (keyMarker ? '\uffff' : ''), limit: maxUploads + 1 });
  const truncated = uploads.length > maxUploads;
  const shown = uploads.slice(0, maxUploads);
  const last = shown.at(-1);
  return xml(
    xmlDocument('ListMultipartUploadsResult', {
      Bucket: bucket,
      KeyMarker: keyMarker,
      UploadIdMarker: uploadIdMarker,
      NextKeyMarker: truncated && last ? last.key : undefined,
      NextUploadIdMarker: truncated && last ? last.uploadId : undefined,
      Prefix: prefix,
      MaxUploads: maxUploads,
      IsTruncated: truncated,
      Upload: shown.map((u) => ({ Key: u.key, UploadId: u.uploadId, Initiator: OWNER, Owner: OWNER, StorageClass: 'STANDARD', Initiated: iso(u.initiated) })),
    }),
  );
}
