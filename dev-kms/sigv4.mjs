// Verifies AWS Signature Version 4 on an incoming request, as AWS KMS does: the Authorization header
// form, a known access key, the signature over the canonical request, and a date within 15 minutes.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * `request`: { method, rawPath, rawQuery, headers (lower-case names), body (Buffer) }.
 * `secrets`: access key id → secret. Returns null when the signature holds, else an AWS error.
 */
export function verifySigV4(request, secrets, service) {
  const authorization = request.headers.authorization;
  if (!authorization) return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const parts = AUTHORIZATION.exec(authorization);
  if (!parts) return { type: 'IncompleteSignatureException', message: 'Authorization header requires Credential, SignedHeaders and Signature.' };
  const [, accessKeyId, day, region, signedService, signedHeaders, signature] = parts;
  const secret = secrets.get(accessKeyId);
  if (secret === undefined) return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  const amzDate = request.headers['x-amz-date'] ?? '';
  const time = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!amzDate.startsWith(day) || signedService !== service || Number.isNaN(time)) {
    return { type: 'InvalidSignatureException', message: 'Credential should be scoped to a valid date, region and service.' };
  }
  if (Math.abs(Date.now() - time) > MAX_SKEW_MS) return { type: 'InvalidSignatureException', message: 'Signature expired.' };
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return { type: 'InvalidSignatureException', message: "'Host' must be a signed header." };
  const canonical = [
    request.method,
    canonicalPath(request.rawPath),
    canonicalQuery(request.rawQuery),
    names.map((name) => `${name}:${String(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join(''),
    signedHeaders,
    request.headers['x-amz-content-sha256'] ?? sha256(request.body),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${secret}`, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return { type: 'InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided.' };
  }
  return null;
}

/** Services other than S3 sign the path URI-encoded twice: the wire form, encoded once more. */
function canonicalPath(rawPath) {
  return rawPath.split('/').map(encodeRfc3986).join('/') || '/';
}

function canonicalQuery(rawQuery) {
  return [...new URLSearchParams(rawQuery)]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function encodeRfc3986(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();
