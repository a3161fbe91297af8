// Stream helpers shared by the protocol and storage layers (Web Streams only).

/** Bodies are read in chunks of up to this many bytes. */
export const READ_SIZE = 1024 * 1024;

/**
 * A byte stream read in chunks of `size` bytes, fewer only at its end. Request and R2 bodies arrive
 * in 4 KiB chunks as they come, and each chunk costs a trip through every stream stage behind this
 * one; workerd's BYOB `readAtLeast` gathers them natively.
 */
export function inLargeChunks(body: ReadableStream<Uint8Array>, size: number): ReadableStream<Uint8Array> {
  const input = byteReader(body);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { buffer, filled, ended } = await input.read(new Uint8Array(size), 0, size);
      if (filled > 0) controller.enqueue(buffer.subarray(0, filled));
      if (ended) controller.close();
    },
    cancel: (reason) => input.cancel(reason),
  });
}

/**
 * Reads a byte stream into a caller's buffer, `min` bytes or more at a time until it ends: with
 * workerd's BYOB readAtLeast, which gathers the small chunks R2 bodies arrive in natively (the
 * buffer is transferred, so the filled one is handed back), else by copying chunks as they come.
 */
export function byteReader(source: ReadableStream<Uint8Array>) {
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = source.getReader({ mode: 'byob' });
    if (typeof (byob as { readAtLeast?: unknown }).readAtLeast !== 'function') {
      byob.releaseLock();
      byob = null;
    }
  } catch {
    byob = null;
  }
  const reader = byob ?? source.getReader();
  let rest: Uint8Array | null = null; // of the last chunk, not yet copied (chunk reader)
  return {
    async read(buffer: Uint8Array, from: number, min: number): Promise<{ buffer: Uint8Array; filled: number; ended: boolean }> {
      if (byob) {
        const { value, done } = await byob.readAtLeast(min, buffer.subarray(from));
        const filled = from + (value?.byteLength ?? 0);
        const back = value ? new Uint8Array(value.buffer) : buffer;
        return { buffer: back, filled, ended: done || filled - from < min };
      }
      let filled = from;
      while (filled - from < min) {
        const chunk = rest ?? (await (reader as ReadableStreamDefaultReader<Uint8Array>).read()).value;
        rest = null;
        if (!chunk) return { buffer, filled, ended: true };
        const n = Math.min(chunk.length, buffer.length - filled);
        buffer.set(chunk.subarray(0, n), filled);
        filled += n;
        if (n < chunk.length) rest = chunk.subarray(n);
      }
      return { buffer, filled, ended: false };
    },
    cancel: (reason: unknown) => reader.cancel(reason),
  };
}
