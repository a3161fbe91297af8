// What one request did with keys: the key uses the encryption layer reports (for the audit log),
// and every KMS call it made, counted and timed (for metrics). KMS failures and re-wraps are
// recorded here, where the call's key, object and outcome are all known.
import type { KeyAudit, KeyUse } from '../audit/event';
import type { KeyBinding } from '../crypto/keys';
import { type Kms, KmsError } from '../kms/kms';

export interface MeteredUse extends KeyUse {
  time: number;
}

export class RequestMeter implements KeyAudit {
  readonly uses: MeteredUse[] = [];
  kmsCalls = 0;
  kmsErrors = 0;
  kmsMs = 0;
  cacheHits = 0;
  cacheMisses = 0;

  record(use: KeyUse): void {
    this.uses.push({ ...use, time: Date.now() });
    if (use.action === 'unseal' && use.cached !== undefined) {
      if (use.cached) this.cacheHits++;
      else this.cacheMisses++;
    }
  }

  /** `kms` with each call counted and timed; failures and re-wraps recorded as key uses. */
  kms(kms: Kms): Kms {
    const call = async <T>(keyId: string, binding: KeyBinding | null, run: () => Promise<T>): Promise<T> => {
      const started = Date.now();
      this.kmsCalls++;
      try {
        return await run();
      } catch (e) {
        this.kmsErrors++;
        const outcome = e instanceof KmsError ? e.kind : 'error';
        this.record({ action: 'kms-error', mode: binding?.mode ?? null, bucket: binding?.bucket ?? null, key: binding?.key || null, kmsKeyId: keyId, outcome });
        throw e;
      } finally {
        this.kmsMs += Date.now() - started;
      }
    };
    return {
      defaultKeyId: kms.defaultKeyId,
      generateDataKey: (keyId, binding, context) => call(keyId, binding, () => kms.generateDataKey(keyId, binding, context)),
      decryptDataKey: (keyId, sealed, binding, context) => call(keyId, binding, () => kms.decryptDataKey(keyId, sealed, binding, context)),
      rewrapDataKey: async (keyId, sealed, binding, newKeyId, context) => {
        const rewrapped = await call(keyId, binding, () => kms.rewrapDataKey(keyId, sealed, binding, newKeyId, context));
        this.record({ action: 'rewrap', mode: binding.mode, bucket: binding.bucket, key: binding.key || null, kmsKeyId: rewrapped.keyId, outcome: 'ok', detail: `from ${keyId}` });
        return rewrapped;
      },
      describeKey: (keyId) => call(keyId, null, () => kms.describeKey(keyId)),
    };
  }
}
