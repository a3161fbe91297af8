// Liveness for load balancers and uptime checks: GET /_health, unauthenticated, so it says nothing
// but that the worker runs (no version, no dependency state). "_health" is no valid bucket name, so
// it shadows nothing. The administrators' report is GET /_admin/health.
import type { Address } from '../s3/address';

export const isLiveness = (method: string, a: Address) => (method === 'GET' || method === 'HEAD') && a.bucket === '_health' && a.key === null;

export function liveness(): Response {
  return new Response('ok', { headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' } });
}
