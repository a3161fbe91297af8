// Multipart uploads: every part its own blob and encrypted stream (key derived from the upload's
// data key and the part number), so parts may have any size, come in any order and be replaced.
// Completing makes the object visible in one transaction; until then the previous version stays.
import { type ChecksumAlgorithm, createHasher, fromBase64, toBase64, toHex } from '../crypto/checksum';
import { S3Error } from '../error';
import { type UploadBody, etagOf } from './upload-body';
import type { BlobStore } from '../storage/blobs';
import { manifestMac } from '../crypto/keys';
import { type MetadataStore, type ObjectHeaders, type ObjectRecord, sealingOf } from '../storage/metadata';
import type { PartRecord, UploadRecord, UploadStore } from '../storage/uploads';
import { storageFailure, writeEncrypted } from './blob-io';
import { type Encryption, type SseRequest, newPartSalt, streamKey } from './encryption';
import { COMPLETED_UPLOAD_MEMORY_MS } from './gc';
import { noSuchBucket } from './objects';

export const MAX_PART_NUMBER = 10_000;
/** Every part but the last must be at least this large (S3's rule). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface CompletedPart {
  partNumber: number;
  etag: string;
  checksum: string | null;
}

const noSuchUpload = () =>
  new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');

/** Quote-insensitive ETag comparison, as S3 accepts part ETags with or without quotes. */
const sameEtag = (a: string, b: string) => a.replace(/"/g, '') === b.replace(/"/g, '');

export class MultipartService {
  constructor(
    private readonly meta: MetadataStore,
    private readonly uploads: UploadStore,
    private readonly blobs: BlobStore,
    private readonly encryption: Encryption,
  ) {}

  async create(
    bucket: string,
    key: string,
    input: { sse: SseRequest; headers: ObjectHeaders; userMetadata: Record<string, string>; checksumAlgorithm: ChecksumAlgorithm | null },
  ): Promise<UploadRecord> {
    const found = await this.meta.getBucket(bucket);
    if (!found) throw noSuchBucket(bucket);
    const { sealing, objectKey } = await this.encryption.seal(input.sse, found, key);
    const manifest = sealing.sseMode === 'SSE-C' ? await this.encryption.sealManifestKey(objectKey, bucket, key) : null;
    const upload: UploadRecord = {
      uploadId: crypto.randomUUID().replace(/-/g, ''),
      bucket,
      key,
      initiated: Date.now(),
      ...input.headers,
      userMetadata: input.userMetadata,
      checksumAlgorithm: input.checksumAlgorithm,
      ...sealing,
      manifestKekId: manifest?.manifestKekId ?? null,
      manifestSealedKey: manifest?.manifestSealedKey ?? null,
      manifestKey: manifest?.manifestKey ?? null,
    };
    await this.uploads.create(upload);
    return upload;
  }

  /** The upload, once `sse` may write to it (SSE-C: the key of CreateMultipartUpload). */
  async upload(bucket: string, key: string, uploadId: string, sse: SseRequest | null): Promise<UploadRecord> {
    const upload = await this.uploads.get(bucket, key, uploadId);
    if (!upload) {
      if (!(await this.meta.getBucket(bucket))) throw noSuchBucket(bucket);
      throw noSuchUpload();
    }
    if (sse) await this.encryption.authorize(upload, sse);
    return upload;
  }

  async uploadPart(upload: UploadRecord, partNumber: number, sse: SseRequest, body: UploadBody): Promise<PartRecord> {
    const objectKey = await this.encryption.open(upload, sse, upload.bucket, upload.key);
    const salt = newPartSalt();
    if (upload.sseMode === 'SSE-S3') body.measureMd5();
    const { blobId, digests } = await writeEncrypted(this.blobs, this.meta, body, await streamKey(objectKey, { partNumber, salt }));
    if (upload.checksumAlgorithm && digests.checksum && digests.checksum.algorithm !== upload.checksumAlgorithm) {
      await this.meta.trashBlobs([blobId], Date.now());
      throw new S3Error('InvalidRequest', `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${digests.checksum.algorithm.toLowerCase()}`);
    }
    const part: PartRecord = {
      partNumber,
      blobId,
      size: digests.size,
      etag: etagOf(upload.sseMode, digests),
      checksumValue: digests.checksum?.value ?? null,
      lastModified: Date.now(),
      salt,
    };
    // An ambiguous failure leaves the blob alone: if the row did commit, it refers to it.
    const recorded = await this.uploads.putPart(upload.uploadId, part).catch((e: unknown) => {
      throw storageFailure(e);
    });
    if (!recorded) {
      await this.meta.trashBlobs([blobId], Date.now());
      throw noSuchUpload();
    }
    return part;
  }

  /**
   * A retried CompleteMultipartUpload of an upload that completed with the same parts (SDKs retry
   * after a lost answer): the object as that Complete made it, while the key still holds it and the
   * completion is remembered; null otherwise.
   */
  private async completedBefore(bucket: string, key: string, uploadId: string, requested: CompletedPart[]): Promise<ObjectRecord | null> {
    const done = await this.uploads.completedUpload(uploadId, bucket, key);
    if (!done || Date.now() - done.completedAt > COMPLETED_UPLOAD_MEMORY_MS) return null;
    const same = done.parts.length === requested.length && requested.every((r, i) => {
      const [number, etag] = done.parts[i]!.split(/:(.*)/s);
      return Number(number) === r.partNumber && sameEtag(etag!, r.etag);
    });
    if (!same) return null;
    const current = await this.meta.getObject(bucket, key);
    return current.bucketExists && current.value?.etag === done.etag ? current.value : null;
  }

  /**
   * Completes an upload, or answers a retry of a Complete that already made the object as it did
   * then. `sse` is the request's: AWS does not require the SSE-C key to complete (when sent, it must
   * match); SSE-C uploads authenticate their parts list with it when sent, else with the manifest
   * key sealed at create.
   */
  async complete(bucket: string, key: string, uploadId: string, sse: SseRequest, requested: CompletedPart[]): Promise<ObjectRecord> {
    const upload = await this.uploads.get(bucket, key, uploadId);
    const done = upload ? null : await this.completedBefore(bucket, key, uploadId, requested);
    const target = upload ?? done ?? (await this.upload(bucket, key, uploadId, null));
    if (sse.mode === 'SSE-C') await this.encryption.authorize(target, sse);
    return done ?? this.completeUpload(upload!, requested, sse);
  }

  private async completeUpload(upload: UploadRecord, requested: CompletedPart[], sse: SseRequest): Promise<ObjectRecord> {
    if (requested.length === 0) {
      throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    }
    for (let i = 1; i < requested.length; i++) {
      if (requested[i]!.partNumber <= requested[i - 1]!.partNumber) {
        throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
      }
    }
    const stored = new Map((await this.uploads.parts(upload.uploadId)).map((p) => [p.partNumber, p]));
    const chosen = requested.map((r) => {
      const part = stored.get(r.partNumber);
      if (!part || !sameEtag(part.etag, r.etag) || (r.checksum !== null && part.checksumValue !== null && r.checksum !== part.checksumValue)) {
        throw new S3Error('InvalidPart', "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", {
          PartNumber: String(r.partNumber),
          ETag: r.etag,
        });
      }
      return part;
    });
    chosen.forEach((p, i) => {
      if (i < chosen.length - 1 && p.size < MIN_PART_SIZE) {
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
          PartNumber: String(p.partNumber),
          ProposedSize: String(p.size),
          MinSizeAllowed: String(MIN_PART_SIZE),
        });
      }
    });
    const manifestKey = await this.encryption.manifestKeyForComplete(upload, sse, upload.bucket, upload.key);
    const record: ObjectRecord = {
      bucket: upload.bucket,
      key: upload.key,
      blobId: null,
      inline: null,
      partsCount: chosen.length,
      partsMac: manifestKey && (await manifestMac(manifestKey, chosen)),
      size: chosen.reduce((n, p) => n + p.size, 0),
      etag: multipartEtag(chosen),
      lastModified: Date.now(),
      contentType: upload.contentType,
      cacheControl: upload.cacheControl,
      contentDisposition: upload.contentDisposition,
      contentEncoding: upload.contentEncoding,
      contentLanguage: upload.contentLanguage,
      expires: upload.expires,
      userMetadata: upload.userMetadata,
      ...compositeChecksum(upload.checksumAlgorithm as ChecksumAlgorithm | null, chosen),
      ...sealingOf(upload),
    };
    let completed: boolean;
    try {
      completed = await this.uploads.complete(upload.uploadId, record, chosen);
    } catch (e) {
      // Ambiguous (it may have committed): the client's retry gets the completed answer if it did.
      throw storageFailure(e);
    }
    if (!completed) throw noSuchUpload();
    return record;
  }

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.upload(bucket, key, uploadId, null);
    if (!(await this.uploads.abort(uploadId, Date.now()))) throw noSuchUpload();
  }

  parts(upload: UploadRecord, after: number, limit: number): Promise<PartRecord[]> {
    return this.uploads.parts(upload.uploadId, after, limit);
  }

  async list(bucket: string, q: { prefix: string; keyMarker: string; uploadIdMarker: string; limit: number }): Promise<UploadRecord[]> {
    if (!(await this.meta.getBucket(bucket))) throw noSuchBucket(bucket);
    return this.uploads.list(bucket, q);
  }
}

/** S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-" and the number of parts. */
function multipartEtag(parts: PartRecord[]): string {
  const md5 = createHasher('MD5');
  for (const p of parts) md5.update(Uint8Array.from(p.etag.replace(/"/g, '').match(/../g)!, (h) => parseInt(h, 16)));
  return `"${toHex(md5.digest())}-${parts.length}"`;
}

/** The COMPOSITE checksum S3 reports for a multipart object: hash of the parts' checksums, "-N". */
function compositeChecksum(algorithm: ChecksumAlgorithm | null, parts: PartRecord[]): Pick<ObjectRecord, 'checksumAlgorithm' | 'checksumValue' | 'checksumType'> {
  if (!algorithm || parts.some((p) => p.checksumValue === null)) return { checksumAlgorithm: null, checksumValue: null, checksumType: null };
  const hasher = createHasher(algorithm);
  for (const p of parts) hasher.update(fromBase64(p.checksumValue!));
  return { checksumAlgorithm: algorithm, checksumValue: `${toBase64(hasher.digest())}-${parts.length}`, checksumType: 'COMPOSITE' };
}
