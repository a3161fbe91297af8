// The condition keys a request carries (IAM: the request context), lowercased as they compare.
import type { RequestContext } from './evaluate';

/** Request headers that are condition keys of the same name under s3: (present only when sent). */
const HEADER_KEYS = [
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-copy-source',
  'x-amz-metadata-directive',
  'x-amz-acl',
];
/** ListObjects query parameters that are condition keys under s3: (present only when sent). */
const QUERY_KEYS = ['prefix', 'delimiter', 'max-keys'];

export function requestContext(headers: Headers, url: URL, now = new Date()): RequestContext {
  const context = new Map<string, string[]>([
    ['aws:securetransport', [String(url.protocol === 'https:')]],
    ['aws:currenttime', [now.toISOString()]],
    ['aws:epochtime', [String(Math.floor(now.getTime() / 1000))]],
  ]);
  for (const name of HEADER_KEYS) {
    const value = headers.get(name);
    if (value !== null) context.set(`s3:${name}`, [value]);
  }
  for (const name of QUERY_KEYS) {
    const value = url.searchParams.get(name);
    if (value !== null) context.set(`s3:${name}`, [value]);
  }
  return context;
}
