// What one request did with keys: the key uses the encryption layer reports (for the audit log),
// and every KMS call it made, counted and timed (for metrics). KMS failures and re-wraps are
// recorded where the call's key, object and outcome are all known. The meter of the request being
// served is found through AsyncLocalStorage, so services can be built once per isolate and an
// isolate can serve requests concurrently.
import { AsyncLocalStorage } from 'node:async_hooks';
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
}

const current = new AsyncLocalStorage<RequestMeter>();

/** Runs `fn` (a request's dispatch) with `meter` collecting what it does. */
export const metered = <T>(meter: RequestMeter, fn: () => Promise<T>): Promise<T> => current.run(meter, fn);

/** Key uses go to the meter of the request being served (nowhere outside one). */
export const requestAudit: KeyAudit = { record: (use) => current.getStore()?.record(use) };

/** `kms` with each call counted and timed, failures and re-wraps recorded, for the request being served. */
export function meteredKms(kms: Kms): Kms {
  const call = async <T>(keyId: string, binding: KeyBinding | null, run: () => Promise<T>): Promise<T> => {
    const meter = current.getStore();
    if (!meter) return run();
    const started = Date.now();
    meter.kmsCalls++;
    try {
      return await run();
    } catch (e) {
      meter.kmsErrors++;
      const outcome = e instanceof KmsError ? e.kind : 'error';
      meter.record({ action: 'kms-error', mode: binding?.mode ?? null, bucket: binding?.bucket ?? null, key: binding?.key || null, kmsKeyId: keyId, outcome });
      throw e;
    } finally {
      meter.kmsMs += Date.now() - started;
    }
  };
  return {
    defaultKeyId: kms.defaultKeyId,
    generateDataKey: (keyId, binding, context) => call(keyId, binding, () => kms.generateDataKey(keyId, binding, context)),
    decryptDataKey: (keyId, sealed, binding, context) => call(keyId, binding, () => kms.decryptDataKey(keyId, sealed, binding, context)),
    rewrapDataKey: async (keyId, sealed, binding, newKeyId, context) => {
      const rewrapped = await call(keyId, binding, () => kms.rewrapDataKey(keyId, sealed, binding, newKeyId, context));
      requestAudit.record({ action: 'rewrap', mode: binding.mode, bucket: binding.bucket, key: binding.key || null, kmsKeyId: rewrapped.keyId, outcome: 'ok', detail: `from ${keyId}` });
      return rewrapped;
    },
    describeKey: (keyId) => call(keyId, null, () => kms.describeKey(keyId)),
  };
}
