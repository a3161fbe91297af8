// The S3 error (src/error.ts) rendered as S3 XML in one place (renderError).
import { S3Error } from '../error';
import { storageOutage } from '../storage/outage';
import { escapeXml } from './xml';

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
