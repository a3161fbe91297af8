// SSE rules of the object service: which mode a write gets, how its data key is sealed, and who may
// open it again. Keys never leave this module unsealed except as the stream key of one request.
import { FORMAT_VERSION, importKey } from '../crypto/format';
import { type KeyBinding, bindingBytes, deriveKek, randomKey, sealKey, ssecKeyFingerprint, timingSafeEqual, unsealKey } from '../crypto/keys';
import { type Kms, KmsError } from '../kms/kms';
import { S3Error } from '../s3/errors';
import type { SseRequest } from '../s3/sse';
import type { BucketEncryption, ObjectSealing } from '../storage/metadata';

export interface StreamKey {
  key: CryptoKey;
  /** Associated data of every package: the object binding. */
  aad: Uint8Array;
}

const SSE_C_LABEL = 'SSE-C';

function binding(mode: ObjectSealing['sseMode'], bucket: string, key: string): KeyBinding {
  return { mode, bucket, key };
}

export function kmsFailure(e: unknown): never {
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

  /** A new data key for an object about to be written, sealed as `sse` and the bucket ask. */
  async sealNew(sse: SseRequest, bucketDefault: BucketEncryption | null, bucket: string, key: string): Promise<{ sealing: ObjectSealing; stream: StreamKey }> {
    if (sse.mode === 'SSE-C' && bucketDefault?.blockedEncryptionTypes.includes('SSE-C')) {
      throw new S3Error('AccessDenied', 'Requests specifying Server Side Encryption with Customer provided keys are blocked for this bucket.');
    }
    if (sse.mode === 'SSE-C') {
      const b = binding('SSE-C', bucket, key);
      const dataKey = randomKey();
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
      return { sealing, stream: { key: await importKey(dataKey), aad: bindingBytes(b) } };
    }
    const b = binding('SSE-S3', bucket, key);
    try {
      const kms = this.kms();
      const dataKey = await kms.generateDataKey(kms.defaultKeyId, b);
      const sealing: ObjectSealing = {
        sseMode: 'SSE-S3',
        formatVersion: FORMAT_VERSION,
        kekId: dataKey.keyId,
        sealedKey: dataKey.sealed,
        ssecSalt: null,
        ssecFingerprint: null,
      };
      return { sealing, stream: { key: await importKey(dataKey.plaintext), aad: bindingBytes(b) } };
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

  /** The stream key of a stored object, after `authorize`. */
  async open(sealing: ObjectSealing, sse: SseRequest, bucket: string, key: string): Promise<StreamKey> {
    await this.authorize(sealing, sse);
    const b = binding(sealing.sseMode, bucket, key);
    try {
      const dataKey =
        sealing.sseMode === 'SSE-C' && sse.mode === 'SSE-C'
          ? await unsealKey(await deriveKek(sse.key, SSE_C_LABEL, bindingBytes(b)), sealing.sealedKey, b)
          : await this.kms().decryptDataKey(sealing.kekId!, sealing.sealedKey, b);
      return { key: await importKey(dataKey), aad: bindingBytes(b) };
    } catch (e) {
      if (e instanceof KmsError) return kmsFailure(e);
      console.error('sealed key does not open', bucket);
      throw new S3Error('InternalError', 'The object key material failed authentication: the object is damaged or was moved.');
    }
  }
}
