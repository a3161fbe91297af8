// A typed parse of each request into exactly one S3 operation (dispatched exhaustively in app.ts).
import type { Address } from './address';
import { S3Error } from '../error';
import { UNCONFIGURED_BUCKET_SUBRESOURCES } from './handlers/unconfigured';

type BucketOp<K extends string> = { kind: K; bucket: string };
type ObjectOp<K extends string> = { kind: K; bucket: string; key: string };

export type Operation =
  | { kind: 'AdminRewrap' }
  | { kind: 'AdminCreateUser' | 'AdminListUsers' }
  | { kind: 'AdminDisableUser' | 'AdminEnableUser' | 'AdminDeleteUser'; accessKeyId: string }
  | { kind: 'AdminAuditVerify' | 'AdminAuditList' | 'AdminErasureReport' | 'AdminHealth' }
  | { kind: 'AdminScrub' }
  | { kind: 'ListBuckets' }
  | BucketOp<'CreateBucket'>
  | BucketOp<'HeadBucket'>
  | BucketOp<'DeleteBucket'>
  | BucketOp<'GetBucketLocation'>
  | BucketOp<'GetBucketVersioning'>
  | BucketOp<'ListObjects'>
  | BucketOp<'ListObjectsV2'>
  | BucketOp<'DeleteObjects'>
  | BucketOp<'PutBucketEncryption'>
  | BucketOp<'GetBucketEncryption'>
  | BucketOp<'DeleteBucketEncryption'>
  | BucketOp<'PutBucketCors'>
  | BucketOp<'GetBucketCors'>
  | BucketOp<'DeleteBucketCors'>
  | BucketOp<'PostObject'>
  | ObjectOp<'GetObjectAttributes'>
  | ObjectOp<'PutObject'>
  | ObjectOp<'GetObject'>
  | ObjectOp<'HeadObject'>
  | ObjectOp<'DeleteObject'>
  | ObjectOp<'CopyObject'>
  | BucketOp<'ListMultipartUploads'>
  | BucketOp<'ListObjectVersions'>
  | BucketOp<'GetBucketAcl'>
  | (BucketOp<'GetBucketSubresource'> & { subresource: string })
  | (BucketOp<'PutAcl'> & { key: string | null })
  | ObjectOp<'GetObjectAcl'>
  | ObjectOp<'GetObjectTagging'>
  | ObjectOp<'CreateMultipartUpload'>
  | (ObjectOp<'UploadPart' | 'UploadPartCopy'> & { uploadId: string; partNumber: string })
  | (ObjectOp<'CompleteMultipartUpload' | 'AbortMultipartUpload' | 'ListParts'> & { uploadId: string });

/** Read-only administrative operations: GET /_admin/<path> with their own query parameters. */
const ADMIN_READS = new Map([
  ['audit/verify', 'AdminAuditVerify'],
  ['audit', 'AdminAuditList'],
  ['erasure-report', 'AdminErasureReport'],
  ['health', 'AdminHealth'],
] as const);

/** Query parameters that select an S3 sub-resource; any not handled below is NotImplemented. */
const SUBRESOURCES = [
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering',
  'inventory', 'legal-hold', 'lifecycle', 'location', 'logging', 'metrics', 'notification', 'object-lock',
  'ownershipControls', 'partNumber', 'policy', 'policyStatus', 'publicAccessBlock', 'replication',
  'requestPayment', 'restore', 'retention', 'select', 'tagging', 'torrent', 'uploadId', 'uploads',
  'versionId', 'versioning', 'versions', 'website',
];

/** A browser form upload (POST Object): authenticated by its form's policy signature, not by the request's. */
export function isPostObject(method: string, address: Address, query: URLSearchParams): boolean {
  return method === 'POST' && address.bucket !== null && address.bucket !== '_admin' && address.key === null && !SUBRESOURCES.some((s) => query.has(s));
}

export function parseOperation(method: string, address: Address, query: URLSearchParams, headers: Headers): Operation {
  const sub = SUBRESOURCES.filter((s) => query.has(s));
  const { bucket, key } = address;
  const none = sub.length === 0;
  const only = (...names: string[]) => sub.length === names.length && names.every((n) => sub.includes(n));
  const uploadId = query.get('uploadId') ?? '';

  if (bucket === '_admin') {
    if (key === 'rewrap' && method === 'POST' && none) return { kind: 'AdminRewrap' };
    if (key === 'users' && none) {
      if (method === 'POST') return { kind: 'AdminCreateUser' };
      if (method === 'GET') return { kind: 'AdminListUsers' };
    }
    const user = /^users\/([A-Z0-9]{1,128})$/.exec(key ?? '')?.[1];
    if (user && none) {
      if (method === 'POST' && query.has('disable')) return { kind: 'AdminDisableUser', accessKeyId: user };
      if (method === 'POST' && query.has('enable')) return { kind: 'AdminEnableUser', accessKeyId: user };
      if (method === 'DELETE') return { kind: 'AdminDeleteUser', accessKeyId: user };
    }
    const observe = method === 'GET' && none && ADMIN_READS.get(key as never);
    if (observe) return { kind: observe };
    if (key === 'scrub' && method === 'POST' && none) return { kind: 'AdminScrub' };
  } else if (bucket === null) {
    if (method === 'GET' && none) return { kind: 'ListBuckets' };
  } else if (key === null) {
    switch (method) {
      case 'PUT':
        if (none) return { kind: 'CreateBucket', bucket };
        if (only('acl')) return { kind: 'PutAcl', bucket, key: null };
        if (only('encryption')) return { kind: 'PutBucketEncryption', bucket };
        if (only('cors')) return { kind: 'PutBucketCors', bucket };
        break;
      case 'HEAD':
        if (none) return { kind: 'HeadBucket', bucket };
        break;
      case 'DELETE':
        if (none) return { kind: 'DeleteBucket', bucket };
        if (only('encryption')) return { kind: 'DeleteBucketEncryption', bucket };
        if (only('cors')) return { kind: 'DeleteBucketCors', bucket };
        break;
      case 'GET':
        if (only('location')) return { kind: 'GetBucketLocation', bucket };
        if (only('versioning')) return { kind: 'GetBucketVersioning', bucket };
        if (only('encryption')) return { kind: 'GetBucketEncryption', bucket };
        if (only('cors')) return { kind: 'GetBucketCors', bucket };
        if (only('uploads')) return { kind: 'ListMultipartUploads', bucket };
        if (only('versions')) return { kind: 'ListObjectVersions', bucket };
        if (only('acl')) return { kind: 'GetBucketAcl', bucket };
        if (sub.length === 1 && UNCONFIGURED_BUCKET_SUBRESOURCES.includes(sub[0]!)) return { kind: 'GetBucketSubresource', bucket, subresource: sub[0]! };
        if (none) return { kind: query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', bucket };
        break;
      case 'POST':
        if (only('delete')) return { kind: 'DeleteObjects', bucket };
        if (isPostObject(method, address, query)) return { kind: 'PostObject', bucket };
        break;
    }
  } else {
    switch (method) {
      case 'PUT':
        if (only('partNumber', 'uploadId')) {
          const kind = headers.has('x-amz-copy-source') ? 'UploadPartCopy' : 'UploadPart';
          return { kind, bucket, key, uploadId, partNumber: query.get('partNumber')! };
        }
        if (none) return { kind: headers.has('x-amz-copy-source') ? 'CopyObject' : 'PutObject', bucket, key };
        if (only('acl')) return { kind: 'PutAcl', bucket, key };
        break;
      case 'GET':
        if (none || only('partNumber')) return { kind: 'GetObject', bucket, key };
        if (only('uploadId')) return { kind: 'ListParts', bucket, key, uploadId };
        if (only('acl')) return { kind: 'GetObjectAcl', bucket, key };
        if (only('tagging')) return { kind: 'GetObjectTagging', bucket, key };
        if (only('attributes')) return { kind: 'GetObjectAttributes', bucket, key };
        break;
      case 'HEAD':
        if (none || only('partNumber')) return { kind: 'HeadObject', bucket, key };
        break;
      case 'DELETE':
        if (none) return { kind: 'DeleteObject', bucket, key };
        if (only('uploadId')) return { kind: 'AbortMultipartUpload', bucket, key, uploadId };
        break;
      case 'POST':
        if (only('uploads')) return { kind: 'CreateMultipartUpload', bucket, key };
        if (only('uploadId')) return { kind: 'CompleteMultipartUpload', bucket, key, uploadId };
        break;
    }
  }
  if (!['GET', 'HEAD', 'PUT', 'POST', 'DELETE'].includes(method)) {
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method });
  }
  const what = sub.length ? `?${sub.join('&')}` : `${method} on this resource`;
  throw new S3Error('NotImplemented', `A header or query you provided implies functionality that is not implemented: ${what}`);
}
