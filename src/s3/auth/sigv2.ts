// AWS Signature Version 2 (HMAC-SHA1), which some clients still send at their defaults: boto3's
// presigned URLs (`AWSAccessKeyId`, `Signature`, `Expires`), `Authorization: AWS AKID:signature`
// from older tools. V2 never signs the payload, so it is accepted only where clients need it:
// presigned GET and HEAD URLs valid for at most 7 days (as SigV4's limit). Header-signed V2, and V2
// for any other request, only with ALLOW_SIGV2_HEADERS=true; bodies are then checked only by
// Content-MD5 and x-amz-checksum-* headers, as in S3.
import { timingSafeEqual } from '../../crypto/keys';
import { S3Error } from '../../error';
import { headerText } from '../header-text';
import { redactSecrets } from './redact';
import type { AuthContext, SecretLookup } from './sigv4';

const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_MS = 7 * 24 * 3600 * 1000;

const unsupported = () =>
  new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');

/** Sub-resources and response overrides that are part of the V2 canonical resource, in sort order. */
const SIGNED_SUBRESOURCES = [
  'acl', 'cors', 'delete', 'encryption', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy',
  'requestPayment', 'response-cache-control', 'response-content-disposition', 'response-content-encoding',
  'response-content-language', 'response-content-type', 'response-expires', 'restore', 'tagging', 'torrent',
  'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
];

export function isSigV2(request: Request, url: URL): boolean {
  return request.headers.get('authorization')?.startsWith('AWS ') === true || (url.searchParams.has('AWSAccessKeyId') && url.searchParams.has('Signature'));
}

/**
 * The V2 string to sign. `resource` is the request path in path-style form (with the bucket),
 * exactly as sent.
 */
export function stringToSignV2(request: Request, url: URL, resource: string, dateOrExpires: string): string {
  const amz = [...request.headers]
    .filter(([name]) => name.startsWith('x-amz-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${headerText(value).trim()}\n`)
    .join('');
  const sub = SIGNED_SUBRESOURCES.filter((name) => url.searchParams.has(name))
    .map((name) => (url.searchParams.get(name) ? `${name}=${url.searchParams.get(name)}` : name))
    .join('&');
  return [request.method, request.headers.get('content-md5') ?? '', request.headers.get('content-type') ?? '', dateOrExpires].join('\n') + `\n${amz}${resource}${sub ? `?${sub}` : ''}`;
}

export async function signV2(secret: string, toSign: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(toSign)));
  return btoa(String.fromCharCode(...mac));
}

export async function authenticateV2(
  request: Request,
  url: URL,
  resource: string,
  secretFor: SecretLookup,
  now: Date,
  /** ALLOW_SIGV2_HEADERS: header-signed V2, and presigned V2 for every method. */
  allowAll = false,
): Promise<AuthContext> {
  const header = request.headers.get('authorization');
  if (!allowAll && (header !== null || (request.method !== 'GET' && request.method !== 'HEAD'))) throw unsupported();
  let accessKeyId: string;
  let signature: string;
  let dateOrExpires: string;
  if (header !== null) {
    const m = /^AWS ([^:\s]+):(\S+)$/.exec(header);
    if (!m) throw new S3Error('InvalidArgument', 'Authorization header is invalid -- one and only one \' \' (space) required', { ArgumentName: 'Authorization' });
    [, accessKeyId, signature] = m as unknown as [string, string, string];
    const date = request.headers.get('x-amz-date') ?? request.headers.get('date');
    const time = date === null ? NaN : Date.parse(date);
    if (Number.isNaN(time)) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    if (Math.abs(time - now.getTime()) > MAX_SKEW_MS) {
      throw new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    }
    // With x-amz-date the Date line is empty: the date is signed among the x-amz- headers.
    dateOrExpires = request.headers.has('x-amz-date') ? '' : date!;
  } else {
    accessKeyId = url.searchParams.get('AWSAccessKeyId')!;
    signature = url.searchParams.get('Signature')!;
    dateOrExpires = url.searchParams.get('Expires') ?? '';
    if (!/^\d{1,12}$/.test(dateOrExpires)) throw new S3Error('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
    if (Number(dateOrExpires) * 1000 < now.getTime()) throw new S3Error('AccessDenied', 'Request has expired');
    if (Number(dateOrExpires) * 1000 > now.getTime() + MAX_PRESIGN_MS) {
      throw new S3Error('AccessDenied', 'Query-string authentication requires Expires at most 7 days (604800 seconds) ahead.');
    }
  }
  const secret = await secretFor(accessKeyId);
  if (secret === undefined) throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
  const toSign = stringToSignV2(request, url, resource, dateOrExpires);
  const utf8 = new TextEncoder();
  if (!timingSafeEqual(utf8.encode(await signV2(secret, toSign)), utf8.encode(signature))) {
    throw new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: accessKeyId,
      StringToSign: redactSecrets(toSign),
      SignatureProvided: signature,
    });
  }
  return { accessKeyId, payload: { kind: 'unsigned' } };
}
