// The post-dispatch hook: what one request did, as an access-log line (written after the answer),
// a metrics data point and its key uses appended to the audit log (buffered; flushed after the
// response).
import { isolateAuditLog } from '../audit/log';
import type { Bindings } from '../env';
import type { S3Error } from '../error';
import type { Operation } from '../s3/operation';
import { type RequestRecord, lengthOf, sseModeOf, writeAccessLog } from './access-log';
import type { RequestMeter } from './meter';
import { writeMetrics } from './metrics';

export interface RequestFacts {
  requestId: string;
  /** ms since epoch when the request arrived */
  started: number;
  request: Request;
  /** Known once the request was authenticated and parsed. */
  accessKey: string | null;
  op: Operation | null;
  error: S3Error | null;
  response: Response;
  meter: RequestMeter;
}

/** Never throws: observing a request must not fail it. */
export function observeRequest(env: Bindings, waitUntil: (p: Promise<unknown>) => void, f: RequestFacts): void {
  guarded(f.requestId, () => observe(env, waitUntil, f));
}

function guarded(requestId: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    console.error(JSON.stringify({ type: 'observe-failed', requestId, error: e instanceof Error ? e.message : String(e) }));
  }
}

function observe(env: Bindings, waitUntil: (p: Promise<unknown>) => void, f: RequestFacts): void {
  const bucket = f.op && 'bucket' in f.op ? f.op.bucket : null;
  const key = f.op && 'key' in f.op ? f.op.key : null;
  const { meter, request, response } = f;
  const record: RequestRecord = {
    type: 'access',
    time: new Date(f.started).toISOString(),
    requestId: f.requestId,
    accessKey: f.accessKey,
    operation: f.op?.kind ?? null,
    bucket,
    key,
    method: request.method,
    status: response.status,
    errorCode: f.error?.code ?? null,
    bytesIn: lengthOf(request.headers.get('x-amz-decoded-content-length') ?? request.headers.get('content-length')) ?? (request.body ? null : 0),
    bytesOut: request.method === 'HEAD' || !response.body ? 0 : lengthOf(response.headers.get('content-length')),
    durationMs: Date.now() - f.started,
    sseMode: sseModeOf(response.headers),
    kms: { calls: meter.kmsCalls, errors: meter.kmsErrors, ms: meter.kmsMs },
    keyCache: { hits: meter.cacheHits, misses: meter.cacheMisses },
  };
  // Written a task after the answer left (waitUntil keeps the request alive for them): a console
  // line (the access log; the metrics point without its binding) written before it costs the answer
  // 3-4 ms under wrangler dev (docs/PERFORMANCE.md).
  const write = () => {
    writeAccessLog(record);
    writeMetrics(env.METRICS, record);
  };
  waitUntil(new Promise<void>((written) => setTimeout(() => written(guarded(f.requestId, write)), 0)));
  const events = meter.uses.map((use) => ({ ...use, bucket: use.bucket ?? bucket, key: use.key ?? key, requestId: f.requestId, accessKey: f.accessKey }));
  isolateAuditLog(env).add(events, waitUntil);
}
