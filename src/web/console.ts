// The web console at /_console/: static assets answered before S3 authentication (the page holds no
// secret; it signs its S3 requests in the browser). "_" is not allowed in bucket names, so the path
// never shadows a bucket; virtual-hosted requests never reach here (their bucket is the host's).
import { S3Error } from '../error';
import { CONSOLE_ASSETS } from './console-assets.gen';

/** The path-style "bucket" the console lives under. */
export const CONSOLE_PREFIX = '_console';

/**
 * The page only talks to its own origin; no inline script or style, so injected markup cannot run.
 * Downloads are presigned GETs and blob: URLs of the same origin.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** Answers a request under /_console; `path` is the raw request path, `key` the part after /_console/. */
export function serveConsole(request: Request, path: string, key: string | null): Response {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: request.method });
  }
  if (path === `/${CONSOLE_PREFIX}`) return new Response(null, { status: 301, headers: { location: `/${CONSOLE_PREFIX}/` } });
  const asset = CONSOLE_ASSETS[key ?? 'index.html'];
  if (!asset) return new Response('Not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS } });
  const headers = { 'content-type': asset.type, etag: asset.etag, ...SECURITY_HEADERS };
  if (request.headers.get('if-none-match') === asset.etag) return new Response(null, { status: 304, headers });
  return new Response(request.method === 'HEAD' ? null : asset.body, { headers });
}
