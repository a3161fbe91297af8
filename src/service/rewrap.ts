// Re-wrap: re-seals the KMS-sealed key material of every object, upload and bucket key, the
// parts-manifest keys of SSE-C uploads, and the secrets of access keys, under another KMS key (or
// the newest version of the same one) without touching object data. Batched and resumable by
// cursor; safe while traffic flows, because each row is updated only if its sealed key is still the
// one that was re-wrapped (an object overwritten meanwhile is skipped: it is new).
// The target key must exist and be enabled before anything is re-sealed; a row the KMS cannot
// re-wrap (its old key gone, damaged key material, a KMS failure) is reported and passed over.
import type { KeyBinding } from '../crypto/keys';
import { type Kms, KmsError } from '../kms/kms';
import type { BucketKeyStore } from '../storage/bucket-keys';
import type { KmsSealedRow, MetadataStore } from '../storage/metadata';
import type { UserStore } from '../storage/users';
import { kmsFailure, manifestBinding } from './encryption';
import { secretBinding } from './identities';

export interface RewrapBatch {
  /** KMS key to re-seal under; the KMS's default key when null. */
  targetKeyId: string | null;
  /** Re-wrap rows already under the target too (to move them to its newest version). */
  all: boolean;
  /** Where the previous batch stopped; null to start. */
  cursor: string | null;
  limit: number;
  /** Count the rows of the whole run (for a progress bar). */
  count?: boolean;
}

export interface RewrapReport {
  examined: number;
  rewrapped: number;
  /** Changed by traffic while being re-wrapped (overwritten or deleted): nothing to do. */
  skipped: number;
  /** Rows the KMS could not re-wrap, left as they were. */
  failed: number;
  failures: RewrapFailure[];
  /** Where the next batch starts; null when done. */
  cursor: string | null;
  /** With `count`: rows a run from the start examines. */
  total?: number;
}

export interface RewrapFailure {
  table: KmsSealedRow['table'];
  bucket: string;
  /** The object or upload key; '' for a bucket key. */
  key: string;
  /** The upload or bucket key id; '' for an object. */
  id: string;
  kekId: string;
  /** The KMS failure kind (KmsErrorKind) and its message. */
  error: string;
}

export class Rewrapper {
  constructor(
    private readonly kms: () => Kms,
    private readonly meta: MetadataStore,
    private readonly bucketKeys: BucketKeyStore,
    private readonly users: UserStore,
  ) {}

  async batch(b: RewrapBatch): Promise<RewrapReport> {
    const kms = this.kms();
    const target = b.targetKeyId ?? kms.defaultKeyId;
    await usableTarget(kms, target);
    const rows = await this.meta.kmsSealedRows(b.cursor, b.limit);
    const report: RewrapReport = { examined: rows.length, rewrapped: 0, skipped: 0, failed: 0, failures: [], cursor: rows.length < b.limit ? null : rows.at(-1)!.cursor };
    if (b.count) report.total = await this.meta.countKmsSealedRows();
    for (const row of rows) {
      if (!b.all && (row.kekId === target || row.keyId === target)) continue;
      let rewrapped;
      try {
        rewrapped = await kms.rewrapDataKey(row.kekId, row.sealedKey, binding(row), target, row.kmsContext ?? undefined);
      } catch (e) {
        if (!(e instanceof KmsError)) throw e;
        report.failed++;
        report.failures.push({ table: row.table, bucket: row.bucket, key: row.key, id: row.id, kekId: row.kekId, error: `${e.kind}: ${e.message}` });
        continue;
      }
      const updated =
        row.table === 'bucket_keys'
          ? await this.bucketKeys.reseal(row.id, rewrapped.keyId, rewrapped.sealed, row.sealedKey)
          : row.table === 'users'
            ? await this.users.reseal(row.id, rewrapped.keyId, rewrapped.sealed, row.sealedKey)
            : await this.meta.updateKmsSealing(row, rewrapped.keyId, rewrapped.sealed);
      if (updated) report.rewrapped++;
      else report.skipped++;
    }
    return report;
  }
}

function binding(row: KmsSealedRow): KeyBinding {
  if (row.table === 'users') return secretBinding(row.id);
  if (row.table === 'upload_manifests') return manifestBinding(row.bucket, row.key);
  return { mode: row.sseMode, bucket: row.bucket, key: row.key };
}

/** Throws the S3 error for a target key that does not exist or may not be used. */
async function usableTarget(kms: Kms, keyId: string): Promise<void> {
  try {
    const status = await kms.describeKey(keyId);
    if (!status.enabled) throw new KmsError('key-disabled', `${keyId} is disabled or pending deletion`);
  } catch (e) {
    kmsFailure(e);
  }
}
