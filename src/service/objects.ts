// The object service: what PUT, GET, COPY, DELETE and LIST mean, on top of the blob and metadata
// stores. Writes are "nothing lost": bytes go to a fresh blob, and only a complete, verified blob is
// made visible by committing its row; what it replaced is trashed in the same transaction.
import type { ChecksumAlgorithm } from '../crypto/checksum';
import { S3Error } from '../error';
import { type UploadBody, consuming, etagOf, internalUpload } from './upload-body';
import type { BlobStore } from '../storage/blobs';
import type { BucketEncryption, BucketRecord, ListedObject, MetadataStore, ObjectHeaders, ObjectRecord, StoredObject, WriteCondition } from '../storage/metadata';
import { type ByteRange, type Segment, damaged, encryptInline, readSegments, storageFailure, writeEncrypted } from './blob-io';
import { type Encryption, type ObjectKey, type SseRequest, streamKey } from './encryption';
import { prefixEnd } from './key-range';
import { BlobLocations, type Prefetch } from './prefetch';

export interface PutInput {
  body: UploadBody;
  sse: SseRequest;
  headers: ObjectHeaders;
  userMetadata: Record<string, string>;
  /** A conditional PUT: checked before the body is read and again, atomically, at commit. */
  condition?: WriteCondition;
}

export interface CopyInput {
  source: { bucket: string; key: string; sse: SseRequest };
  sse: SseRequest;
  /** null: copy the source's headers and metadata (directive COPY). */
  replace: { headers: ObjectHeaders; userMetadata: Record<string, string> } | null;
}

export interface ListPage {
  objects: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned: where the next page starts after. */
  lastReturned: string | null;
}

/** A stored object ready to be read: its segments (one blob, or its parts) with lazily opened keys. */
export interface OpenedObject {
  record: StoredObject;
  /** Plaintext sizes of the parts in order; one entry for a single-PUT object. */
  partSizes: number[];
  read(range: ByteRange | null): Promise<ReadableStream<Uint8Array>>;
}

export class ObjectService {
  private readonly locations: BlobLocations;
  /** Reads started by head() for the record it returned, picked up by open(). */
  private readonly prefetched = new WeakMap<StoredObject, Prefetch>();

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly encryption: Encryption,
    /** Objects of at most this many bytes are kept in their row, not in a blob (inlineMaxBytes). */
    private readonly inlineMax: number,
  ) {
    this.locations = new BlobLocations(blobs);
  }

  buckets(): Promise<BucketRecord[]> {
    return this.meta.listBuckets();
  }

  /** False when the bucket exists already. */
  createBucket(bucket: string): Promise<boolean> {
    return this.meta.createBucket(bucket, Date.now());
  }

  async deleteBucket(bucket: string): Promise<void> {
    const outcome = await this.meta.deleteBucket(bucket, Date.now());
    if (outcome === 'missing') throw noSuchBucket(bucket);
    if (outcome === 'not-empty') {
      throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty.', { BucketName: bucket });
    }
  }

  async requireBucket(bucket: string): Promise<BucketRecord> {
    const found = await this.meta.getBucket(bucket);
    if (!found) throw noSuchBucket(bucket);
    return found;
  }

  /** Sets a bucket's default encryption; an aws:kms default must name a usable KMS key. */
  async setBucketEncryption(bucket: string, encryption: BucketEncryption | null): Promise<void> {
    await this.requireBucket(bucket);
    if (encryption?.algorithm === 'aws:kms') await this.encryption.requireKmsKey(encryption.kmsMasterKeyId);
    if (!(await this.meta.setBucketEncryption(bucket, encryption))) throw noSuchBucket(bucket);
  }

  /** The object's row and parts (NoSuchBucket / NoSuchKey otherwise), without any SSE check. */
  async requireObject(bucket: string, key: string): Promise<StoredObject> {
    const found = await this.meta.getObject(bucket, key);
    if (!found.bucketExists) throw noSuchBucket(bucket);
    if (!found.value) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
    return found.value;
  }

  /**
   * The object's row, once `sse` is allowed to read it (SSE-C key checks). A GET that will read
   * `rangeFor(size)` (null: all) says so, and a small read of a recently seen object starts at once.
   */
  async head(bucket: string, key: string, sse: SseRequest, rangeFor?: (size: number) => ByteRange | null): Promise<StoredObject> {
    const early = rangeFor ? this.locations.prefetch(bucket, key, rangeFor) : null;
    const record = await this.requireObject(bucket, key);
    if (record.blobId !== null) this.locations.remember(bucket, key, record.blobId, record.size);
    else this.locations.forget(bucket, key);
    await this.encryption.authorize(record, sse);
    if (early) this.prefetched.set(record, early);
    return record;
  }

  /**
   * Prepares `record` (from head) for reading; its data key is opened only when bytes are read, and
   * a multipart object's parts are checked against its manifest MAC before any byte is.
   */
  open(record: StoredObject, sse: SseRequest): OpenedObject {
    let objectKey: Promise<ObjectKey> | null = null;
    const opened = () => (objectKey ??= this.encryption.open(record, sse, record.bucket, record.key));
    const multipart = record.partsCount !== null;
    const segments: Segment[] = multipart
      ? record.parts.map((p) => ({ blobId: p.blobId, size: p.size, key: async () => streamKey(await opened(), p) }))
      : [{ blobId: record.blobId ?? `inline ${record.bucket}/${record.key}`, inline: record.inline ?? undefined, size: record.size, key: async () => streamKey(await opened(), null) }];
    return {
      record,
      partSizes: segments.map((s) => s.size),
      read: async (range) => {
        await this.verifyParts(record, sse, opened);
        return readSegments(this.blobs, segments, range, this.prefetched.get(record));
      },
    };
  }

  /** Checks a multipart object's part rows (from head) against its manifest MAC; damaged data if they differ. */
  async verifyParts(record: StoredObject, sse: SseRequest, objectKey = () => this.encryption.open(record, sse, record.bucket, record.key)): Promise<void> {
    if (record.partsCount === null) return;
    if (!(await this.encryption.verifyManifest(await objectKey(), record.partsMac, record.partsCount, record.parts))) {
      throw damaged(record.parts[0]?.blobId ?? record.key, 'parts do not match the manifest');
    }
  }

  async put(bucket: string, key: string, input: PutInput): Promise<ObjectRecord> {
    // Possibly a few seconds old: the commit below fails if the bucket changed since.
    const found = await this.meta.getBucketForWrite(bucket);
    if (!found) throw noSuchBucket(bucket);
    const condition = input.condition ?? {};
    if (condition.ifNoneMatch || condition.ifMatch !== undefined) {
      const found = await this.meta.getObject(bucket, key);
      const current = found.bucketExists ? found.value : null;
      if (condition.ifMatch !== undefined && !current) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
      if ((condition.ifNoneMatch && current) || (condition.ifMatch !== undefined && condition.ifMatch !== '*' && current?.etag !== condition.ifMatch)) throw preconditionFailed();
    }
    const { sealing, objectKey } = await this.encryption.seal(input.sse, found, key);
    const body = input.body;
    if (sealing.sseMode === 'SSE-S3') body.measureMd5();
    const stream = await streamKey(objectKey, null);
    const { blobId, inline, digests } =
      body.length !== null && body.length <= this.inlineMax
        ? { blobId: null, ...(await encryptInline(body, stream)) }
        : { inline: null, ...(await writeEncrypted(this.blobs, this.meta, body, stream)) };
    const record: ObjectRecord = {
      bucket,
      key,
      blobId,
      inline,
      partsCount: null,
      size: digests.size,
      etag: etagOf(sealing.sseMode, digests),
      lastModified: Date.now(),
      ...input.headers,
      userMetadata: input.userMetadata,
      checksumAlgorithm: digests.checksum?.algorithm ?? null,
      checksumValue: digests.checksum?.value ?? null,
      checksumType: digests.checksum ? 'FULL_OBJECT' : null,
      partsMac: null,
      ...sealing,
    };
    let committed: boolean;
    try {
      committed = await this.meta.putObject(record, found, condition);
    } catch (e) {
      // Ambiguous: the commit may have happened (D1 is across a network). The blob is not trashed;
      // if no row refers to it, the orphan sweep collects it after the grace period.
      throw storageFailure(e);
    }
    if (!committed) {
      if (blobId !== null) await this.meta.trashBlobs([blobId], Date.now()).catch(() => {});
      throw await this.whyNotCommitted(found);
    }
    if (blobId === null) this.locations.forget(bucket, key);
    else this.locations.remember(bucket, key, blobId, record.size);
    return record;
  }

  /** Why a PUT's guarded commit did not happen: the bucket went or changed, else its condition failed. */
  private async whyNotCommitted(written: BucketRecord): Promise<S3Error> {
    const now = await this.meta.getBucket(written.name);
    if (!now) return noSuchBucket(written.name);
    if (now.createdAt !== written.createdAt || JSON.stringify(now.encryption) !== JSON.stringify(written.encryption)) {
      return new S3Error('ServiceUnavailable', "The bucket's configuration changed while the object was being written; nothing was stored. Please retry.");
    }
    return preconditionFailed();
  }

  /**
   * CopyObject. A copy onto itself that keeps the encryption mode only re-seals the data key (SSE-C
   * key rotation, SSE-S3 re-wrapping): no object data is read or written. Any other copy streams the
   * source's plaintext into a new object, encrypted for the destination.
   */
  async copy(bucket: string, key: string, input: CopyInput, source: StoredObject): Promise<ObjectRecord> {
    const found = await this.requireBucket(bucket);
    const headers = input.replace?.headers ?? pickHeaders(source);
    const userMetadata = input.replace?.userMetadata ?? source.userMetadata;
    const self = source.bucket === bucket && source.key === key;
    if (self && input.replace === null && input.sse.mode === 'default') {
      throw new S3Error(
        'InvalidRequest',
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const sealing = self ? await this.encryption.reseal(source, input.source.sse, input.sse, found.encryption, bucket, key) : null;
    if (sealing) {
      const record: ObjectRecord = { ...source, ...headers, userMetadata, ...sealing, lastModified: Date.now() };
      if (!(await this.meta.resealObject(record, source))) {
        throw new S3Error('ServiceUnavailable', 'The object changed while it was being copied; please retry.');
      }
      return record;
    }
    const opened = this.open(source, input.source.sse);
    const algorithm = source.checksumType === 'FULL_OBJECT' ? (source.checksumAlgorithm as ChecksumAlgorithm) : null;
    const body = internalUpload(await opened.read(null), source.size, algorithm);
    return consuming(body, () => this.put(bucket, key, { body, sse: input.sse, headers, userMetadata }));
  }

  async delete(bucket: string, keys: string[]): Promise<void> {
    await this.requireBucket(bucket);
    for (const key of keys) this.locations.forget(bucket, key);
    await this.meta.deleteObjects(bucket, keys, Date.now());
  }

  /**
   * One page of keys under `prefix` after `after`, rolling keys that contain `delimiter` after the
   * prefix up into common prefixes. Each common prefix counts once towards `maxKeys`, as in S3.
   */
  async list(bucket: string, q: { prefix: string; delimiter: string; after: string | null; maxKeys: number }): Promise<ListPage> {
    await this.requireBucket(bucket);
    const page: ListPage = { objects: [], commonPrefixes: [], isTruncated: false, lastReturned: null };
    if (q.maxKeys === 0) return page; // S3: an empty, untruncated page
    const bounds = { from: q.prefix || undefined, after: q.after || undefined, before: q.prefix ? prefixEnd(q.prefix) : undefined };
    const batch = Math.min(1000, q.maxKeys + 1);
    let rolledUp: string | null = null;
    for (;;) {
      const rows = await this.meta.listObjects(bucket, bounds, batch);
      for (const row of rows) {
        if (rolledUp !== null && row.key.startsWith(rolledUp)) continue;
        const cut = q.delimiter ? row.key.indexOf(q.delimiter, q.prefix.length) : -1;
        const entry = cut >= 0 ? row.key.slice(0, cut + q.delimiter.length) : row.key;
        if (cut >= 0 && q.after !== null && entry <= q.after) {
          // This common prefix was returned on an earlier page (the marker is it, or lies inside it).
          rolledUp = entry;
          continue;
        }
        if (page.objects.length + page.commonPrefixes.length === q.maxKeys) {
          page.isTruncated = true;
          return page;
        }
        page.lastReturned = entry;
        if (cut >= 0) {
          page.commonPrefixes.push(entry);
          rolledUp = entry;
        } else {
          page.objects.push(row);
        }
      }
      if (rows.length < batch) return page;
      const last = rows.at(-1)!.key;
      // Continue after the last row, or past the whole common prefix it belongs to.
      if (rolledUp !== null && last.startsWith(rolledUp)) {
        bounds.from = prefixEnd(rolledUp);
        if (bounds.from === undefined) return page; // no key sorts after this common prefix
      } else bounds.after = last;
    }
  }
}

export function pickHeaders(r: ObjectHeaders): ObjectHeaders {
  const { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires } = r;
  return { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires };
}

const preconditionFailed = () => new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: 'If-None-Match' });

export function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket });
}
