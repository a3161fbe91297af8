// Encrypted bytes in and out of the blob store: one blob per single-PUT object or per part, each
// its own stream (docs/FORMAT.md). Reads decrypt only the packages that cover the range asked for.
import { type CipherRange, FormatError, PACKAGE_SIZE, cipherRangeFor, ciphertextSize, decryptBytes, decryptStream, encryptBytes, encryptStream, wholeStream } from '../crypto/format';
import { S3Error, isS3Error } from '../error';
import type { UploadBody, UploadDigests } from './upload-body';
import { BlobStore } from '../storage/blobs';
import { storageError } from '../storage/outage';
import type { MetadataStore } from '../storage/metadata';
import type { StreamKey } from './encryption';
import type { Prefetch } from './prefetch';

/** One stored stream of a readable object: its blob, plaintext size and stream key (opened lazily). */
export interface Segment {
  /** The blob; for an inline stream, what messages call it. */
  blobId: string;
  /**
   * A stream kept in the object's row: read from here, not from R2. It is at most SMALL_WRITE
   * bytes of plaintext (inlineMaxBytes), so every read of it is a small one (readSmall).
   */
  inline?: Uint8Array;
  size: number;
  key: () => Promise<StreamKey>;
}

export interface ByteRange {
  start: number;
  end: number; // inclusive
}

/** Bodies of up to this many bytes are held whole while they are encrypted (inline ones among them). */
const SMALL_WRITE = 4 * PACKAGE_SIZE;

/** Objects of up to this many bytes are kept in their row unless INLINE_MAX_BYTES says otherwise. */
const DEFAULT_INLINE_MAX = 4096;

/** INLINE_MAX_BYTES: objects of at most this many bytes are kept in their row (0: none); unset, 4096. */
export function inlineMaxBytes(setting: string | undefined): number {
  if (setting === undefined || setting === '') return DEFAULT_INLINE_MAX;
  const n = Number(setting);
  if (!Number.isInteger(n) || n < 0 || n > SMALL_WRITE) throw new Error(`INLINE_MAX_BYTES must be an integer from 0 to ${SMALL_WRITE}, not ${setting}`);
  return n;
}

/**
 * Encrypts `body` into a fresh blob. When the body fails a check or the store fails, nothing is
 * visible and the partial blob is trashed; the error is the check that failed, if one did.
 */
export async function writeEncrypted(blobs: BlobStore, meta: MetadataStore, body: UploadBody, key: StreamKey): Promise<{ blobId: string; digests: UploadDigests }> {
  const blobId = BlobStore.newId();
  try {
    if (body.length !== null && body.length <= SMALL_WRITE) {
      // Sealed in one pass, stored in one R2 call.
      await blobs.putBytes(blobId, await encryptWhole(body, key));
    } else {
      const cipher = body.stream.pipeThrough(encryptStream(key.key, { aad: key.aad }));
      await blobs.put(blobId, cipher, body.length === null ? null : ciphertextSize(body.length));
    }
    return { blobId, digests: await body.digests };
  } catch (e) {
    await meta.trashBlobs([blobId], Date.now()).catch(() => {});
    throw await writeError(body, e);
  }
}

/** A small body (at most inlineMaxBytes()) encrypted for its object's row: no R2 call, nothing to trash. */
export async function encryptInline(body: UploadBody, key: StreamKey): Promise<{ inline: Uint8Array; digests: UploadDigests }> {
  try {
    const inline = await encryptWhole(body, key);
    return { inline, digests: await body.digests };
  } catch (e) {
    throw await writeError(body, e);
  }
}

/** The body read whole (its checks run as it is read) and sealed in one pass. */
async function encryptWhole(body: UploadBody, key: StreamKey): Promise<Uint8Array> {
  const plain = new Uint8Array(await new Response(body.stream).arrayBuffer());
  return encryptBytes(key.key, plain, { aad: key.aad });
}

/** What a failed write answers: the body's failed check if one failed, else a storage failure. */
async function writeError(body: UploadBody, e: unknown): Promise<S3Error> {
  const cause = await body.digests.then(() => e, (rejected: unknown) => rejected);
  return isS3Error(cause) ? cause : storageFailure(cause);
}

export function storageFailure(e: unknown): S3Error {
  console.error('storage failure', e instanceof Error ? e.message : String(e));
  return new S3Error('ServiceUnavailable', 'Storage is unavailable; nothing was written. Please retry.');
}

export function damaged(blobId: string, what: string): S3Error {
  console.error('damaged object data', blobId, what);
  return new S3Error('InternalError', 'The stored object data failed authentication; no unauthenticated bytes were returned.');
}

/** Reads of up to this many ciphertext bytes are held whole and authenticated before the answer starts. */
const SMALL_READ = ciphertextSize(4 * PACKAGE_SIZE);

/** One R2 read of a blob: all of it, or `range` of its bytes. */
export interface BlobRead {
  blobId: string;
  range: { offset: number; length: number } | undefined;
}

interface Piece<S = Segment> {
  segment: S;
  cipher: CipherRange;
  read: BlobRead;
}

/** The pieces of the segments that `range` (null: all) overlaps, each with the packages covering it. */
function piecesOf<S extends { blobId: string; size: number }>(segments: S[], range: ByteRange | null): Piece<S>[] {
  const total = segments.reduce((n, s) => n + s.size, 0);
  const start = range?.start ?? 0;
  const end = range?.end ?? total - 1;
  const pieces: Piece<S>[] = [];
  let offset = 0;
  for (const segment of segments) {
    const segStart = offset;
    const segEnd = (offset += segment.size) - 1;
    if (range === null) {
      // A whole blob is read without a range: R2 ranges (locally at least) stop at 4 GiB.
      pieces.push({ segment, cipher: wholeStream(segment.size), read: { blobId: segment.blobId, range: undefined } });
      continue;
    }
    if (segment.size === 0 || end < segStart || start > segEnd) continue;
    const cipher = cipherRangeFor(Math.max(start, segStart) - segStart, Math.min(end, segEnd) - segStart, segment.size);
    pieces.push({ segment, cipher, read: { blobId: segment.blobId, range: { offset: cipher.cipherStart, length: cipher.cipherEnd - cipher.cipherStart + 1 } } });
  }
  return pieces;
}

const isSmall = (cipher: CipherRange) => cipher.cipherEnd - cipher.cipherStart < SMALL_READ;

/** The one R2 read a small read of `range` of a single-blob object makes; null for a large read. */
export function smallRead(blobId: string, size: number, range: ByteRange | null): BlobRead | null {
  const [only] = piecesOf([{ blobId, size }], range);
  return only && isSmall(only.cipher) ? only.read : null;
}

/**
 * The plaintext of `range` (or all) of the segments laid end to end. Each segment is fetched only
 * for the packages that overlap the range. The first package is authenticated before this returns,
 * so damage there is an S3 error; damage further on errors the stream, which aborts the response.
 * A small read uses `early`'s bytes if it read the same blob the same way.
 */
export async function readSegments(blobs: BlobStore, segments: Segment[], range: ByteRange | null, early?: Prefetch): Promise<ReadableStream<Uint8Array>> {
  const pieces = piecesOf(segments, range);
  const only = pieces.length === 1 ? pieces[0]! : null;
  if (only && isSmall(only.cipher)) return new Response(await readSmall(blobs, only, early)).body!;
  const total = segments.reduce((n, s) => n + s.size, 0);
  const length = range ? range.end - range.start + 1 : total;
  const plain = concatenate(pieces.map((p) => () => readPiece(blobs, p)));
  let first: ReadableStreamReadResult<Uint8Array>;
  try {
    first = await plain.read();
  } catch (e) {
    plain.cancel(e).catch(() => {}); // the piece opened ahead, if any
    throw readFailure(segments[0]!.blobId, e);
  }
  if (first.done) return new Blob([]).stream();
  // Written into a FixedLengthStream (which also gives the response its Content-Length): its
  // readable side reaches the response natively, cheaper in workerd than a JavaScript stream.
  const { readable, writable } = new FixedLengthStream(length);
  const writer = writable.getWriter();
  const pump = async () => {
    for (let chunk: Uint8Array | undefined = first.value; chunk; ) {
      try {
        await writer.write(chunk);
      } catch (e) {
        // The response was cancelled (the client went away): stop reading.
        await plain.cancel(e).catch(() => {});
        return;
      }
      try {
        const next = await plain.read();
        chunk = next.done ? undefined : next.value;
      } catch (e) {
        const failure = readFailure(segments[0]!.blobId, e);
        if (!isS3Error(failure)) console.error('read failed mid-body', segments[0]!.blobId, failure.message);
        // Errors the body, which aborts the response: no byte that did not authenticate is sent.
        await Promise.all([writer.abort(e), plain.cancel(e)]).catch(() => {});
        return;
      }
    }
    await writer.close().catch(() => {}); // a failed close is a client that went away
  };
  void pump();
  return readable;
}

/**
 * What reading stored bytes failed with: damaged data (logged), an S3 error as it is, and anything
 * else marked as storage's (R2's body stream is the only other source of failure in a read;
 * storageOutage still takes a marked type or range error for the bug it is).
 */
function readFailure(blobId: string, e: unknown): Error {
  if (e instanceof FormatError) return damaged(blobId, e.message);
  return isS3Error(e) ? e : storageError(e);
}

async function readPiece(blobs: BlobStore, piece: Piece): Promise<ReadableStream<Uint8Array>> {
  const body = await blobs.get(piece.read.blobId, piece.read.range);
  if (!body) throw damaged(piece.read.blobId, 'blob missing');
  const { key, aad } = await piece.segment.key();
  return decryptStream(body, key, { aad, ...piece.cipher });
}

const sameRead = (a: BlobRead, b: BlobRead) => a.blobId === b.blobId && a.range?.offset === b.range?.offset && a.range?.length === b.range?.length;

/** An inline stream's bytes that `read` names, as R2 would return them. */
const inlineBytes = (inline: Uint8Array, { range }: BlobRead) => (range ? inline.subarray(range.offset, range.offset + range.length) : inline);

/** One R2 read (the prefetched one, or none inline) and one pass of WebCrypto calls: what small objects and short ranges cost. */
async function readSmall(blobs: BlobStore, piece: Piece, early: Prefetch | undefined): Promise<Uint8Array> {
  const { inline } = piece.segment;
  const fetched = early && sameRead(early.read, piece.read) ? early.bytes.catch(() => null) : null;
  const read = async () => (inline ? inlineBytes(inline, piece.read) : ((await fetched) ?? blobs.getBytes(piece.read.blobId, piece.read.range)));
  const [cipher, { key, aad }] = await Promise.all([read(), piece.segment.key()]);
  if (!cipher) throw damaged(piece.read.blobId, 'blob missing');
  try {
    return await decryptBytes(cipher, key, { aad, ...piece.cipher });
  } catch (e) {
    throw e instanceof FormatError ? damaged(piece.read.blobId, e.message) : e;
  }
}

/**
 * Reads the pieces' streams one after another. Each is opened while the one before it is read, so
 * neither its R2 read's first byte nor its key is waited for between pieces (parts of a multipart
 * object); the one ahead is only opened, not read, so the read stays one piece at a time.
 */
function concatenate(pieces: (() => Promise<ReadableStream<Uint8Array>>)[]) {
  const open = (i: number) => {
    const opened = pieces[i]!();
    opened.catch(() => {}); // awaited in turn; unobserved if the read stops before it
    return opened;
  };
  let index = 0;
  let upcoming = pieces.length ? open(0) : null;
  let current: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return {
    async read(): Promise<ReadableStreamReadResult<Uint8Array>> {
      for (;;) {
        if (!current) {
          if (!upcoming) return { done: true, value: undefined };
          const stream = await upcoming;
          upcoming = ++index < pieces.length ? open(index) : null;
          current = stream.getReader();
        }
        const result = await current.read();
        if (!result.done) return result;
        current = null;
      }
    },
    cancel: async (reason: unknown) => {
      upcoming?.then((stream) => stream.cancel(reason)).catch(() => {});
      await current?.cancel(reason);
    },
  };
}
