// One structured line per request (console.log: Workers Logs collect it, `npm run dev` prints it).
// Built from what the protocol layer already knows and the response headers, never from request
// headers or bodies: no secret, signature or SSE-C key can reach it.

export interface RequestRecord {
  type: 'access';
  time: string;
  requestId: string;
  accessKey: string | null;
  /** The Operation kind; null when the request failed before it was parsed (e.g. authentication). */
  operation: string | null;
  bucket: string | null;
  key: string | null;
  method: string;
  status: number;
  errorCode: string | null;
  bytesIn: number | null;
  bytesOut: number | null;
  durationMs: number;
  sseMode: 'SSE-S3' | 'SSE-KMS' | 'SSE-C' | null;
  kms: { calls: number; errors: number; ms: number };
  keyCache: { hits: number; misses: number };
}

/** The SSE mode a response reports (S3 names it in these headers on every object operation). */
export function sseModeOf(headers: Headers): RequestRecord['sseMode'] {
  if (headers.has('x-amz-server-side-encryption-customer-algorithm')) return 'SSE-C';
  const sse = headers.get('x-amz-server-side-encryption');
  return sse === 'aws:kms' ? 'SSE-KMS' : sse === 'AES256' ? 'SSE-S3' : null;
}

/** A length header as a number, null when absent or malformed. */
export function lengthOf(value: string | null): number | null {
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

export function writeAccessLog(record: RequestRecord): void {
  console.log(JSON.stringify(record));
}
