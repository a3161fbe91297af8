// SSE rules of the object service: which mode a write gets, how its data key is sealed, and who may
// open it again. Data keys leave this module only as the stream keys of one request.
import { FORMAT_VERSION, importKey } from '../crypto/format';
import { type KeyAudit, NO_AUDIT } from '../audit/event';
import {
  type KeyBinding,
  type ManifestPart,
  bindingBytes,
  deriveKek,
  manifestMac,
  randomKey,
  sealKey,
  ssecKeyFingerprint,
  timingSafeEqual,
  unsealKey,
} from '../crypto/keys';
import { type Kms, KmsError } from '../kms/kms';
import { S3Error, type S3ErrorCode } from '../error';
import type { BucketKeyStore } from '../storage/bucket-keys';
import type { BucketKeyRecord } from '../storage/bucket-keys';
import type { BucketEncryption, BucketRecord, ObjectSealing } from '../storage/metadata';
import { type KeyCache, cacheId } from './key-cache';

/** What a request asks for; `default` leaves the choice to the bucket's default encryption. */
export type SseRequest =
  | { mode: 'default' }
  | { mode: 'SSE-S3' }
  | { mode: 'SSE-KMS'; keyId: string | null; context: Record<string, string> | null; bucketKeyEnabled: boolean | null }
  | { mode: 'SSE-C'; key: Uint8Array; keyMd5: string };

/** An object's (or upload's) data key with its binding; parts derive their own stream keys from it. */
export interface ObjectKey {
  dataKey: Uint8Array;
  /** bindingBytes of the object: associated data of the seal and of every stream package. */
  aad: Uint8Array;
}

export interface StreamKey {
  key: CryptoKey;
  aad: Uint8Array;
}

const SSE_C_LABEL = 'SSE-C';
/** A bucket key seals new objects for this long; then the next write makes a new one. */
export const BUCKET_KEY_PERIOD_MS = 3600 * 1000;

/** A part attempt as its stream key is derived: its number and salt (null: a part from before salts). */
export interface PartKeyId {
  partNumber: number;
  salt: Uint8Array | null;
}

/** Salt of a new part attempt: every UploadPart gets a stream key of its own (docs/KEYS.md). */
export const newPartSalt = () => crypto.getRandomValues(new Uint8Array(16));

/** The stream key of a single-PUT object (part null) or of one part attempt of a multipart object. */
export async function streamKey(k: ObjectKey, part: PartKeyId | null): Promise<StreamKey> {
  const raw = part === null ? k.dataKey : await deriveKek(k.dataKey, `part ${part.partNumber}`, part.salt ? concat(k.aad, part.salt) : k.aad);
  return { key: await importKey(raw), aad: k.aad };
}

/** The key of a multipart object's parts manifest, one-way from its data key. */
export const manifestKey = (k: ObjectKey) => deriveKek(k.dataKey, 'parts manifest', k.aad);

/** The manifest key of an SSE-C upload, sealed through the KMS for a Complete without the SSE-C key. */
export interface SealedManifestKey {
  manifestKekId: string;
  manifestSealedKey: Uint8Array;
  manifestKey: Uint8Array;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// The KMS key id is deliberately not part of the binding: re-wrapping under another key must not
// change the stream's associated data.
function binding(mode: ObjectSealing['sseMode'], bucket: string, key: string): KeyBinding {
  return { mode, bucket, key };
}

/**
 * KMS failures as the S3 errors AWS gives for them; nothing has been stored when these are thrown.
 * Answers carry AWS's generic messages: what the KMS said (key ARNs, account ids, its answer bodies)
 * is only the error's cause, which the endpoint logs with the request id.
 */
export function kmsFailure(e: unknown): never {
  if (!(e instanceof KmsError)) throw e;
  const answer = (code: S3ErrorCode, message: string) => Object.assign(new S3Error(code, message), { cause: `kms ${e.kind}: ${e.message}` });
  switch (e.kind) {
    case 'key-not-found':
      throw answer('KMS.NotFoundException', 'The specified KMS key does not exist.');
    case 'key-disabled':
      throw answer('KMS.DisabledException', 'The specified KMS key is disabled or pending deletion.');
    case 'access-denied':
      throw answer('AccessDenied', 'The KMS refused this service access to the key.');
    case 'unavailable':
      throw answer('ServiceUnavailable', 'The KMS is unavailable; nothing was written. Please retry.');
    case 'not-authentic':
      throw answer('InternalError', 'The object key material failed authentication: the object is damaged or was moved.');
    case 'not-configured':
    case 'rejected':
      throw answer('InternalError', 'Server-side encryption is misconfigured; the service log has the details.');
  }
}

/** The mode and KMS key a write gets: what the request asks, else the bucket's default (SSE-S3 without one). */
type Resolved =
  | { mode: 'SSE-C'; key: Uint8Array }
  | { mode: 'SSE-S3' }
  | { mode: 'SSE-KMS'; keyId: string | null; context: Record<string, string> | null; bucketKey: boolean };

function resolve(sse: SseRequest, bucketDefault: BucketEncryption | null): Resolved {
  if (sse.mode === 'SSE-C') {
    if (bucketDefault?.blockedEncryptionTypes.includes('SSE-C')) {
      throw new S3Error('AccessDenied', 'Requests specifying Server Side Encryption with Customer provided keys are blocked for this bucket.');
    }
    return { mode: 'SSE-C', key: sse.key };
  }
  const bucketKey = bucketDefault?.bucketKeyEnabled ?? false;
  if (sse.mode === 'SSE-KMS') {
    return { mode: 'SSE-KMS', keyId: sse.keyId ?? bucketDefault?.kmsMasterKeyId ?? null, context: sse.context, bucketKey: sse.bucketKeyEnabled ?? bucketKey };
  }
  if (sse.mode === 'default' && bucketDefault?.algorithm === 'aws:kms') return { mode: 'SSE-KMS', keyId: bucketDefault.kmsMasterKeyId, context: null, bucketKey };
  return { mode: 'SSE-S3' };
}

/** The binding of an SSE-C upload's KMS-sealed manifest key. */
export const manifestBinding = (bucket: string, key: string): KeyBinding => ({ mode: 'SSE-C', bucket, key, kmsKeyId: 'parts manifest' });

function damagedKeyMaterial(): S3Error {
  return new S3Error('InternalError', 'The object key material failed authentication: the object is damaged or was moved.');
}

/** The binding of a bucket key: the bucket, under no object key (S3 object keys are never empty). */
const bucketKeyBinding = (bucket: string): KeyBinding => ({ mode: 'SSE-KMS', bucket, key: '' });

export class Encryption {
  private readonly currentBucketKeys: CurrentBucketKeys;

  /** `kms` is resolved when first needed, so a missing master key fails requests clearly, never silently. */
  constructor(
    private readonly kms: () => Kms,
    private readonly bucketKeys: BucketKeyStore,
    private readonly cache: KeyCache,
    private readonly audit: KeyAudit = NO_AUDIT,
  ) {
    this.currentBucketKeys = new CurrentBucketKeys(cache.ttlMs);
  }

  /** Seals a new data key for an object about to be written, as `sse` and the bucket's default ask. */
  async seal(sse: SseRequest, bucketRecord: BucketRecord, key: string): Promise<{ sealing: ObjectSealing; objectKey: ObjectKey }> {
    const bucket = bucketRecord.name;
    const target = resolve(sse, bucketRecord.encryption);
    if (target.mode === 'SSE-C') return this.sealForCustomer(randomKey(), target.key, bucket, key);
    const b = binding(target.mode, bucket, key);
    const context = target.mode === 'SSE-KMS' ? target.context : null;
    try {
      const kms = this.kms();
      const keyId = (target.mode === 'SSE-KMS' && target.keyId) || kms.defaultKeyId;
      // A client context binds through the KMS, one call per object: bucket keys are used without one.
      if (target.mode === 'SSE-KMS' && target.bucketKey && !context) return await this.sealUnderBucketKey(kms, keyId, bucketRecord, key);
      const generated = await kms.generateDataKey(keyId, b, context ?? undefined);
      this.audit.record({ action: 'seal', mode: target.mode, bucket, key, kmsKeyId: generated.keyId, outcome: 'ok' });
      return { sealing: kmsSealing(target.mode, generated.keyId, generated.sealed, context), objectKey: { dataKey: generated.plaintext, aad: bindingBytes(b) } };
    } catch (e) {
      return kmsFailure(e);
    }
  }

  /**
   * The same data key sealed anew, for a self-copy that changes only the key wrapping (SSE-C key
   * rotation; SSE-S3/SSE-KMS re-wrapping under the current or another KMS key): no object data is
   * touched. Null when the target mode differs from the source's (the data must be re-encrypted).
   */
  async reseal(source: ObjectSealing, sourceSse: SseRequest, sse: SseRequest, bucketDefault: BucketEncryption | null, bucket: string, key: string): Promise<ObjectSealing | null> {
    const target = resolve(sse, bucketDefault);
    // Objects under a bucket key, and moves onto one, re-encrypt (the copy path) instead.
    if (target.mode !== source.sseMode || source.bucketKeyId || (target.mode === 'SSE-KMS' && target.bucketKey)) return null;
    if (target.mode === 'SSE-C') {
      const { dataKey } = await this.open(source, sourceSse, bucket, key);
      return (await this.sealForCustomer(dataKey, target.key, bucket, key)).sealing;
    }
    const context = target.mode === 'SSE-KMS' ? (target.context ?? source.kmsContext) : null;
    if (JSON.stringify(context) !== JSON.stringify(source.kmsContext)) return null;
    try {
      const kms = this.kms();
      const keyId = (target.mode === 'SSE-KMS' && target.keyId) || kms.defaultKeyId;
      const rewrapped = await kms.rewrapDataKey(source.kekId!, source.sealedKey, binding(source.sseMode, bucket, key), keyId, context ?? undefined);
      return kmsSealing(target.mode, rewrapped.keyId, rewrapped.sealed, context);
    } catch (e) {
      return kmsFailure(e);
    }
  }

  /** Checks that a KMS key exists and is enabled (PutBucketEncryption with aws:kms). */
  async requireKmsKey(keyId: string | null): Promise<void> {
    try {
      const kms = this.kms();
      const status = await kms.describeKey(keyId ?? kms.defaultKeyId);
      if (!status.enabled) throw new KmsError('key-disabled', keyId ?? kms.defaultKeyId);
    } catch (e) {
      kmsFailure(e);
    }
  }

  /** Checks that `sse` may read an object sealed as `sealing` (AWS's SSE-C rules); no key is opened. */
  async authorize(sealing: ObjectSealing, sse: SseRequest): Promise<void> {
    if (sealing.sseMode !== 'SSE-C') {
      if (sse.mode === 'SSE-C') throw new S3Error('InvalidRequest', 'The encryption parameters are not applicable to this object.');
      return;
    }
    if (sse.mode !== 'SSE-C') {
      throw new S3Error('InvalidRequest', 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.');
    }
    const fingerprint = await ssecKeyFingerprint(sse.key, sealing.ssecSalt!);
    if (!timingSafeEqual(fingerprint, sealing.ssecFingerprint!)) {
      this.audit.record({ action: 'ssec-key-mismatch', mode: 'SSE-C', bucket: null, key: null, kmsKeyId: null, outcome: 'denied' });
      throw new S3Error('AccessDenied', 'Access Denied');
    }
  }

  /** The data key of a stored object or upload, after `authorize`. */
  async open(sealing: ObjectSealing, sse: SseRequest, bucket: string, key: string): Promise<ObjectKey> {
    await this.authorize(sealing, sse);
    const b = binding(sealing.sseMode, bucket, key);
    let loaded = false;
    try {
      let dataKey: Uint8Array;
      if (sealing.sseMode === 'SSE-C' && sse.mode === 'SSE-C') {
        dataKey = await unsealKey(await deriveKek(sse.key, SSE_C_LABEL, bindingBytes(b)), sealing.sealedKey, b);
      } else if (sealing.bucketKeyId) {
        dataKey = await unsealKey(await this.openBucketKey(sealing.bucketKeyId, bucket, () => (loaded = true)), sealing.sealedKey, b);
      } else {
        const id = await cacheId('object', sealing.kekId!, sealing.sealedKey, bindingBytes(b), JSON.stringify(sealing.kmsContext));
        dataKey = await this.cache.get(id, () => ((loaded = true), this.kms().decryptDataKey(sealing.kekId!, sealing.sealedKey, b, sealing.kmsContext ?? undefined)));
      }
      const cached = sealing.sseMode === 'SSE-C' ? {} : { cached: !loaded };
      this.audit.record({ action: 'unseal', mode: sealing.sseMode, bucket, key, kmsKeyId: sealing.kekId, outcome: 'ok', ...cached });
      return { dataKey, aad: bindingBytes(b) };
    } catch (e) {
      if (e instanceof KmsError) return kmsFailure(e);
      console.error('sealed key does not open', bucket);
      this.audit.record({ action: 'unseal-failed', mode: sealing.sseMode, bucket, key, kmsKeyId: sealing.kekId, outcome: 'not-authentic' });
      throw damagedKeyMaterial();
    }
  }

  /**
   * Seals the manifest key of a new SSE-C upload under a KMS data key, so that its Complete can
   * authenticate the parts list without the customer's key (clients need not send it then).
   */
  async sealManifestKey(objectKey: ObjectKey, bucket: string, key: string): Promise<SealedManifestKey> {
    const b = manifestBinding(bucket, key);
    try {
      const kms = this.kms();
      const generated = await kms.generateDataKey(kms.defaultKeyId, b);
      this.audit.record({ action: 'seal', mode: 'SSE-C', bucket, key, kmsKeyId: generated.keyId, outcome: 'ok', detail: 'parts manifest key' });
      return { manifestKekId: generated.keyId, manifestSealedKey: generated.sealed, manifestKey: await sealKey(generated.plaintext, await manifestKey(objectKey), b) };
    } catch (e) {
      return kmsFailure(e);
    }
  }

  /**
   * The manifest key with which CompleteMultipartUpload authenticates the chosen parts: from the
   * upload's data key (SSE-C: when the request carries the customer key), else from the sealed
   * manifest key. Null for an SSE-C upload made before manifests existed.
   */
  async manifestKeyForComplete(upload: ObjectSealing & { [K in keyof SealedManifestKey]: SealedManifestKey[K] | null }, sse: SseRequest, bucket: string, key: string): Promise<Uint8Array | null> {
    if (upload.sseMode !== 'SSE-C' || sse.mode === 'SSE-C') return manifestKey(await this.open(upload, sse, bucket, key));
    if (!upload.manifestKekId || !upload.manifestSealedKey || !upload.manifestKey) return null;
    const b = manifestBinding(bucket, key);
    let sealer: Uint8Array;
    try {
      sealer = await this.kms().decryptDataKey(upload.manifestKekId, upload.manifestSealedKey, b);
    } catch (e) {
      return kmsFailure(e);
    }
    try {
      const opened = await unsealKey(sealer, upload.manifestKey, b);
      this.audit.record({ action: 'unseal', mode: 'SSE-C', bucket, key, kmsKeyId: upload.manifestKekId, outcome: 'ok', detail: 'parts manifest key' });
      return opened;
    } catch {
      this.audit.record({ action: 'unseal-failed', mode: 'SSE-C', bucket, key, kmsKeyId: upload.manifestKekId, outcome: 'not-authentic', detail: 'parts manifest key' });
      throw damagedKeyMaterial();
    }
  }

  /**
   * Checks a multipart object's parts, as read, against the manifest MAC sealed at Complete
   * (docs/KEYS.md): a dropped, added, reordered or resized part row is damage. A legacy object
   * (no MAC, no salted part) passes unchecked; a salted part never opens without its row's salt.
   */
  async verifyManifest(objectKey: ObjectKey, partsMac: Uint8Array | null, partsCount: number, parts: (ManifestPart & { ordinal: number })[]): Promise<boolean> {
    if (parts.length !== partsCount || parts.some((p, i) => p.ordinal !== i + 1 || (i > 0 && p.partNumber <= parts[i - 1]!.partNumber))) return false;
    if (partsMac === null) return parts.every((p) => p.salt === null);
    return timingSafeEqual(await manifestMac(await manifestKey(objectKey), parts), partsMac);
  }

  /** A new object data key sealed under the bucket's current bucket key for `keyId` (made if none). */
  private async sealUnderBucketKey(kms: Kms, keyId: string, target: BucketRecord, key: string): Promise<{ sealing: ObjectSealing; objectKey: ObjectKey }> {
    const bucket = target.name;
    const now = Date.now();
    let current = this.currentBucketKeys.get(target, keyId, now) ?? (await this.bucketKeys.current(bucket, keyId, now - BUCKET_KEY_PERIOD_MS));
    let plaintext: Uint8Array;
    if (current) {
      plaintext = await this.openBucketKey(current.id, bucket);
    } else {
      const generated = await kms.generateDataKey(keyId, bucketKeyBinding(bucket));
      current = { id: crypto.randomUUID(), bucket, keyId, kekId: generated.keyId, sealedKey: generated.sealed, createdAt: now };
      await this.bucketKeys.insert(current);
      plaintext = generated.plaintext;
      this.cache.set(await cacheId('bucket-key', current.id), plaintext);
    }
    this.currentBucketKeys.set(target, current, now);
    const b = binding('SSE-KMS', bucket, key);
    const dataKey = randomKey();
    const sealing: ObjectSealing = {
      ...kmsSealing('SSE-KMS', current.kekId, await sealKey(plaintext, dataKey, b), null),
      bucketKeyId: current.id,
    };
    this.audit.record({ action: 'seal', mode: 'SSE-KMS', bucket, key, kmsKeyId: current.kekId, outcome: 'ok', detail: 'bucket key' });
    return { sealing, objectKey: { dataKey, aad: bindingBytes(b) } };
  }

  /** A bucket key's plaintext, from the isolate's cache or the KMS. */
  private async openBucketKey(id: string, bucket: string, onLoad?: () => void): Promise<Uint8Array> {
    return this.cache.get(await cacheId('bucket-key', id), async () => {
      onLoad?.();
      const row = await this.bucketKeys.get(id);
      if (!row || row.bucket !== bucket) throw new KmsError('not-authentic', `bucket key ${id} is missing or belongs to another bucket`);
      return this.kms().decryptDataKey(row.kekId, row.sealedKey, bucketKeyBinding(bucket));
    });
  }

  private async sealForCustomer(dataKey: Uint8Array, customerKey: Uint8Array, bucket: string, key: string): Promise<{ sealing: ObjectSealing; objectKey: ObjectKey }> {
    const b = binding('SSE-C', bucket, key);
    const salt = randomKey();
    const kek = await deriveKek(customerKey, SSE_C_LABEL, bindingBytes(b));
    const sealing: ObjectSealing = {
      sseMode: 'SSE-C',
      formatVersion: FORMAT_VERSION,
      kekId: null,
      sealedKey: await sealKey(kek, dataKey, b),
      ssecSalt: salt,
      ssecFingerprint: await ssecKeyFingerprint(customerKey, salt),
      kmsContext: null,
      bucketKeyId: null,
    };
    this.audit.record({ action: 'seal', mode: 'SSE-C', bucket, key, kmsKeyId: null, outcome: 'ok' });
    return { sealing, objectKey: { dataKey, aad: bindingBytes(b) } };
  }
}

function kmsSealing(mode: 'SSE-S3' | 'SSE-KMS', kekId: string, sealedKey: Uint8Array, kmsContext: Record<string, string> | null): ObjectSealing {
  return { sseMode: mode, formatVersion: FORMAT_VERSION, kekId, sealedKey, ssecSalt: null, ssecFingerprint: null, kmsContext, bucketKeyId: null };
}

/**
 * The bucket key each (bucket, KMS key) seals new objects under, remembered by the isolate for up to
 * `ttlMs` (the key cache's lifetime) so a PUT does not look it up in D1 each time. Keyed by the
 * bucket's creation time as well: a bucket deleted (which forgets its bucket keys) and created again
 * is another bucket, so an entry of the old one is never used for it. A stale entry can only mean a
 * bucket key older than another isolate's newest (still within its period: either seals correctly),
 * or, after a re-wrap, an object row naming the bucket key's previous KMS key as its kek_id for up to
 * `ttlMs` (the bucket key itself, read from D1 when opened, is what opens the object).
 */
class CurrentBucketKeys {
  private readonly entries = new Map<string, { record: BucketKeyRecord; until: number }>();

  constructor(private readonly ttlMs: number) {}

  get(bucket: BucketRecord, keyId: string, now: number): BucketKeyRecord | null {
    const id = JSON.stringify([bucket.name, bucket.createdAt, keyId]);
    const hit = this.entries.get(id);
    if (hit && hit.until > now) return hit.record;
    this.entries.delete(id);
    return null;
  }

  set(bucket: BucketRecord, record: BucketKeyRecord, now: number): void {
    if (this.ttlMs <= 0) return;
    const id = JSON.stringify([bucket.name, bucket.createdAt, record.keyId]);
    this.entries.delete(id);
    // Never past the bucket key's own period, after which writes take a new one.
    this.entries.set(id, { record, until: Math.min(now + this.ttlMs, record.createdAt + BUCKET_KEY_PERIOD_MS) });
    while (this.entries.size > MAX_CURRENT_BUCKET_KEYS) this.entries.delete(this.entries.keys().next().value!);
  }
}

const MAX_CURRENT_BUCKET_KEYS = 1000;
