// CORS as S3 does it: a bucket's rules (PutBucketCors) decide preflight answers, which come before
// authentication (browsers send no credentials on OPTIONS), and the headers actual responses carry.
import type { Bindings } from '../env';
import { CorsStore } from '../storage/cors';
import { type Address, rawPath, requestAddress } from './address';
import { renderError, storageUnavailable } from './errors';
import { S3Error } from '../error';

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export const CORS_METHODS = ['GET', 'PUT', 'HEAD', 'POST', 'DELETE'];

/** `pattern` with at most one `*`, which stands for any run of characters. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

/** The first rule that allows `origin` to use `method` sending `headers` (lowercase names), as S3 picks it. */
export function matchRule(rules: CorsRule[], origin: string, method: string, headers: string[]): CorsRule | null {
  return (
    rules.find(
      (rule) =>
        rule.allowedOrigins.some((o) => wildcardMatch(o, origin)) &&
        rule.allowedMethods.includes(method) &&
        headers.every((h) => rule.allowedHeaders.some((allowed) => wildcardMatch(allowed.toLowerCase(), h))),
    ) ?? null
  );
}

/** The Access-Control-* headers S3 sends for a matched rule; `requestedHeaders` only on preflight. */
export function corsHeaders(rule: CorsRule, origin: string, requestedHeaders: string[]): Record<string, string> {
  const anyOrigin = rule.allowedOrigins.includes('*');
  return {
    'Access-Control-Allow-Origin': anyOrigin ? '*' : origin,
    ...(anyOrigin ? {} : { 'Access-Control-Allow-Credentials': 'true' }),
    'Access-Control-Allow-Methods': rule.allowedMethods.join(', '),
    ...(requestedHeaders.length ? { 'Access-Control-Allow-Headers': requestedHeaders.join(', ') } : {}),
    ...(rule.exposeHeaders.length ? { 'Access-Control-Expose-Headers': rule.exposeHeaders.join(', ') } : {}),
    ...(rule.maxAgeSeconds !== undefined ? { 'Access-Control-Max-Age': String(rule.maxAgeSeconds) } : {}),
    Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
}

function forbidden(message: string, method: string, address: Address): S3Error {
  return new S3Error('AccessForbidden', `CORSResponse: ${message}`, { Method: method, ResourceType: address.key === null ? 'BUCKET' : 'OBJECT' });
}

async function preflight(request: Request, address: Address, store: CorsStore<CorsRule>): Promise<Response> {
  const origin = request.headers.get('origin');
  if (origin === null) throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.');
  const method = request.headers.get('access-control-request-method');
  const rules = address.bucket === null ? undefined : await store.get(address.bucket);
  if (rules === undefined) throw forbidden('Bucket not found', method ?? 'OPTIONS', address);
  if (rules === null) throw forbidden('CORS is not enabled for this bucket.', method ?? 'OPTIONS', address);
  if (method === null) throw new S3Error('BadRequest', 'Invalid Access-Control-Request-Method: null');
  const requested = (request.headers.get('access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const rule = matchRule(rules, origin, method, requested);
  if (!rule) {
    throw forbidden(
      "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      method,
      address,
    );
  }
  return new Response(null, { status: 200, headers: corsHeaders(rule, origin, requested) });
}

/** Answers an OPTIONS request (a CORS preflight) from the bucket's rules, without authentication. */
export async function corsPreflight(request: Request, env: Bindings, requestId: string): Promise<Response> {
  let response: Response;
  try {
    response = await preflight(request, requestAddress(request, env.VIRTUAL_HOST_SUFFIXES), new CorsStore<CorsRule>(env.DB));
  } catch (e) {
    const err = e instanceof S3Error ? e : (storageUnavailable(e) ?? new S3Error('InternalError', 'We encountered an internal error. Please try again.'));
    if (!(e instanceof S3Error)) console.error('preflight failed', e instanceof Error ? e.message : String(e));
    response = renderError(err, rawPath(request.url), requestId, 'OPTIONS');
  }
  response.headers.set('x-amz-request-id', requestId);
  response.headers.set('x-amz-id-2', requestId);
  return response;
}

/**
 * Adds the Access-Control-* headers of the bucket's matching rule to an actual (non-preflight)
 * response, errors included; a request without Origin, or that no rule allows, gets none.
 */
export async function withCors(response: Response, request: Request, env: Bindings): Promise<Response> {
  const origin = request.headers.get('origin');
  if (origin === null) return response;
  let address: Address;
  try {
    address = requestAddress(request, env.VIRTUAL_HOST_SUFFIXES);
  } catch {
    return response;
  }
  if (address.bucket === null) return response;
  const rules = await new CorsStore<CorsRule>(env.DB).get(address.bucket).catch(() => null);
  const rule = rules && matchRule(rules, origin, request.method, []);
  if (rule) for (const [name, value] of Object.entries(corsHeaders(rule, origin, []))) response.headers.set(name, value);
  return response;
}
