// Where a request points: bucket and key from path-style or virtual-hosted-style addressing, and the
// object a copy names (x-amz-copy-source).
import { S3Error } from '../error';

export interface Address {
  bucket: string | null;
  key: string | null;
  /** The raw request path in path-style form (`/bucket/key` as sent), what SigV2 signs. */
  resource: string;
}

/**
 * The request path exactly as the client sent it. URL parsers resolve "." and ".." segments, but
 * in S3 they are part of object keys ("a/../b" is a key), so the path is cut from the raw URL text.
 */
export function rawPath(requestUrl: string): string {
  const afterScheme = requestUrl.indexOf('//') + 2;
  const pathStart = requestUrl.indexOf('/', afterScheme);
  if (pathStart < 0) return '/';
  const end = requestUrl.search(/[?#]/);
  return requestUrl.slice(pathStart, end < pathStart ? undefined : end);
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new S3Error('InvalidURI', 'Could not parse the specified URI.');
  }
}

/** `suffixes`: host suffixes under which `<bucket>.<suffix>` names a bucket (virtual-hosted style). */
export function parseAddress(requestUrl: string, host: string, suffixes: readonly string[]): Address {
  const path = rawPath(requestUrl);
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const suffix = suffixes.find((s) => hostname.endsWith(`.${s}`));
  if (suffix) {
    const bucket = hostname.slice(0, -suffix.length - 1);
    const key = path.length > 1 ? decodePath(path.slice(1)) : null;
    return { bucket, key, resource: `/${bucket}${path}` };
  }
  const slash = path.indexOf('/', 1);
  if (path.length <= 1) return { bucket: null, key: null, resource: path };
  if (slash < 0) return { bucket: decodePath(path.slice(1)), key: null, resource: path };
  const key = path.slice(slash + 1);
  return { bucket: decodePath(path.slice(1, slash)), key: key ? decodePath(key) : null, resource: path };
}

/** Where a request points, with `suffixes` the VIRTUAL_HOST_SUFFIXES setting (comma-separated). */
export function requestAddress(request: Request, suffixes: string | undefined): Address {
  const host = request.headers.get('host') ?? new URL(request.url).host;
  const list = (suffixes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return parseAddress(request.url, host, list);
}

/** Bucket and key named by an x-amz-copy-source header (`[/]bucket/key[?versionId=...]`, URL-encoded). */
export function copySourceAddress(raw: string): { bucket: string; key: string; versionId: string | null } {
  const [path, query] = raw.split('?', 2) as [string, string | undefined];
  let decoded: string;
  try {
    decoded = decodeURIComponent(path.replace(/^\//, ''));
  } catch {
    decoded = '';
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source' });
  }
  const versionId = query ? new URLSearchParams(query).get('versionId') : null;
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), versionId };
}
