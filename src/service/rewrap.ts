// Re-wrap: re-seals the KMS-sealed key material of every object, upload and bucket key under another
// KMS key (or the newest version of the same one) without touching object data. Batched and
// resumable by cursor; safe while traffic flows, because each row is updated only if its sealed key
// is still the one that was re-wrapped (an object overwritten meanwhile is skipped: it is new).
import type { KeyBinding } from '../crypto/keys';
import type { Kms } from '../kms/kms';
import type { BucketKeyStore } from '../storage/bucket-keys';
import type { KmsSealedRow, MetadataStore } from '../storage/metadata';
import { kmsFailure } from './encryption';

export interface RewrapBatch {
  /** KMS key to re-seal under; the KMS's default key when null. */
  targetKeyId: string | null;
  /** Re-wrap rows already under the target too (to move them to its newest version). */
  all: boolean;
  /** Where the previous batch stopped; null to start. */
  cursor: string | null;
  limit: number;
}

export interface RewrapReport {
  examined: number;
  rewrapped: number;
  /** Changed by traffic while being re-wrapped (overwritten or deleted): nothing to do. */
  skipped: number;
  /** Where the next batch starts; null when done. */
  cursor: string | null;
}

export class Rewrapper {
  constructor(
    private readonly kms: () => Kms,
    private readonly meta: MetadataStore,
    private readonly bucketKeys: BucketKeyStore,
  ) {}

  async batch(b: RewrapBatch): Promise<RewrapReport> {
    const kms = this.kms();
    const target = b.targetKeyId ?? kms.defaultKeyId;
    const rows = await this.meta.kmsSealedRows(b.cursor, b.limit);
    const report: RewrapReport = { examined: rows.length, rewrapped: 0, skipped: 0, cursor: rows.length < b.limit ? null : rows.at(-1)!.cursor };
    for (const row of rows) {
      if (!b.all && (row.kekId === target || row.keyId === target)) continue;
      const rewrapped = await this.rewrap(kms, row, target);
      const updated =
        row.table === 'bucket_keys'
          ? await this.bucketKeys.reseal(row.id, rewrapped.keyId, rewrapped.sealed, row.sealedKey)
          : await this.meta.updateKmsSealing(row, rewrapped.keyId, rewrapped.sealed);
      if (updated) report.rewrapped++;
      else report.skipped++;
    }
    return report;
  }

  private async rewrap(kms: Kms, row: KmsSealedRow, target: string) {
    const binding: KeyBinding = { mode: row.sseMode, bucket: row.bucket, key: row.key };
    try {
      return await kms.rewrapDataKey(row.kekId, row.sealedKey, binding, target, row.kmsContext ?? undefined);
    } catch (e) {
      return kmsFailure(e);
    }
  }
}
