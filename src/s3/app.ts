// The S3 endpoint: authenticate, parse the request into one operation, dispatch, render errors.
import { Hono } from 'hono';
import { isolateAuditLog } from '../audit/log';
import type { AppEnv, Bindings } from '../env';
import { kmsFromEnv } from '../kms/config';
import type { Kms } from '../kms/kms';
import { isLiveness, liveness } from '../observe/health';
import { RequestMeter, metered, meteredKms, requestAudit } from '../observe/meter';
import { observeRequest } from '../observe/request';
import { UNSIGNED, authorize } from '../policy/access';
import { inlineMaxBytes } from '../service/blob-io';
import { Encryption } from '../service/encryption';
import { Identities, type Identity } from '../service/identities';
import { KeyCache } from '../service/key-cache';
import { MultipartService } from '../service/multipart';
import { ObjectService } from '../service/objects';
import { OperatorService } from '../service/operator';
import { Rewrapper } from '../service/rewrap';
import { Scrubber } from '../service/scrub';
import { BlobStore } from '../storage/blobs';
import { BucketKeyStore } from '../storage/bucket-keys';
import { countingTrips, withCountingD1 } from '../storage/d1-counter';
import { KeyUsageStore } from '../storage/key-usage';
import { GcStateStore, MetadataStore } from '../storage/metadata';
import { UploadStore } from '../storage/uploads';
import { UserStore } from '../storage/users';
import { CONSOLE_PREFIX, serveConsole } from '../web/console';
import { rawPath, requestAddress } from './address';
import { parseCredentials } from './auth/credentials';
import { authenticate, clientAcceptEncoding } from './auth/sigv4';
import type { S3Request } from './context';
import { corsPreflight, withCors } from './cors';
import { renderError, storageUnavailable } from './errors';
import { S3Error, isS3Error } from '../error';
import { createBucket, deleteBucket, getBucketLocation, getBucketVersioning, headBucket, listBuckets } from './handlers/buckets';
import { adminRewrap } from './handlers/admin';
import { adminCreateUser, adminDeleteUser, adminListUsers, adminSetUserDisabled } from './handlers/users';
import { adminAuditList, adminAuditVerify, adminErasureReport, adminHealth } from './handlers/admin-observe';
import { deleteBucketCors, getBucketCors, putBucketCors } from './handlers/cors';
import { adminScrub } from './handlers/scrub';
import { deleteObjects } from './handlers/delete-objects';
import { deleteBucketEncryption, getBucketEncryption, putBucketEncryption } from './handlers/encryption';
import { listObjectVersions, listObjects, listObjectsV2 } from './handlers/list';
import { copyObject } from './handlers/copy';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './handlers/multipart';
import { getObjectAttributes } from './handlers/object-attributes';
import { deleteObject, getObject, putObject } from './handlers/objects';
import { POST_FORM_AUTH, postObject } from './handlers/post-object';
import { getBucketAcl, getBucketSubresource, getObjectAcl, getObjectTagging, putAcl } from './handlers/unconfigured';
import { type Operation, isPostObject, parseOperation } from './operation';
import { discardUnread } from './upload';

export interface Services {
  objects: ObjectService;
  multipart: MultipartService;
  rewrapper: Rewrapper;
  identities: Identities;
  operator: OperatorService;
  scrubber: Scrubber;
}

/** Unsealed data keys cached across the requests an isolate serves (KMS_CACHE_TTL_SECONDS, default 60; 0 = off). */
let keyCache: KeyCache | null = null;
/** Services per env object: its bindings and vars do not change while an isolate lives. */
const built = new WeakMap<Bindings, Services>();

export function services(env: Bindings): Services {
  const cached = built.get(env);
  if (cached) return cached;
  keyCache ??= new KeyCache({ ttlMs: Number(env.KMS_CACHE_TTL_SECONDS ?? 60) * 1000, maxEntries: 1000 });
  // Made on first use and kept; a misconfigured KMS throws (and fails that request) every time.
  // Key uses and KMS calls are reported to the meter of the request being served (audit, metrics).
  let client: Kms | null = null;
  const kms = () => (client ??= meteredKms(kmsFromEnv(env)));
  const bucketKeys = new BucketKeyStore(env.DB);
  const encryption = new Encryption(kms, bucketKeys, keyCache, requestAudit);
  const meta = new MetadataStore(env.DB);
  const blobs = new BlobStore(env.BLOBS);
  const users = new UserStore(env.DB);
  const objects = new ObjectService(meta, blobs, encryption, inlineMaxBytes(env.INLINE_MAX_BYTES));
  const made = {
    objects,
    multipart: new MultipartService(meta, new UploadStore(env.DB), blobs, encryption),
    rewrapper: new Rewrapper(kms, meta, bucketKeys, users),
    identities: new Identities(parseCredentials(env.CREDENTIALS), users, kms, requestAudit),
    operator: new OperatorService(isolateAuditLog(env), kms, new KeyUsageStore(env.DB), new GcStateStore(env.DB), blobs, requestAudit),
    scrubber: new Scrubber(meta, objects),
  };
  built.set(env, made);
  return made;
}

function dispatch(op: Operation, req: S3Request): Promise<Response> {
  switch (op.kind) {
    case 'AdminRewrap':
      return adminRewrap(req);
    case 'AdminCreateUser':
      return adminCreateUser(req);
    case 'AdminListUsers':
      return adminListUsers(req);
    case 'AdminDisableUser':
      return adminSetUserDisabled(req, op.accessKeyId, true);
    case 'AdminEnableUser':
      return adminSetUserDisabled(req, op.accessKeyId, false);
    case 'AdminDeleteUser':
      return adminDeleteUser(req, op.accessKeyId);
    case 'AdminAuditVerify':
      return adminAuditVerify(req);
    case 'AdminAuditList':
      return adminAuditList(req);
    case 'AdminErasureReport':
      return adminErasureReport(req);
    case 'AdminHealth':
      return adminHealth(req);
    case 'AdminScrub':
      return adminScrub(req);
    case 'ListBuckets':
      return listBuckets(req);
    case 'CreateBucket':
      return createBucket(req, op.bucket);
    case 'HeadBucket':
      return headBucket(req, op.bucket);
    case 'DeleteBucket':
      return deleteBucket(req, op.bucket);
    case 'GetBucketLocation':
      return getBucketLocation(req, op.bucket);
    case 'GetBucketVersioning':
      return getBucketVersioning(req, op.bucket);
    case 'ListObjects':
      return listObjects(req, op.bucket);
    case 'ListObjectsV2':
      return listObjectsV2(req, op.bucket);
    case 'DeleteObjects':
      return deleteObjects(req, op.bucket);
    case 'PutBucketEncryption':
      return putBucketEncryption(req, op.bucket);
    case 'GetBucketEncryption':
      return getBucketEncryption(req, op.bucket);
    case 'DeleteBucketEncryption':
      return deleteBucketEncryption(req, op.bucket);
    case 'PutBucketCors':
      return putBucketCors(req, op.bucket);
    case 'GetBucketCors':
      return getBucketCors(req, op.bucket);
    case 'DeleteBucketCors':
      return deleteBucketCors(req, op.bucket);
    case 'PostObject':
      return postObject(req, op.bucket);
    case 'GetObjectAttributes':
      return getObjectAttributes(req, op.bucket, op.key);
    case 'PutObject':
      return putObject(req, op.bucket, op.key);
    case 'GetObject':
      return getObject(req, op.bucket, op.key, false);
    case 'HeadObject':
      return getObject(req, op.bucket, op.key, true);
    case 'DeleteObject':
      return deleteObject(req, op.bucket, op.key);
    case 'CopyObject':
      return copyObject(req, op.bucket, op.key);
    case 'ListMultipartUploads':
      return listMultipartUploads(req, op.bucket);
    case 'ListObjectVersions':
      return listObjectVersions(req, op.bucket);
    case 'GetBucketAcl':
      return getBucketAcl(req, op.bucket);
    case 'GetBucketSubresource':
      return getBucketSubresource(req, op.bucket, op.subresource);
    case 'PutAcl':
      return putAcl(req, op.bucket, op.key);
    case 'GetObjectAcl':
      return getObjectAcl(req, op.bucket, op.key);
    case 'GetObjectTagging':
      return getObjectTagging(req, op.bucket, op.key);
    case 'CreateMultipartUpload':
      return createMultipartUpload(req, op.bucket, op.key);
    case 'UploadPart':
      return uploadPart(req, op.bucket, op.key, op.uploadId, op.partNumber, false);
    case 'UploadPartCopy':
      return uploadPart(req, op.bucket, op.key, op.uploadId, op.partNumber, true);
    case 'CompleteMultipartUpload':
      return completeMultipartUpload(req, op.bucket, op.key, op.uploadId);
    case 'AbortMultipartUpload':
      return abortMultipartUpload(req, op.bucket, op.key, op.uploadId);
    case 'ListParts':
      return listParts(req, op.bucket, op.key, op.uploadId);
    default:
      return op satisfies never;
  }
}

const newRequestId = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();

export const app = new Hono<AppEnv>();

app.all('*', async (c) => {
  const requestId = newRequestId();
  c.set('requestId', requestId);
  const started = Date.now();
  const meter = new RequestMeter();
  const seen: { accessKey: string | null; op: Operation | null; error: S3Error | null } = { accessKey: null, op: null, error: null };
  const request = c.req.raw;
  const url = new URL(request.url);
  const d1 = c.env.D1_ROUND_TRIPS_HEADER === 'true' ? { trips: 0 } : null;
  const counted = <T>(fn: () => Promise<T>) => (d1 ? countingTrips(d1, fn) : fn());
  if (request.method === 'OPTIONS') return corsPreflight(request, c.env, requestId);
  let response: Response;
  try {
    const region = c.env.REGION || 'us-east-1';
    const address = requestAddress(request, c.env.VIRTUAL_HOST_SUFFIXES);
    if (isLiveness(request.method, address)) return liveness();
    if (address.bucket === CONSOLE_PREFIX) return serveConsole(request, address.resource, address.key);
    const svc = services(d1 ? withCountingD1(c.env) : c.env);
    let identity: Identity | undefined;
    const secretFor = async (id: string) => (identity = await svc.identities.resolve(id))?.secret;
    // Metered too: resolving a user's key may unseal its secret (a KMS call, an audit event).
    const auth = isPostObject(request.method, address, url.searchParams) ? POST_FORM_AUTH : await counted(() => metered(meter, () => authenticate(request, url, secretFor, { region, now: new Date(), resource: address.resource, allowSigV2Headers: c.env.ALLOW_SIGV2_HEADERS === 'true' })));
    seen.accessKey = auth.accessKeyId || null;
    const op = (seen.op = parseOperation(request.method, address, url.searchParams, request.headers));
    const access = authorize(op, identity?.principal ?? UNSIGNED, request, url);
    const secure = url.protocol === 'https:' || c.env.ALLOW_SSEC_OVER_HTTP === 'true';
    const req = { c, request, url, auth, access, ...svc, region, secure };
    response = await counted(() => metered(meter, () => dispatch(op, req))).catch(access.concealMissing(op));
  } catch (e) {
    const err = (seen.error = isS3Error(e) ? e : (storageUnavailable(e) ?? internalError(e, requestId)));
    // What an answer must not say (a KMS's own error text) travels as the cause, for the log only.
    if (err.cause !== undefined) console.error(JSON.stringify({ type: 'error-cause', requestId, code: err.code, cause: String(err.cause) }));
    response = renderError(err, rawPath(request.url), requestId, request.method);
    await discardUnread(request);
  }
  response = await withCors(response, request, c.env);
  response.headers.set('x-amz-request-id', requestId);
  response.headers.set('x-amz-id-2', requestId);
  if (d1) response.headers.set('x-edge-sse-d1-round-trips', String(d1.trips));
  // Cloudflare compresses compressible responses that name no Content-Encoding for clients that
  // accept gzip or br; S3 clients expect the bytes (and Content-Length) as stored, and some
  // (aws-sdk-go) do not undo a gzip they asked for. Said only then: SDKs report it as the object's.
  if (!response.headers.has('content-encoding') && acceptsCompression(request)) response.headers.set('content-encoding', 'identity');
  observeRequest(c.env, (p) => c.executionCtx.waitUntil(p), { requestId, started, request, ...seen, response, meter });
  return response;
});

function acceptsCompression(request: Request): boolean {
  const accepted = clientAcceptEncoding(request, request.headers.get('accept-encoding') ?? '');
  return /\b(gzip|br)\b/i.test(accepted);
}

function internalError(e: unknown, requestId: string): S3Error {
  // Logged without the request (bodies and headers may carry secrets), with the id the client sees.
  console.error(JSON.stringify({ type: 'internal-error', requestId, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
  return new S3Error('InternalError', 'We encountered an internal error. Please try again.');
}
