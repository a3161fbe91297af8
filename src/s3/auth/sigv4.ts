// Verifies incoming AWS Signature V4 requests (Authorization header or presigned URL) the way S3 does:
// no path normalization, no double encoding, WebCrypto only.
import { timingSafeEqual } from '../../crypto/keys';
import { rawPath } from '../address';
import { headerText } from '../header-text';
import { S3Error, type S3ErrorCode } from '../../error';
import { redactSecrets } from './redact';
import { authenticateV2, isSigV2 } from './sigv2';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 's3';
const TERMINATOR = 'aws4_request';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_EXPIRES_S = 604800;
const SIGNING_KEY_CACHE_SIZE = 100;
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
const AMZ_DATE = /^\d{8}T\d{6}Z$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

export type PayloadMode =
  | { kind: 'unsigned' } // UNSIGNED-PAYLOAD (also presigned URLs)
  | { kind: 'sha256'; hex: string } // lowercase hex SHA-256 the caller must verify on the body
  | { kind: 'chunked'; signed: ChunkSigner | null; trailer: boolean }; // aws-chunked body

/** The secret of an access key, or undefined when there is no such (usable) key; may look it up in storage. */
export type SecretLookup = (accessKeyId: string) => string | undefined | Promise<string | undefined>;

export interface AuthContext {
  accessKeyId: string;
  payload: PayloadMode;
}

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function toHex(buffer: ArrayBuffer): string {
  let out = '';
  for (const byte of new Uint8Array(buffer)) out += HEX[byte];
  return out;
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? encoder.encode(data) : data));
}

const importHmacKey = (raw: BufferSource) =>
  crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);

async function hmac(raw: BufferSource, data: string): Promise<ArrayBuffer> {
  return crypto.subtle.sign('HMAC', await importHmacKey(raw), encoder.encode(data));
}

export async function hmacHex(key: CryptoKey, data: string): Promise<string> {
  return toHex(await crypto.subtle.sign('HMAC', key, encoder.encode(data)));
}

async function deriveSigningKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  const kDate = await hmac(encoder.encode(`AWS4${secret}`), date);
  const kRegion = await hmac(kDate, region);
  const kService = await hmac(kRegion, service);
  return importHmacKey(await hmac(kService, TERMINATOR));
}

// Four HMACs per request add up; a key only changes with the day, so recent ones are kept (oldest evicted first).
const signingKeys = new Map<string, Promise<CryptoKey>>();

export function signingKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  const id = `${secret}\n${date}\n${region}\n${service}`;
  let key = signingKeys.get(id);
  if (!key) {
    if (signingKeys.size >= SIGNING_KEY_CACHE_SIZE) signingKeys.delete(signingKeys.keys().next().value!);
    key = deriveSigningKey(secret, date, region, service);
    signingKeys.set(id, key);
  }
  return key;
}

/** Equal-length comparison whose time does not depend on where the strings differ. */
const sameText = (a: string, b: string) => timingSafeEqual(encoder.encode(a), encoder.encode(b));

const signatureMismatch = (details: Record<string, string> = {}) =>
  new S3Error(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    details,
  );

/** The signature chain of an aws-chunked body: each chunk (then the trailer) is signed over the previous signature,
 *  starting from the request's own (seed) signature. Verifying advances the chain. */
export class ChunkSigner {
  #previous: string;

  constructor(
    private readonly key: CryptoKey,
    readonly datetime: string,
    readonly scope: string,
    seedSignature: string,
  ) {
    this.#previous = seedSignature;
  }

  async verifyChunk(data: Uint8Array, signature: string): Promise<void> {
    const head = `AWS4-HMAC-SHA256-PAYLOAD\n${this.datetime}\n${this.scope}\n${this.#previous}\n${EMPTY_SHA256}\n`;
    await this.#advance(head + (await sha256Hex(data)), signature);
  }

  /** `canonicalTrailers` is every trailing header except the signature, each as `name:value\n`. */
  async verifyTrailer(canonicalTrailers: string, signature: string): Promise<void> {
    const head = `AWS4-HMAC-SHA256-TRAILER\n${this.datetime}\n${this.scope}\n${this.#previous}\n`;
    await this.#advance(head + (await sha256Hex(canonicalTrailers)), signature);
  }

  async #advance(stringToSign: string, signature: string): Promise<void> {
    const expected = await hmacHex(this.key, stringToSign);
    if (!sameText(expected, signature.toLowerCase())) throw signatureMismatch();
    this.#previous = expected;
  }
}

// ---- Canonical request --------------------------------------------------------------------------------------

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Bytes of a percent-encoded URL component; malformed escapes stay literal, as the client saw them. */
function percentDecode(text: string, plusIsSpace: boolean): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '%' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '+' && plusIsSpace) {
      bytes.push(0x20);
    } else {
      // A serialized URL is ASCII; anything else is encoded as UTF-8 like the URL parser would.
      bytes.push(...encoder.encode(c));
    }
  }
  return bytes;
}

/** URI-encode as the AWS SDKs do: every byte except unreserved characters (and '/' in paths) as %XX. */
function uriEncode(bytes: number[], keepSlash: boolean): string {
  let out = '';
  for (const byte of bytes) {
    const c = String.fromCharCode(byte);
    out += (byte < 0x80 && UNRESERVED.test(c)) || (keepSlash && c === '/') ? c : `%${HEX[byte]!.toUpperCase()}`;
  }
  return out;
}

/** Path and query of a URL exactly as serialized: `new URL().pathname` would be the same text, but only this
 *  keeps `..` segments when the runtime hands over an unnormalized request URL. */
function splitUrl(href: string): { path: string; query: string } {
  const hash = href.indexOf('#');
  const url = hash < 0 ? href : href.slice(0, hash);
  const authorityStart = url.indexOf('//') + 2;
  const authorityEnd = url.slice(authorityStart).search(/[/?]/);
  const rest = authorityEnd < 0 ? '' : url.slice(authorityStart + authorityEnd);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  return { path: path || '/', query: q < 0 ? '' : rest.slice(q + 1) };
}

/** S3 canonical URI: the path as sent, each byte re-encoded once; no normalization of `.`, `..` or `//`. */
export function canonicalUri(rawPath: string): string {
  return uriEncode(percentDecode(rawPath, false), true);
}

/** Canonical query string: pairs encoded, sorted by key then value; X-Amz-Signature is never part of what is signed.
 *  '+' means space, as for URLSearchParams, so what is signed is what the service reads. */
export function canonicalQuery(rawQuery: string): string {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = uriEncode(percentDecode(eq < 0 ? part : part.slice(0, eq), true), false);
    const value = eq < 0 ? '' : uriEncode(percentDecode(part.slice(eq + 1), true), false);
    if (key !== 'X-Amz-Signature') pairs.push([key, value]);
  }
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

export interface CanonicalRequestInput {
  method: string;
  /** The request URL as received (its path and query are used verbatim). */
  url: string;
  /** Header name/value pairs; a repeated name contributes one value per pair. */
  headers: Iterable<readonly [string, string]>;
  /** Lowercase names, in the order the client listed them. */
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function canonicalRequest(input: CanonicalRequestInput): string {
  const values = new Map<string, string[]>();
  for (const [name, value] of input.headers) {
    const key = name.toLowerCase();
    const list = values.get(key) ?? [];
    list.push(value.trim().replace(/\s+/g, ' '));
    values.set(key, list);
  }
  const { path, query } = splitUrl(input.url);
  const headerLines = input.signedHeaders.map((name) => `${name}:${(values.get(name) ?? []).join(',')}\n`);
  return [
    input.method,
    canonicalUri(path),
    canonicalQuery(query),
    headerLines.join(''),
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export async function stringToSign(datetime: string, scope: string, canonical: string): Promise<string> {
  return `${ALGORITHM}\n${datetime}\n${scope}\n${await sha256Hex(canonical)}`;
}

// ---- Authentication -----------------------------------------------------------------------------------------

/** What the Authorization header or the presigned query claims, before any of it is trusted. */
interface Claim {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

/** Where the claim came from decides AWS's error code and message prefix for a malformed one. */
interface Source {
  code: S3ErrorCode;
  prefix: string;
}
const HEADER_SOURCE: Source = { code: 'AuthorizationHeaderMalformed', prefix: 'The authorization header is malformed; ' };
const QUERY_SOURCE: Source = {
  code: 'AuthorizationQueryParametersError',
  prefix: 'Error parsing the X-Amz-Credential parameter; ',
};

function parseCredential(credential: string, source: Source): Omit<Claim, 'signedHeaders' | 'signature'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw new S3Error(
      source.code,
      `${source.prefix}the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service, terminator };
}

function parseSignedHeaders(list: string, source: Source): string[] {
  const names = list.split(';').map((n) => n.trim().toLowerCase());
  if (names.some((n) => n === '')) throw new S3Error(source.code, `${source.prefix}SignedHeaders is malformed.`);
  return names;
}

function parseAuthorizationHeader(value: string): Claim {
  const space = value.indexOf(' ');
  if ((space < 0 ? value : value.slice(0, space)) !== ALGORITHM) {
    throw new S3Error(
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  }
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (space < 0 || !credential || !signedHeaders || !signature) {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      `${HEADER_SOURCE.prefix}the authorization header requires three components: Credential, SignedHeaders, and Signature.`,
    );
  }
  return {
    ...parseCredential(credential, HEADER_SOURCE),
    signedHeaders: parseSignedHeaders(signedHeaders, HEADER_SOURCE),
    signature: signature.toLowerCase(),
  };
}

function checkScope(claim: Claim, datetime: string, region: string, source: Source): void {
  if (claim.date !== datetime.slice(0, 8)) {
    const message = 'Invalid credential date. Date is not the same as X-Amz-Date.';
    throw new S3Error(source.code, source === HEADER_SOURCE ? source.prefix + message : message);
  }
  if (claim.region !== region && claim.region !== 'us-east-1' && claim.region !== 'auto') {
    throw new S3Error(source.code, `${source.prefix}the region '${claim.region}' is wrong; expecting '${region}'`, {
      Region: region,
    });
  }
  if (claim.service !== SERVICE) {
    throw new S3Error(source.code, `${source.prefix}incorrect service "${claim.service}". This endpoint belongs to "s3".`);
  }
  if (claim.terminator !== TERMINATOR) {
    throw new S3Error(
      source.code,
      `${source.prefix}incorrect terminal "${claim.terminator}". This endpoint uses "aws4_request".`,
    );
  }
}

/** Milliseconds of an ISO 8601 basic timestamp, or NaN when it is not a real instant. */
function parseAmzDate(datetime: string): number {
  if (!AMZ_DATE.test(datetime)) return NaN;
  const d = datetime;
  const ms = Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15));
  return formatAmzDate(new Date(ms)) === datetime ? ms : NaN;
}

const formatAmzDate = (date: Date) => date.toISOString().replace(/[-:]|\.\d{3}/g, '');

/** Host is always signed, and so is every x-amz-* header sent: unsigned ones could change what the request does. */
function checkAllHeadersSigned(headers: Headers, signedHeaders: readonly string[]): void {
  const signed = new Set(signedHeaders);
  const required = ['host', ...[...headers.keys()].filter((name) => name.startsWith('x-amz-'))];
  const unsigned = required.filter((name) => !signed.has(name));
  if (unsigned.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: unsigned.join(', '),
    });
  }
}

const invalidContentSha256 = () =>
  new S3Error(
    'InvalidArgument',
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, ' +
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
    { ArgumentName: 'x-amz-content-sha256' },
  );

// Reading request.cf materializes its few dozen fields (about 2% of a GET's CPU under wrangler dev,
// read twice): once per request.
const originals = new WeakMap<Request, string | null>();

/**
 * The Accept-Encoding the client sent. Cloudflare rewrites the header before the worker sees it
 * (to "br, gzip") and keeps the original in request.cf.clientAcceptEncoding; clients such as
 * aws-sdk-go (rclone) sign it.
 */
export function clientAcceptEncoding(request: Request, seen: string): string {
  let original = originals.get(request);
  if (original === undefined) {
    const cf = (request as { cf?: { clientAcceptEncoding?: unknown } }).cf?.clientAcceptEncoding;
    originals.set(request, (original = typeof cf === 'string' ? cf : null));
  }
  return original ?? seen;
}

async function verifySignature(
  request: Request,
  url: URL,
  claim: Claim,
  secret: string,
  datetime: string,
  payloadHash: string,
): Promise<{ key: CryptoKey; scope: string }> {
  // Clients sign the bytes they sent: non-ASCII values are UTF-8, which canonicalRequest encodes back.
  const headers: [string, string][] = [...request.headers].map(([name, value]) => [name, name === 'accept-encoding' ? clientAcceptEncoding(request, value) : headerText(value)]);
  // Where the runtime does not expose Host, the URL's authority is what the client addressed (and signed).
  if (!request.headers.has('host')) headers.push(['host', url.host]);
  // Proxies in front (wrangler dev's among them) drop a `Content-Length: 0` from bodiless GETs and HEADs;
  // the client signed it, and a request with no body is exactly what it described.
  if (request.body === null && !request.headers.has('content-length') && claim.signedHeaders.includes('content-length')) headers.push(['content-length', '0']);
  const canonical = canonicalRequest({
    method: request.method,
    url: request.url,
    headers,
    signedHeaders: claim.signedHeaders,
    payloadHash,
  });
  const scope = `${claim.date}/${claim.region}/${claim.service}/${claim.terminator}`;
  const toSign = await stringToSign(datetime, scope, canonical);
  const key = await signingKey(secret, claim.date, claim.region, claim.service);
  if (!sameText(await hmacHex(key, toSign), claim.signature)) {
    throw signatureMismatch({
      AWSAccessKeyId: claim.accessKeyId,
      StringToSign: toSign,
      SignatureProvided: claim.signature,
      CanonicalRequest: redactSecrets(canonical),
    });
  }
  return { key, scope };
}

async function lookUpSecret(secretFor: SecretLookup, accessKeyId: string): Promise<string> {
  const secret = await secretFor(accessKeyId);
  if (secret === undefined) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: accessKeyId,
    });
  }
  return secret;
}

async function authenticateHeader(
  request: Request,
  url: URL,
  authorization: string,
  secretFor: SecretLookup,
  opts: { region: string; now: Date },
): Promise<AuthContext> {
  const claim = parseAuthorizationHeader(authorization);
  // x-amz-date wins over Date; a Date-only request is signed over its ISO 8601 basic form.
  const amzDate = request.headers.get('x-amz-date');
  const httpDate = request.headers.get('date');
  const time = amzDate !== null ? parseAmzDate(amzDate) : httpDate !== null ? Date.parse(httpDate) : NaN;
  if (Number.isNaN(time)) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const datetime = amzDate ?? formatAmzDate(new Date(time));
  checkScope(claim, datetime, opts.region, HEADER_SOURCE);
  const secret = await lookUpSecret(secretFor, claim.accessKeyId);
  if (Math.abs(opts.now.getTime() - time) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: datetime,
      ServerTime: opts.now.toISOString(),
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }
  const payloadHash = request.headers.get('x-amz-content-sha256');
  if (payloadHash === null) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  const known = [UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER];
  if (!known.includes(payloadHash) && !SHA256_HEX.test(payloadHash)) throw invalidContentSha256();
  checkAllHeadersSigned(request.headers, claim.signedHeaders);
  const { key, scope } = await verifySignature(request, url, claim, secret, datetime, payloadHash);

  const chunkSigner = () => new ChunkSigner(key, datetime, scope, claim.signature);
  const payload: PayloadMode =
    payloadHash === UNSIGNED_PAYLOAD
      ? { kind: 'unsigned' }
      : payloadHash === STREAMING_SIGNED
        ? { kind: 'chunked', signed: chunkSigner(), trailer: false }
        : payloadHash === STREAMING_SIGNED_TRAILER
          ? { kind: 'chunked', signed: chunkSigner(), trailer: true }
          : payloadHash === STREAMING_UNSIGNED_TRAILER
            ? { kind: 'chunked', signed: null, trailer: true }
            : { kind: 'sha256', hex: payloadHash.toLowerCase() };
  return { accessKeyId: claim.accessKeyId, payload };
}

async function authenticatePresigned(
  request: Request,
  url: URL,
  secretFor: SecretLookup,
  opts: { region: string; now: Date },
): Promise<AuthContext> {
  const q = url.searchParams;
  const [algorithm, credential, signature, datetime, signedHeaders, expires] = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Signature',
    'X-Amz-Date',
    'X-Amz-SignedHeaders',
    'X-Amz-Expires',
  ].map((name) => q.get(name));
  if (!algorithm || !credential || !signature || !datetime || !signedHeaders || !expires) {
    throw new S3Error(
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, ' +
        'X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (algorithm !== ALGORITHM) {
    throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  const time = parseAmzDate(datetime);
  if (Number.isNaN(time)) {
    throw new S3Error(
      'AuthorizationQueryParametersError',
      `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`,
    );
  }
  if (!/^\d+$/.test(expires)) throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
  const expiresSeconds = Number(expires);
  if (expiresSeconds < 1) throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Expires must be positive');
  if (expiresSeconds > MAX_PRESIGN_EXPIRES_S) {
    throw new S3Error(
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds) that is 604800',
    );
  }
  const claim: Claim = {
    ...parseCredential(credential, QUERY_SOURCE),
    signedHeaders: parseSignedHeaders(signedHeaders, QUERY_SOURCE),
    signature: signature.toLowerCase(),
  };
  checkScope(claim, datetime, opts.region, QUERY_SOURCE);
  const secret = await lookUpSecret(secretFor, claim.accessKeyId);
  const now = opts.now.getTime();
  if (time - now > MAX_SKEW_MS) throw new S3Error('AccessDenied', 'Request is not valid yet');
  if (now > time + expiresSeconds * 1000) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      'X-Amz-Expires': expires,
      Expires: new Date(time + expiresSeconds * 1000).toISOString(),
      ServerTime: opts.now.toISOString(),
    });
  }
  const payloadHash = q.get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD;
  if (payloadHash !== UNSIGNED_PAYLOAD && !SHA256_HEX.test(payloadHash)) throw invalidContentSha256();
  checkAllHeadersSigned(request.headers, claim.signedHeaders);
  await verifySignature(request, url, claim, secret, datetime, payloadHash);
  const payload: PayloadMode =
    payloadHash === UNSIGNED_PAYLOAD ? { kind: 'unsigned' } : { kind: 'sha256', hex: payloadHash.toLowerCase() };
  return { accessKeyId: claim.accessKeyId, payload };
}

/** Authenticates a request signed with SigV4 (or SigV2 where sigv2.ts allows it), by Authorization
 *  header or presigned URL; throws S3Error otherwise. `url` is `new URL(request.url)`; the canonical
 *  path is taken from `request.url` itself. `resource`: the path in path-style form (SigV2 signs it). */
export async function authenticate(
  request: Request,
  url: URL,
  secretFor: SecretLookup,
  opts: { region: string; now: Date; resource?: string; allowSigV2Headers?: boolean },
): Promise<AuthContext> {
  if (isSigV2(request, url)) return authenticateV2(request, url, opts.resource ?? rawPath(request.url), secretFor, opts.now, opts.allowSigV2Headers);
  const authorization = request.headers.get('authorization');
  const presigned = url.searchParams.has('X-Amz-Algorithm') || url.searchParams.has('X-Amz-Signature');
  if (authorization !== null && presigned) {
    throw new S3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter ' +
        'or the Authorization header should be specified',
      { ArgumentName: 'Authorization' },
    );
  }
  if (authorization !== null) return authenticateHeader(request, url, authorization, secretFor, opts);
  if (presigned) return authenticatePresigned(request, url, secretFor, opts);
  throw new S3Error('AccessDenied', 'Anonymous access is not allowed');
}
