// The encrypted stream format of docs/FORMAT.md, version 1, written from the document (not from
// src/): sizes, and a streaming whole-stream reader that releases a package only after its tag.
import { createDecipheriv } from 'node:crypto';

export const P = 65536;
const HEADER = 14;
const OVERHEAD = 30;

export class FormatError extends Error {}

export function ciphertextSize(n) {
  return n + OVERHEAD * Math.max(1, Math.ceil(n / P));
}

/** The plaintext size of a c-byte stream, or null when no stream has that size. */
export function plaintextSize(c) {
  const q = Math.floor(c / (P + OVERHEAD));
  const r = c % (P + OVERHEAD);
  if (r === 0 && q >= 1) return q * P;
  if (r === OVERHEAD && q === 0) return 0;
  if (r > OVERHEAD) return q * P + r - OVERHEAD;
  return null;
}

/**
 * Decrypts a whole stream (f = 0, FINAL expected at the end) from `chunks`, an async iterable of
 * byte chunks, yielding each package's plaintext once its tag verifies. Memory: one package plus
 * one input chunk.
 */
export async function* decryptStream(chunks, key, aad) {
  let buf = Buffer.alloc(0);
  let index = 0;
  let random = null;
  let ended = false;
  const input = chunks[Symbol.asyncIterator]();
  /** At least n bytes in buf, or false when the input ends first. */
  const fill = async (n) => {
    while (buf.length < n) {
      const { value, done } = await input.next();
      if (done) return false;
      buf = buf.length ? Buffer.concat([buf, value]) : Buffer.from(value);
    }
    return true;
  };
  try {
    for (;;) {
      if (ended) {
        if (await fill(1)) throw new FormatError('unexpected data after final package');
        return;
      }
      if (!(await fill(1))) throw new FormatError('truncated');
      if (buf[0] !== 1) throw new FormatError(`unsupported version ${buf[0]}`);
      if (!(await fill(HEADER))) throw new FormatError('truncated');
      const flags = buf[1];
      const length = buf.readUInt32BE(2);
      const final = flags === 1;
      if ((flags !== 0 && flags !== 1) || (!final && length !== P) || (final && length > P) || (length === 0 && index > 0)) {
        throw new FormatError(`package ${index}: invalid header`);
      }
      const r = buf.subarray(6, HEADER);
      if (random === null) random = Buffer.from(r);
      else if (!random.equals(r)) throw new FormatError(`package ${index}: from another stream`);
      if (!(await fill(length + OVERHEAD))) throw new FormatError('truncated');
      const nonce = Buffer.alloc(12);
      random.copy(nonce);
      nonce.writeUInt32BE(index, 8);
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAAD(Buffer.concat([buf.subarray(0, HEADER), aad]));
      decipher.setAuthTag(buf.subarray(HEADER + length, length + OVERHEAD));
      let plain;
      try {
        plain = Buffer.concat([decipher.update(buf.subarray(HEADER, HEADER + length)), decipher.final()]);
      } catch {
        throw new FormatError(`package ${index}: authentication failed`);
      }
      buf = buf.subarray(length + OVERHEAD);
      index++;
      ended = final;
      yield plain;
    }
  } finally {
    await input.return?.();
  }
}
