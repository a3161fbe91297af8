// ListObjectsV2 and ListObjects (v1: s3cmd and rclone use it by default).
import type { ListedObject } from '../../storage/metadata';
import { OWNER, iso, type S3Request } from '../context';
import { S3Error } from '../../error';
import { xmlDocument } from '../xml';

function maxKeysOf(url: URL): number {
  const raw = url.searchParams.get('max-keys');
  if (raw === null) return 1000;
  if (!/^\d+$/.test(raw)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: raw });
  return Math.min(Number(raw), 1000);
}

function encoderOf(url: URL): { encodingType: string | undefined; encode: (s: string) => string } {
  const type = url.searchParams.get('encoding-type');
  if (type === null) return { encodingType: undefined, encode: (s) => s };
  if (type !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type' });
  return { encodingType: 'url', encode: (s) => encodeURIComponent(s).replace(/%2F/g, '/') };
}

function contents(rows: ListedObject[], encode: (s: string) => string, withOwner: boolean) {
  return rows.map((r) => ({
    Key: encode(r.key),
    LastModified: iso(r.lastModified),
    ETag: r.etag,
    ChecksumAlgorithm: r.checksumAlgorithm ?? undefined,
    ChecksumType: r.checksumAlgorithm ? 'FULL_OBJECT' : undefined,
    Size: r.size,
    Owner: withOwner ? OWNER : undefined,
    StorageClass: 'STANDARD',
  }));
}

const xml = (body: string) => new Response(body, { headers: { 'content-type': 'application/xml' } });

/** An opaque continuation token for a position (a key, a bucket name). */
export const toToken = (key: string) => btoa(String.fromCharCode(...new TextEncoder().encode(key)));

export function fromToken(token: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(token), (c) => c.charCodeAt(0)));
  } catch {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  }
}

export async function listObjectsV2({ url, objects }: S3Request, bucket: string): Promise<Response> {
  const q = url.searchParams;
  const maxKeys = maxKeysOf(url);
  const { encodingType, encode } = encoderOf(url);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after');
  const after = token !== null ? fromToken(token) : startAfter;
  const page = await objects.list(bucket, { prefix, delimiter, after, maxKeys });
  return xml(
    xmlDocument('ListBucketResult', {
      Name: bucket,
      Prefix: encode(prefix),
      Delimiter: delimiter ? encode(delimiter) : undefined,
      MaxKeys: maxKeys,
      EncodingType: encodingType,
      KeyCount: page.objects.length + page.commonPrefixes.length,
      IsTruncated: page.isTruncated,
      ContinuationToken: token ?? undefined,
      NextContinuationToken: page.isTruncated && page.lastReturned !== null ? toToken(page.lastReturned) : undefined,
      StartAfter: startAfter !== null ? encode(startAfter) : undefined,
      Contents: contents(page.objects, encode, q.get('fetch-owner') === 'true'),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    }),
  );
}

export async function listObjects({ url, objects }: S3Request, bucket: string): Promise<Response> {
  const q = url.searchParams;
  const maxKeys = maxKeysOf(url);
  const { encodingType, encode } = encoderOf(url);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const marker = q.get('marker') ?? '';
  const page = await objects.list(bucket, { prefix, delimiter, after: marker || null, maxKeys });
  return xml(
    xmlDocument('ListBucketResult', {
      Name: bucket,
      Prefix: encode(prefix),
      Marker: encode(marker),
      // S3 sends NextMarker only with a delimiter; without one clients continue from the last key.
      NextMarker: page.isTruncated && delimiter && page.lastReturned !== null ? encode(page.lastReturned) : undefined,
      MaxKeys: maxKeys,
      Delimiter: delimiter ? encode(delimiter) : undefined,
      EncodingType: encodingType,
      IsTruncated: page.isTruncated,
      Contents: contents(page.objects, encode, true),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    }),
  );
}

/**
 * ListObjectVersions of an unversioned bucket: S3 lists every object as its only version, with
 * version id "null". Paged by key-marker (version-id-marker has nothing to select between).
 */
export async function listObjectVersions({ url, objects }: S3Request, bucket: string): Promise<Response> {
  const q = url.searchParams;
  const maxKeys = maxKeysOf(url);
  const { encodingType, encode } = encoderOf(url);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const page = await objects.list(bucket, { prefix, delimiter, after: keyMarker || null, maxKeys });
  return xml(
    xmlDocument('ListVersionsResult', {
      Name: bucket,
      Prefix: encode(prefix),
      KeyMarker: encode(keyMarker),
      VersionIdMarker: q.get('version-id-marker') ?? '',
      NextKeyMarker: page.isTruncated && page.lastReturned !== null ? encode(page.lastReturned) : undefined,
      NextVersionIdMarker: page.isTruncated ? 'null' : undefined,
      MaxKeys: maxKeys,
      Delimiter: delimiter ? encode(delimiter) : undefined,
      EncodingType: encodingType,
      IsTruncated: page.isTruncated,
      Version: contents(page.objects, encode, true).map(({ Key, ...rest }) => ({ Key, VersionId: 'null', IsLatest: true, ...rest })),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    }),
  );
}
