// The IAM action and resource each S3 operation is authorized by (AWS's names: "Actions, resources,
// and condition keys for Amazon S3", and each API page's "Permissions"). Every Operation kind must
// appear here, so a new kind does not type-check until someone decides what it needs; kinds whose
// name starts with Admin are administrators-only by that rule alone (access.ts) and have no entry.
import { copySourceAddress } from '../s3/address';
import type { Operation } from '../s3/operation';

export interface ActionCheck {
  action: string;
  resource: string;
}

type UserKind = Exclude<Operation['kind'], `Admin${string}`>;
type Of<K extends Operation['kind']> = Operation & { kind: K };

export const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;
export const objectArn = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;

const onBucket = (action: string) => (op: { bucket: string }): ActionCheck[] => [{ action, resource: bucketArn(op.bucket) }];
const onObject = (action: string) => (op: { bucket: string; key: string }): ActionCheck[] => [{ action, resource: objectArn(op.bucket, op.key) }];

/** A copy writes the destination and reads the source. */
const copy = (op: { bucket: string; key: string }, headers: Headers): ActionCheck[] => {
  const source = copySourceAddress(headers.get('x-amz-copy-source') ?? '');
  return [...onObject('s3:PutObject')(op), ...onObject('s3:GetObject')(source)];
};

/** Read actions of the bucket sub-resources this service answers without a configuration (all of them: actions.test.ts). */
const SUBRESOURCE_READS: Record<string, string> = {
  lifecycle: 's3:GetLifecycleConfiguration',
  policy: 's3:GetBucketPolicy',
  tagging: 's3:GetBucketTagging',
  website: 's3:GetBucketWebsite',
  'object-lock': 's3:GetBucketObjectLockConfiguration',
  publicAccessBlock: 's3:GetBucketPublicAccessBlock',
  replication: 's3:GetReplicationConfiguration',
  ownershipControls: 's3:GetBucketOwnershipControls',
  logging: 's3:GetBucketLogging',
  notification: 's3:GetBucketNotification',
  requestPayment: 's3:GetBucketRequestPayment',
  accelerate: 's3:GetAccelerateConfiguration',
};

export const OPERATION_ACTIONS: { [K in UserKind]: (op: Of<K>, headers: Headers) => ActionCheck[] } = {
  // s3:ListAllMyBuckets, else s3:ListBucket or s3:GetBucketLocation per bucket shown: decided while listing (Access.listable).
  ListBuckets: () => [],
  CreateBucket: onBucket('s3:CreateBucket'),
  HeadBucket: onBucket('s3:ListBucket'),
  DeleteBucket: onBucket('s3:DeleteBucket'),
  GetBucketLocation: onBucket('s3:GetBucketLocation'),
  GetBucketVersioning: onBucket('s3:GetBucketVersioning'),
  ListObjects: onBucket('s3:ListBucket'),
  ListObjectsV2: onBucket('s3:ListBucket'),
  // s3:DeleteObject per key, decided by the handler: a denied key is an AccessDenied entry of the result.
  DeleteObjects: () => [],
  PutBucketEncryption: onBucket('s3:PutEncryptionConfiguration'),
  GetBucketEncryption: onBucket('s3:GetEncryptionConfiguration'),
  DeleteBucketEncryption: onBucket('s3:PutEncryptionConfiguration'),
  PutBucketCors: onBucket('s3:PutBucketCORS'),
  GetBucketCors: onBucket('s3:GetBucketCORS'),
  DeleteBucketCors: onBucket('s3:PutBucketCORS'),
  // The request is unsigned: the handler checks s3:PutObject for the form's signer and key (authorizeFormUpload).
  PostObject: () => [],
  PutObject: onObject('s3:PutObject'),
  GetObject: onObject('s3:GetObject'),
  HeadObject: onObject('s3:GetObject'),
  GetObjectAttributes: (op) => [...onObject('s3:GetObject')(op), ...onObject('s3:GetObjectAttributes')(op)],
  DeleteObject: onObject('s3:DeleteObject'),
  CopyObject: copy,
  ListMultipartUploads: onBucket('s3:ListBucketMultipartUploads'),
  ListObjectVersions: onBucket('s3:ListBucketVersions'),
  GetBucketAcl: onBucket('s3:GetBucketAcl'),
  GetBucketSubresource: (op) => {
    const action = SUBRESOURCE_READS[op.subresource];
    if (!action) throw new RangeError(`no IAM action for ?${op.subresource}`);
    return onBucket(action)(op);
  },
  PutAcl: (op) => (op.key === null ? onBucket('s3:PutBucketAcl')(op) : onObject('s3:PutObjectAcl')({ bucket: op.bucket, key: op.key })),
  GetObjectAcl: onObject('s3:GetObjectAcl'),
  GetObjectTagging: onObject('s3:GetObjectTagging'),
  CreateMultipartUpload: onObject('s3:PutObject'),
  UploadPart: onObject('s3:PutObject'),
  UploadPartCopy: copy,
  CompleteMultipartUpload: onObject('s3:PutObject'),
  AbortMultipartUpload: onObject('s3:AbortMultipartUpload'),
  ListParts: onObject('s3:ListMultipartUploadParts'),
};

export const isAdminOperation = (op: Operation): boolean => op.kind.startsWith('Admin');

/** What a non-admin operation must be allowed to do (every check must pass). */
export function requiredActions(op: Operation, headers: Headers): ActionCheck[] {
  if (isAdminOperation(op)) throw new RangeError(`${op.kind} is for administrators only`);
  const checks = OPERATION_ACTIONS[op.kind as UserKind] as (op: Operation, headers: Headers) => ActionCheck[];
  return checks(op, headers);
}
