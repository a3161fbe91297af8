// Reading a hot object's bytes while D1 is asked for its row. An isolate remembers where the objects
// it recently wrote or read keep their bytes; a small GET of one starts its R2 read at once, so it
// waits for the slower of D1 and R2 rather than for both. What was read is used only if the row the
// request then reads names the same blob: blobs are never rewritten (every write makes a new one),
// so the same blob id means the same bytes, and a stale guess only costs the wasted read.
import type { BlobStore } from '../storage/blobs';
import { type BlobRead, type ByteRange, smallRead } from './blob-io';

const MAX_ENTRIES = 1000;

/** A read started before the object's row was known. */
export interface Prefetch {
  read: BlobRead;
  bytes: Promise<Uint8Array | null>;
}

export class BlobLocations {
  private readonly recent = new Map<string, { blobId: string; size: number }>();

  constructor(private readonly blobs: BlobStore) {}

  /** Remembers that the single-blob object bucket/key keeps its `size` bytes in `blobId`. */
  remember(bucket: string, key: string, blobId: string, size: number): void {
    const id = `${bucket}/${key}`;
    this.recent.delete(id);
    if (this.recent.size >= MAX_ENTRIES) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(id, { blobId, size });
  }

  forget(bucket: string, key: string): void {
    this.recent.delete(`${bucket}/${key}`);
  }

  /**
   * Starts reading what a GET of `rangeFor(size)` (null: all) would read, if the object's blob is
   * remembered and the read is small; null otherwise.
   */
  prefetch(bucket: string, key: string, rangeFor: (size: number) => ByteRange | null): Prefetch | null {
    const known = this.recent.get(`${bucket}/${key}`);
    if (!known) return null;
    let range: ByteRange | null;
    try {
      range = rangeFor(known.size);
    } catch {
      return null; // unsatisfiable at the remembered size: the real answer comes from the row
    }
    const read = smallRead(known.blobId, known.size, range);
    if (!read) return null;
    const bytes = this.blobs.getBytes(read.blobId, read.range);
    bytes.catch(() => {}); // a failed guess is read again from the row
    return { read, bytes };
  }
}
