// Object bytes in R2. Every write goes to a fresh key, so a write never touches the bytes of a
// visible object; which blob is visible is decided by the metadata row alone.
import { storageError } from './outage';

/** R2 needs the length of a streamed put up front; bodies of unknown length go up in parts of this size. */
const PART_SIZE = 16 * 1024 * 1024;

export class BlobStore {
  constructor(private readonly r2: R2Bucket) {}

  static newId(): string {
    return `blobs/${crypto.randomUUID()}`;
  }

  /**
   * Stores a stream under `id`. With `length` the stream must be exactly that long (the put fails
   * otherwise); without it the stream is uploaded in fixed-size parts.
   */
  async put(id: string, body: ReadableStream<Uint8Array>, length: number | null): Promise<void> {
    if (length === null) return this.putUnknownLength(id, body);
    const sized = new FixedLengthStream(length);
    const [, stored] = await Promise.all([body.pipeTo(sized.writable), this.r2.put(id, sized.readable)]);
    if (!stored) throw new Error(`R2 refused blob ${id}`);
  }

  /** Stores `bytes` under `id` in one call. */
  async putBytes(id: string, bytes: Uint8Array): Promise<void> {
    if (!(await this.r2.put(id, bytes))) throw new Error(`R2 refused blob ${id}`);
  }

  /**
   * The blob's bytes (all, or `range` of them) as R2 streams them; null when there is no such blob.
   * The stream is R2's own: what it fails with while being read, its reader marks (storageError).
   */
  async get(id: string, range?: { offset: number; length: number }): Promise<ReadableStream<Uint8Array> | null> {
    const object = await this.r2.get(id, range ? { range } : undefined);
    return object && object.body;
  }

  /** Like get, into memory: for reads small enough to hold. */
  async getBytes(id: string, range?: { offset: number; length: number }): Promise<Uint8Array | null> {
    const object = await this.r2.get(id, range ? { range } : undefined);
    if (!object) return null;
    try {
      return new Uint8Array(await object.arrayBuffer());
    } catch (e) {
      throw storageError(e); // the body failed after R2 answered
    }
  }

  /** One page of stored blobs with their upload times, from `cursor`. */
  async list(cursor: string | undefined, limit: number): Promise<{ blobs: { id: string; uploaded: number }[]; cursor: string | undefined }> {
    const page = await this.r2.list({ prefix: 'blobs/', cursor, limit });
    return {
      blobs: page.objects.map((o) => ({ id: o.key, uploaded: o.uploaded.getTime() })),
      cursor: page.truncated ? page.cursor : undefined,
    };
  }

  async delete(ids: string[]): Promise<void> {
    if (ids.length) await this.r2.delete(ids);
  }

  private async putUnknownLength(id: string, body: ReadableStream<Uint8Array>): Promise<void> {
    const parts = body.pipeThrough(fixedSizeParts(PART_SIZE)).getReader();
    let current = (await parts.read()).value!;
    let next = await parts.read();
    if (next.done) {
      await this.r2.put(id, current);
      return;
    }
    const upload = await this.r2.createMultipartUpload(id);
    try {
      const uploaded: R2UploadedPart[] = [];
      for (;;) {
        uploaded.push(await upload.uploadPart(uploaded.length + 1, current));
        if (next.done || next.value.length === 0) break;
        current = next.value;
        next = await parts.read();
      }
      await upload.complete(uploaded);
    } catch (e) {
      await upload.abort().catch(() => {});
      await parts.cancel(e).catch(() => {});
      throw e;
    }
  }
}

/** Regroups a stream into chunks of exactly `size` bytes, then one final (possibly empty) chunk. */
function fixedSizeParts(size: number): TransformStream<Uint8Array, Uint8Array> {
  let buffer = new Uint8Array(size);
  let filled = 0;
  return new TransformStream({
    transform(chunk, controller) {
      for (let offset = 0; offset < chunk.length; ) {
        const n = Math.min(size - filled, chunk.length - offset);
        buffer.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === size) {
          controller.enqueue(buffer);
          buffer = new Uint8Array(size);
          filled = 0;
        }
      }
    },
    flush(controller) {
      controller.enqueue(buffer.subarray(0, filled));
    },
  });
}
