import type { KmsEnv } from './kms/config';

// Bindings and variables of the worker, carried by Hono's generics (no casts at use sites).

/** KMS configuration (KMS_BACKEND, MASTER_KEY, …) comes from KmsEnv: docs/KMS.md. */
export interface Bindings extends KmsEnv {
  /** All object data (ciphertext), one R2 bucket for every S3 bucket. */
  BLOBS: R2Bucket;
  /** Buckets, object metadata, sealed keys. Schema: migrations/, docs/SCHEMA.md. */
  DB: D1Database;
  /** Credentials: "AKID:SECRET" pairs separated by commas or newlines (a secret in production). */
  CREDENTIALS?: string;
  /** "true" lets SSE-C keys travel over plain HTTP: local development only. */
  ALLOW_SSEC_OVER_HTTP?: string;
  /** "true" accepts header-signed SigV2 (and presigned V2 beyond GET/HEAD): clients too old for SigV4 only. */
  ALLOW_SIGV2_HEADERS?: string;
  /** Region reported by GetBucketLocation and accepted in SigV4 scopes. */
  REGION?: string;
  /** Seconds an unsealed KMS data key stays cached in an isolate (default 60; 0 turns the cache off). */
  KMS_CACHE_TTL_SECONDS?: string;
  /** Multipart uploads older than this many hours are aborted by the collector (default 168). */
  UPLOAD_MAX_AGE_HOURS?: string;
  /** Comma-separated host suffixes: a request to <bucket>.<suffix> addresses <bucket>. */
  VIRTUAL_HOST_SUFFIXES?: string;
}

export interface Variables {
  requestId: string;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
