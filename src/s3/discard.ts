// Unread request bodies before an error answer. workerd closes a connection whose request body was
// not read, and the client, still sending, sees a reset instead of the answer (its S3 error).

/** Bytes of an unread request body worth reading before an error answer. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/**
 * Reads and drops a body nobody has started reading, so the client can finish sending and read the
 * error; bodies larger than DISCARD_LIMIT are cut off (the client may then see a reset).
 */
export async function discardUnread(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body || body.locked) return;
  const reader = body.getReader();
  try {
    for (let read = 0; read < DISCARD_LIMIT; ) {
      const { value, done } = await reader.read();
      if (done) return;
      read += value.length;
    }
    await reader.cancel();
  } catch {
    // The client went away, or the body failed its own checks: nothing more to answer.
  }
}
