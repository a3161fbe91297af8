// Reads of bucket and object sub-resources this service keeps no configuration for. S3 answers them
// as for a bucket that never had one (an empty document, or the 404 that says "none"), which is the
// truth here; writes to them stay NotImplemented.
import { OWNER, type S3Request } from '../context';
import { S3Error, type S3ErrorCode } from '../../error';
import { type XmlObject, xmlDocument } from '../xml';

/** Sub-resources S3 reports as missing with a 404 of their own. */
const MISSING: Record<string, [S3ErrorCode, string]> = {
  lifecycle: ['NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist'],
  policy: ['NoSuchBucketPolicy', 'The bucket policy does not exist'],
  tagging: ['NoSuchTagSet', 'The TagSet does not exist'],
  website: ['NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration'],
  'object-lock': ['ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket'],
  publicAccessBlock: ['NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found'],
  replication: ['ReplicationConfigurationNotFoundError', 'The replication configuration was not found'],
  ownershipControls: ['OwnershipControlsNotFoundError', 'The bucket ownership controls were not found'],
};

/** Sub-resources S3 reports as an empty (or default) document. */
const EMPTY: Record<string, [string, XmlObject]> = {
  logging: ['BucketLoggingStatus', {}],
  notification: ['NotificationConfiguration', {}],
  requestPayment: ['RequestPaymentConfiguration', { Payer: 'BucketOwner' }],
  accelerate: ['AccelerateConfiguration', {}],
};

export const UNCONFIGURED_BUCKET_SUBRESOURCES = [...Object.keys(MISSING), ...Object.keys(EMPTY)];

const xml = (body: string) => new Response(body, { headers: { 'content-type': 'application/xml' } });

/** Everything is private to the one owner: the ACL S3 reports for a bucket or object with canned ACL "private". */
const PRIVATE_ACL = {
  Owner: OWNER,
  AccessControlList: { Grant: { Grantee: { ID: OWNER.ID, DisplayName: OWNER.DisplayName }, Permission: 'FULL_CONTROL' } },
};

export async function getBucketSubresource({ objects }: S3Request, bucket: string, subresource: string): Promise<Response> {
  await objects.requireBucket(bucket);
  const missing = MISSING[subresource];
  if (missing) throw new S3Error(missing[0], missing[1], { BucketName: bucket });
  const [root, body] = EMPTY[subresource]!;
  return xml(xmlDocument(root, body));
}

export async function getBucketAcl({ objects }: S3Request, bucket: string): Promise<Response> {
  await objects.requireBucket(bucket);
  return xml(xmlDocument('AccessControlPolicy', PRIVATE_ACL, { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance' }));
}

export async function getObjectAcl({ objects }: S3Request, bucket: string, key: string): Promise<Response> {
  await objects.requireObject(bucket, key);
  return xml(xmlDocument('AccessControlPolicy', PRIVATE_ACL, { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance' }));
}

export async function getObjectTagging({ objects }: S3Request, bucket: string, key: string): Promise<Response> {
  await objects.requireObject(bucket, key);
  return xml(xmlDocument('Tagging', { TagSet: {} }));
}

/** PutBucketAcl / PutObjectAcl: only the canned ACL "private" (what everything is) is accepted. */
export async function putAcl({ objects, request }: S3Request, bucket: string, key: string | null): Promise<Response> {
  if (key === null) await objects.requireBucket(bucket);
  else await objects.requireObject(bucket, key);
  if (request.headers.get('x-amz-acl') !== 'private') {
    throw new S3Error('NotImplemented', 'Only the canned ACL "private" is supported: access is single-tenant.');
  }
  return new Response(null, { status: 200 });
}
