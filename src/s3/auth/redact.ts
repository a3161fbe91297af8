// What a SignatureDoesNotMatch answer may echo of the request. AWS sends back the canonical request
// and string to sign so clients can find their mistake; the values of headers and query parameters
// that carry secrets (an SSE-C key, a session token) are replaced first.

const SECRET_NAMES = [
  'x-amz-server-side-encryption-customer-key',
  'x-amz-copy-source-server-side-encryption-customer-key',
  'x-amz-security-token',
  'authorization',
];
const names = SECRET_NAMES.join('|');
/** `name:value` lines (canonical headers, SigV2 x-amz- headers). */
const HEADER_LINE = new RegExp(`^(${names}):.*$`, 'gim');
/** `name=value` pairs of a query string (canonical query, presigned URLs). */
const QUERY_PAIR = new RegExp(`(^|&)(${names})=[^&\\n]*`, 'gim');

export const REDACTED = '(redacted)';

export function redactSecrets(text: string): string {
  return text.replace(HEADER_LINE, `$1:${REDACTED}`).replace(QUERY_PAIR, `$1$2=${REDACTED}`);
}
