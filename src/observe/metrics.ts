// Request metrics as Workers Analytics Engine data points (binding METRICS, wrangler.toml). Without
// the binding (tests, plain Miniflare) each point is printed as a JSON line instead, so it can be
// read locally. docs/OPERATIONS.md lists the columns and example queries.
import type { RequestRecord } from './access-log';

/** Column order of a data point: blob1..blob6 and double1..double9 in Analytics Engine SQL. */
export const METRIC_BLOBS = ['operation', 'status', 'errorCode', 'sseMode', 'bucket', 'requestId'] as const;
export const METRIC_DOUBLES = ['requests', 'bytesIn', 'bytesOut', 'durationMs', 'kmsCalls', 'kmsErrors', 'kmsMs', 'keyCacheHits', 'keyCacheMisses'] as const;

export function dataPoint(r: RequestRecord): AnalyticsEngineDataPoint {
  return {
    indexes: [r.operation ?? 'unparsed'],
    blobs: [r.operation ?? 'unparsed', String(r.status), r.errorCode ?? '', r.sseMode ?? '', r.bucket ?? '', r.requestId],
    doubles: [1, r.bytesIn ?? 0, r.bytesOut ?? 0, r.durationMs, r.kms.calls, r.kms.errors, r.kms.ms, r.keyCache.hits, r.keyCache.misses],
  };
}

export function writeMetrics(dataset: AnalyticsEngineDataset | undefined, r: RequestRecord): void {
  const point = dataPoint(r);
  if (dataset) dataset.writeDataPoint(point);
  else console.log(JSON.stringify({ type: 'metric', ...point }));
}
