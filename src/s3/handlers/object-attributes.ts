// GetObjectAttributes: what x-amz-object-attributes asks for (ETag, Checksum, ObjectParts,
// StorageClass, ObjectSize) without the object's bytes; an SSE-C object needs its key, as in S3,
// and a multipart object's part list is authenticated first.
import type { S3Request } from '../context';
import { S3Error } from '../../error';
import { readSse } from '../sse';
import { type XmlObject, xmlDocument } from '../xml';
import { sseHeaders } from './objects';

const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'];

function intHeader(headers: Headers, name: string, fallback: number): number {
  const raw = headers.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,9}$/.test(raw.trim())) throw new S3Error('InvalidArgument', `Invalid ${name} value.`, { ArgumentName: name, ArgumentValue: raw });
  return Number(raw);
}

export async function getObjectAttributes({ request, objects, secure }: S3Request, bucket: string, key: string): Promise<Response> {
  const headers = request.headers;
  const wanted = (headers.get('x-amz-object-attributes') ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  if (!wanted.length || wanted.some((a) => !ATTRIBUTES.includes(a))) {
    throw new S3Error('InvalidArgument', 'Invalid attribute name specified.', { ArgumentName: 'x-amz-object-attributes' });
  }
  const maxParts = Math.min(intHeader(headers, 'x-amz-max-parts', 1000), 1000);
  const marker = intHeader(headers, 'x-amz-part-number-marker', 0);
  const sse = readSse(headers, secure);
  const record = await objects.head(bucket, key, sse);
  // Part rows are reported only once they match the manifest sealed at Complete, as a read checks them.
  await objects.verifyParts(record, sse);
  const algorithm = record.checksumAlgorithm;
  const body: XmlObject = {};
  if (wanted.includes('ETag')) body.ETag = record.etag.replace(/^"|"$/g, '');
  if (wanted.includes('Checksum') && algorithm && record.checksumValue) {
    // Without the "-N" part count HeadObject shows for a COMPOSITE checksum, as S3 answers here.
    body.Checksum = { [`Checksum${algorithm}`]: record.checksumValue.replace(/-\d+$/, ''), ChecksumType: record.checksumType ?? 'FULL_OBJECT' };
  }
  if (wanted.includes('ObjectParts') && record.partsCount !== null) {
    const parts = record.parts.filter((p) => p.partNumber > marker);
    const page = parts.slice(0, maxParts);
    const truncated = parts.length > page.length;
    body.ObjectParts = {
      PartsCount: record.partsCount,
      PartNumberMarker: marker,
      NextPartNumberMarker: page.at(-1)?.partNumber,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map((p) => ({
        PartNumber: p.partNumber,
        Size: p.size,
        ...(algorithm && p.checksumValue ? { [`Checksum${algorithm}`]: p.checksumValue } : {}),
      })),
    };
  }
  if (wanted.includes('StorageClass')) body.StorageClass = 'STANDARD';
  if (wanted.includes('ObjectSize')) body.ObjectSize = record.size;
  return new Response(xmlDocument('GetObjectAttributesResponse', body), {
    headers: { 'content-type': 'application/xml', 'Last-Modified': new Date(record.lastModified).toUTCString(), ...sseHeaders(record, sse) },
  });
}
