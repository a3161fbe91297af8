// SSE rules of the object service: which mode a write gets, how its data key is sealed, and who may
// open it again. Data keys leave this module only as the stream keys of one request.
import { FORMAT_VERSION, importKey } from '../crypto/format';
import { type KeyBinding, bindingBytes, deriveKek, randomKey, sealKey, ssecKeyFingerprint, timingSafeEqual, unsealKey } from '../crypto/keys';
import { type Kms, KmsError } from '../kms/kms';
import { S3Error } from '../s3/errors';
import type { SseRequest } from '../s3/sse';
import type { BucketEncryption, ObjectSealing } from '../storage/metadata';

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

/** The stream key of a single-PUT object (part null) or of one part of a multipart object. */
export async function streamKey(k: ObjectKey, part: number | null): Promise<StreamKey> {
  const raw = part === null ? k.dataKey : await deriveKek(k.dataKey, `part ${part}`, k.aad);
  return { key: await importKey(raw), aad: k.aad };
}

function binding(mode: ObjectSealing['sseMode'], bucket: string, key: string): KeyBinding {
  return { mode, bucket, key };
}

function kmsFailure(e: unknown): never {
  if (e instanceof KmsError) {
    console.error('kms', e.kind, e.message);
    if (e.kind === 'not-authentic') throw new S3Error('InternalError', 'The object key material failed authentication: the object is damaged or was moved.');
    throw new S3Error('InternalError', `Server-side encryption is misconfigured: ${e.message}.`);
  }
  throw e;
}

export class Encryption {
  /** `kms` is resolved per request, so a missing master key fails requests clearly, never silently. */
  constructor(private readonly kms: () => Kms) {}

  /** Seals a new data key for an object about to be written, as `sse` and the bucket default ask. */
  async seal(sse: SseRequest, bucketDefault: BucketEncryption | null, bucket: string, key: string): Promise<{ sealing: ObjectSealing; objectKey: ObjectKey }> {
    return this.sealWith(randomKey(), sse, bucketDefault, bucket, key);
  }

  /**
   * The same data key sealed anew, for a self-copy that changes only the key wrapping (SSE-C key
   * rotation; SSE-S3 re-wrapping under the current master key) — no object data is touched.
   */
  async reseal(source: ObjectSealing, sourceSse: SseRequest, sse: SseRequest, bucketDefault: BucketEncryption | null, bucket: string, key: string): Promise<ObjectSealing> {
    if (source.sseMode === 'SSE-C') {
      const { dataKey } = await this.open(source, sourceSse, bucket, key);
      return (await this.sealWith(dataKey, sse, bucketDefault, bucket, key)).sealing;
    }
    try {
      const kms = this.kms();
      const rewrapped = await kms.rewrapDataKey(source.kekId!, source.sealedKey, binding('SSE-S3', bucket, key), kms.defaultKeyId);
      return { ...source, kekId: rewrapped.keyId, sealedKey: rewrapped.sealed };
    } catch (e) {
      return kmsFailure(e);
    }
  }

  private async sealWith(dataKey: Uint8Array, sse: SseRequest, bucketDefault: BucketEncryption | null, bucket: string, key: string): Promise<{ sealing: ObjectSealing; objectKey: ObjectKey }> {
    if (sse.mode === 'SSE-C' && bucketDefault?.blockedEncryptionTypes.includes('SSE-C')) {
      throw new S3Error('AccessDenied', 'Requests specifying Server Side Encryption with Customer provided keys are blocked for this bucket.');
    }
    if (sse.mode === 'SSE-C') {
      const b = binding('SSE-C', bucket, key);
      const salt = randomKey();
      const kek = await deriveKek(sse.key, SSE_C_LABEL, bindingBytes(b));
      const sealing: ObjectSealing = {
        sseMode: 'SSE-C',
        formatVersion: FORMAT_VERSION,
        kekId: null,
        sealedKey: await sealKey(kek, dataKey, b),
        ssecSalt: salt,
        ssecFingerprint: await ssecKeyFingerprint(sse.key, salt),
      };
      return { sealing, objectKey: { dataKey, aad: bindingBytes(b) } };
    }
    const b = binding('SSE-S3', bucket, key);
    try {
      const kms = this.kms();
      const generated = await kms.generateDataKey(kms.defaultKeyId, b);
      const sealing: ObjectSealing = {
        sseMode: 'SSE-S3',
        formatVersion: FORMAT_VERSION,
        kekId: generated.keyId,
        sealedKey: generated.sealed,
        ssecSalt: null,
        ssecFingerprint: null,
      };
      return { sealing, objectKey: { dataKey: generated.plaintext, aad: bindingBytes(b) } };
    } catch (e) {
      return kmsFailure(e);
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
    if (!timingSafeEqual(fingerprint, sealing.ssecFingerprint!)) throw new S3Error('AccessDenied', 'Access Denied');
  }

  /** The data key of a stored object or upload, after `authorize`. */
  async open(sealing: ObjectSealing, sse: SseRequest, bucket: string, key: string): Promise<ObjectKey> {
    await this.authorize(sealing, sse);
    const b = binding(sealing.sseMode, bucket, key);
    try {
      const dataKey =
        sealing.sseMode === 'SSE-C' && sse.mode === 'SSE-C'
          ? await unsealKey(await deriveKek(sse.key, SSE_C_LABEL, bindingBytes(b)), sealing.sealedKey, b)
          : await this.kms().decryptDataKey(sealing.kekId!, sealing.sealedKey, b);
      return { dataKey, aad: bindingBytes(b) };
    } catch (e) {
      if (e instanceof KmsError) return kmsFailure(e);
      console.error('sealed key does not open', bucket);
      throw new S3Error('InternalError', 'The object key material failed authentication: the object is damaged or was moved.');
    }
  }
}
