// Audit events of key use: what the encryption layer and the KMS client report. Never key material:
// only names (bucket, object key, KMS key id) and outcomes.

export type KeyAction =
  /** A new data key sealed for an object or upload. */
  | 'seal'
  /** A stored data key opened (`cached`: from the isolate's key cache, no KMS call). */
  | 'unseal'
  /** A data key re-sealed under another (or the newest version of a) KMS key, data untouched. */
  | 'rewrap'
  /** An SSE-C request whose key does not match the object's. */
  | 'ssec-key-mismatch'
  /** A stored key that does not open: damaged, moved or forged key material. */
  | 'unseal-failed'
  /** A KMS call that failed (outcome: the failure kind). */
  | 'kms-error'
  /** An erasure report found the KMS key gone or disabled: its objects are unreadable. */
  | 'erasure';

/** What the encryption layer knows of one key use. */
export interface KeyUse {
  action: KeyAction;
  mode: 'SSE-S3' | 'SSE-KMS' | 'SSE-C' | null;
  bucket: string | null;
  key: string | null;
  kmsKeyId: string | null;
  /** "ok", or what went wrong (a KMS failure kind, "denied", "not-authentic"). */
  outcome: string;
  cached?: boolean;
  /** Free text without secrets (e.g. the target key of a re-wrap, an object count). */
  detail?: string;
}

/** Where the encryption layer reports key use; the composition (app.ts) binds it to the request. */
export interface KeyAudit {
  record(use: KeyUse): void;
}

export const NO_AUDIT: KeyAudit = { record() {} };

/** A key use with the request it belongs to: what the audit log stores (before chaining). */
export interface AuditEvent extends KeyUse {
  /** ms since epoch */
  time: number;
  requestId: string;
  accessKey: string | null;
}
