// The object service: what PUT, GET, DELETE and LIST mean, on top of the blob and metadata stores.
// Writes are "nothing lost": bytes go to a fresh blob, and only a complete, verified blob is made
// visible by committing its row; the blob it replaced is trashed in the same transaction.
import { FormatError, cipherRangeFor, ciphertextSize, decryptStream, encryptStream } from '../crypto/format';
import { toHex } from '../s3/checksum';
import { S3Error, isS3Error } from '../s3/errors';
import type { SseRequest } from '../s3/sse';
import type { UploadBody } from '../s3/upload';
import { BlobStore } from '../storage/blobs';
import { type BucketEncryption, type BucketRecord, MetadataStore, type ObjectHeaders, type ObjectRecord } from '../storage/metadata';
import type { Encryption } from './encryption';

export interface PutInput {
  body: UploadBody;
  sse: SseRequest;
  headers: ObjectHeaders;
  userMetadata: Record<string, string>;
}

export interface ListPage {
  objects: ObjectRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned: where the next page starts after. */
  lastReturned: string | null;
}

/** How long a replaced blob stays readable for GETs that already hold its row. */
export const TRASH_GRACE_MS = 15 * 60 * 1000;

export class ObjectService {
  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly encryption: Encryption,
  ) {}

  buckets(): Promise<BucketRecord[]> {
    return this.meta.listBuckets();
  }

  /** False when the bucket exists already. */
  createBucket(bucket: string): Promise<boolean> {
    return this.meta.createBucket(bucket, Date.now());
  }

  async deleteBucket(bucket: string): Promise<void> {
    const outcome = await this.meta.deleteBucket(bucket);
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

  async setBucketEncryption(bucket: string, encryption: BucketEncryption | null): Promise<void> {
    if (!(await this.meta.setBucketEncryption(bucket, encryption))) throw noSuchBucket(bucket);
  }

  /** The object's row, once `sse` is allowed to read it (SSE-C key checks). */
  async head(bucket: string, key: string, sse: SseRequest): Promise<ObjectRecord> {
    const found = await this.meta.getObject(bucket, key);
    if (!found.bucketExists) throw noSuchBucket(bucket);
    if (!found.value) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
    await this.encryption.authorize(found.value, sse);
    return found.value;
  }

  /**
   * The plaintext of `record`, or of `range` (inclusive) of it, decrypting only the packages that
   * cover it. The first package is authenticated before this returns, so damage found there is an
   * S3 error; damage further on errors the stream, which aborts the response.
   */
  async read(record: ObjectRecord, sse: SseRequest, range?: { start: number; end: number }): Promise<ReadableStream<Uint8Array>> {
    const { key, aad } = await this.encryption.open(record, sse, record.bucket, record.key);
    const cipher = range
      ? cipherRangeFor(range.start, range.end, record.size)
      : { firstPackage: 0, cipherStart: 0, cipherEnd: ciphertextSize(record.size) - 1, expectFinalAtEnd: true, skip: 0, length: record.size };
    const body = await this.blobs.get(record.blobId, { offset: cipher.cipherStart, length: cipher.cipherEnd - cipher.cipherStart + 1 });
    if (!body) throw damaged(record, 'blob missing');
    const plain = body.pipeThrough(decryptStream(key, { aad, ...cipher }));
    return authenticatedFirst(plain, record, cipher.length);
  }

  async put(bucket: string, key: string, input: PutInput): Promise<ObjectRecord> {
    const found = await this.requireBucket(bucket);
    const { sealing, stream } = await this.encryption.sealNew(input.sse, found.encryption, bucket, key);
    const blobId = BlobStore.newId();
    const { length } = input.body;
    try {
      const cipher = input.body.stream.pipeThrough(encryptStream(stream.key, { aad: stream.aad }));
      await this.blobs.put(blobId, cipher, length === null ? null : ciphertextSize(length));
    } catch (e) {
      const cause = await input.body.digests.then(() => e, (rejected: unknown) => rejected);
      await this.meta.trashBlobs([blobId], Date.now()).catch(() => {});
      throw isS3Error(cause) ? cause : storageFailure(cause);
    }
    const digests = await input.body.digests;
    const record: ObjectRecord = {
      bucket,
      key,
      blobId,
      size: digests.size,
      // SSE-C ETags are not the MD5 of the plaintext (as in AWS): it would reveal something of it.
      etag: `"${toHex(sealing.sseMode === 'SSE-C' ? crypto.getRandomValues(new Uint8Array(16)) : digests.md5)}"`,
      lastModified: Date.now(),
      ...input.headers,
      userMetadata: input.userMetadata,
      checksumAlgorithm: digests.checksum?.algorithm ?? null,
      checksumValue: digests.checksum?.value ?? null,
      ...sealing,
    };
    try {
      await this.meta.putObject(record);
    } catch (e) {
      await this.meta.trashBlobs([blobId], Date.now()).catch(() => {});
      throw storageFailure(e);
    }
    return record;
  }

  async delete(bucket: string, keys: string[]): Promise<void> {
    await this.requireBucket(bucket);
    await this.meta.deleteObjects(bucket, keys, Date.now());
  }

  /**
   * One page of keys under `prefix` after `after`, rolling keys that contain `delimiter` after the
   * prefix up into common prefixes. Each common prefix counts once towards `maxKeys`, as in S3.
   */
  async list(bucket: string, q: { prefix: string; delimiter: string; after: string | null; maxKeys: number }): Promise<ListPage> {
    await this.requireBucket(bucket);
    const page: ListPage = { objects: [], commonPrefixes: [], isTruncated: false, lastReturned: null };
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
      if (rolledUp !== null && last.startsWith(rolledUp)) bounds.from = prefixEnd(rolledUp);
      else bounds.after = last;
    }
  }

  /** Deletes trashed blobs past their grace period; returns how many were deleted. */
  async collectGarbage(now: number, limit = 1000): Promise<number> {
    const ids = await this.meta.trashedBefore(now - TRASH_GRACE_MS, limit);
    await this.blobs.delete(ids);
    await this.meta.forgetTrash(ids);
    return ids.length;
  }
}

function damaged(record: ObjectRecord, what: string): S3Error {
  console.error('damaged object data', record.bucket, record.blobId, what);
  return new S3Error('InternalError', 'The stored object data failed authentication; no unauthenticated bytes were returned.');
}

/**
 * Reads the first chunk of `plain` (so the first package is authenticated) before handing the
 * stream on with its exact length: a later failure errors the stream and aborts the response.
 */
async function authenticatedFirst(plain: ReadableStream<Uint8Array>, record: ObjectRecord, length: number): Promise<ReadableStream<Uint8Array>> {
  const reader = plain.getReader();
  let first: ReadableStreamReadResult<Uint8Array>;
  try {
    first = await reader.read();
  } catch (e) {
    if (e instanceof FormatError) throw damaged(record, e.message);
    throw e;
  }
  let pending: Uint8Array | null = first.done ? null : first.value;
  const checked = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending) {
        controller.enqueue(pending);
        pending = null;
        return;
      }
      try {
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        if (e instanceof FormatError) damaged(record, e.message);
        controller.error(e);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  if (first.done) return new Blob([]).stream();
  const sized = new FixedLengthStream(length);
  checked.pipeTo(sized.writable).catch(() => {});
  return sized.readable;
}

function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket });
}

function storageFailure(e: unknown): S3Error {
  console.error('storage failure', e instanceof Error ? e.message : String(e));
  return new S3Error('ServiceUnavailable', 'Storage is unavailable; nothing was written. Please retry.');
}

/** The smallest string greater than every string that starts with `prefix`, in code point order. */
function prefixEnd(prefix: string): string {
  const chars = [...prefix];
  const last = chars.pop()!.codePointAt(0)!;
  return chars.join('') + String.fromCodePoint(last + 1);
}
