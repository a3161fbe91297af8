// Stream helpers shared by the protocol and storage layers (Web Streams only).

/** Bodies are read in chunks of up to this many bytes. */
export const READ_SIZE = 1024 * 1024;

/**
 * A byte stream read in chunks of `size` bytes, fewer only at its end. Request and R2 bodies arrive
 * in 4 KiB chunks as they come, and each chunk costs a trip through every stream stage behind this
 * one; workerd's BYOB `readAtLeast` gathers them natively.
 */
export function inLargeChunks(body: ReadableStream<Uint8Array>, size: number): ReadableStream<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: 'byob' });
  } catch {
    return body; // not a byte stream: read as it comes
  }
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.readAtLeast(size, new Uint8Array(size));
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
