// One S3 error type, one table of codes → HTTP status, rendered as S3 XML in one place (renderError).
import { storageOutage } from '../storage/outage';
import { escapeXml } from './xml';

const STATUS = {
  AccessDenied: 403,
  AccessForbidden: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BadRequest: 400,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidEncryptionAlgorithmError: 400,
  InvalidLocationConstraint: 400,
  InvalidPart: 400,
  InvalidPartNumber: 416,
  InvalidPartOrder: 400,
  InvalidPolicyDocument: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidStorageClass: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedPOSTRequest: 400,
  'KMS.DisabledException': 400,
  'KMS.NotFoundException': 400,
  MalformedTrailerError: 400,
  MalformedPolicyDocument: 400,
  MalformedXML: 400,
  MaxPostPreDataLengthExceededError: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  MissingSecurityHeader: 400,
  NoSuchBucket: 404,
  NoSuchBucketPolicy: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchEntity: 404,
  NoSuchKey: 404,
  NoSuchLifecycleConfiguration: 404,
  NoSuchPublicAccessBlockConfiguration: 404,
  NoSuchServerSideEncryptionConfiguration: 404,
  NoSuchTagSet: 404,
  NoSuchUpload: 404,
  NoSuchWebsiteConfiguration: 404,
  NotImplemented: 501,
  NotModified: 304,
  ObjectLockConfigurationNotFoundError: 404,
  OwnershipControlsNotFoundError: 404,
  PreconditionFailed: 412,
  ReplicationConfigurationNotFoundError: 404,
  RequestTimeTooSkewed: 403,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
} as const;

export type S3ErrorCode = keyof typeof STATUS;

export class S3Error extends Error {
  readonly status: number;
  constructor(
    readonly code: S3ErrorCode,
    message: string,
    /** Extra child elements of <Error>, e.g. ArgumentName. Never secrets. */
    readonly details: Record<string, string> = {},
    /** Response headers the error carries, e.g. Content-Range on 416. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'S3Error';
    this.status = STATUS[code];
  }
}

export function isS3Error(e: unknown): e is S3Error {
  return e instanceof S3Error;
}

/** The S3 XML body (and status) for an error; HEAD and 304 responses carry no body. */
export function renderError(err: S3Error, resource: string, requestId: string, method: string): Response {
  const headers = new Headers({ ...err.headers, 'x-amz-request-id': requestId, 'x-amz-id-2': requestId });
  if (method === 'HEAD' || err.status === 304) return new Response(null, { status: err.status, headers });
  headers.set('content-type', 'application/xml');
  const extra = Object.entries(err.details)
    .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message>${extra}` +
    `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`;
  return new Response(body, { status: err.status, headers });
}

/** The retryable 503 a failed storage call is answered with; null when `e` is not one (a bug: 500). */
export function storageUnavailable(e: unknown): S3Error | null {
  const outage = storageOutage(e);
  if (!outage) return null;
  const message = outage.code === 'SlowDown' ? 'Please reduce your request rate.' : 'Storage is unavailable; please retry.';
  // What the store said is only the cause, for the log (with the request id), never the answer.
  return Object.assign(new S3Error(outage.code, message), { cause: outage.cause });
}
