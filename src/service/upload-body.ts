// An upload's bytes as the object service takes them: a stream checked as it flows (length, MD5,
// SHA-256, an x-amz-checksum-*), whose digests settle once it has ended and every check passed.
import { type ChecksumAlgorithm, createHasher, type Hasher, toBase64, toHex } from '../crypto/checksum';
import { S3Error } from '../error';
import type { ObjectSealing } from '../storage/metadata';

export interface Checksum {
  algorithm: ChecksumAlgorithm;
  value: string; // base64
}

export interface UploadDigests {
  size: number;
  /** Computed only when asked for (measureMd5) or checked (Content-MD5). */
  md5: Uint8Array | null;
  checksum: Checksum | null;
}

export interface UploadBody {
  stream: ReadableStream<Uint8Array>;
  /** Bytes the stream will carry, when the client said so. */
  length: number | null;
  /** Resolves once the stream has ended and every check passed; rejects with the S3Error that failed it. */
  digests: Promise<UploadDigests>;
  /**
   * Asks for the MD5 of the bytes (an SSE-S3 ETag) before the stream is read. Other ETags are not
   * MD5s, and MD5 is the dearest of the digests (about 2.4 s of CPU per GiB), so it is not
   * computed unless asked for or a Content-MD5 is to be checked.
   */
  measureMd5(): void;
}

/** What the stream must turn out to be; null fields are not checked. */
export interface Expectation {
  md5: Uint8Array | null;
  sha256Hex: string | null;
  algorithm: ChecksumAlgorithm | null;
  /** Base64 value from a header now, or from the trailer once the body has ended. */
  value: (() => Promise<string | undefined>) | null;
  /** Checks, once the body has ended, that the trailing headers are exactly the one declared. */
  trailersDeclared: (() => Promise<void>) | null;
}

/** Bytes the service itself supplies (a copy's source), measured like an upload: MD5, length, a checksum. */
export function internalUpload(stream: ReadableStream<Uint8Array>, length: number, algorithm: ChecksumAlgorithm | null): UploadBody {
  return checkedStream(stream, length, { md5: null, sha256Hex: null, algorithm, value: null, trailersDeclared: null });
}

/**
 * `use()` of `body`, and when it fails, `body`'s stream cancelled if it was left unread (a copy whose
 * target refused it before reading: its source's read is stopped, not left pending).
 */
export async function consuming<T>(body: UploadBody, use: () => Promise<T>): Promise<T> {
  try {
    return await use();
  } catch (e) {
    if (!body.stream.locked) body.stream.cancel(e).catch(() => {});
    throw e;
  }
}

/** `source` checked as it is read against `length` (when known) and `expected`; the first failed check errors the stream. */
export function checkedStream(source: ReadableStream<Uint8Array>, length: number | null, expected: Expectation): UploadBody {
  let md5: Hasher | null = expected.md5 ? createHasher('MD5') : null;
  let started = false;
  const sha256: Hasher | null = expected.sha256Hex ? createHasher('SHA256') : null;
  const checksum: Hasher | null = expected.algorithm ? createHasher(expected.algorithm) : null;
  let received = 0;
  let settle!: { resolve: (d: UploadDigests) => void; reject: (e: unknown) => void };
  const digests = new Promise<UploadDigests>((resolve, reject) => (settle = { resolve, reject }));
  digests.catch(() => {}); // observed by the caller after the store fails; never unhandled

  async function verify(): Promise<UploadDigests> {
    if (length !== null && received !== length) {
      throw new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
    }
    const md5Digest = md5?.digest() ?? null;
    if (expected.md5 && toBase64(md5Digest!) !== toBase64(expected.md5)) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    if (sha256 && toHex(sha256.digest()) !== expected.sha256Hex) {
      throw new S3Error('XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
    }
    await expected.trailersDeclared?.();
    let result: Checksum | null = null;
    if (checksum && expected.algorithm) {
      const computed = toBase64(checksum.digest());
      if (expected.value) {
        if ((await expected.value()) !== computed) {
          throw new S3Error('BadDigest', `The ${expected.algorithm} you specified did not match the calculated checksum.`);
        }
      }
      result = { algorithm: expected.algorithm, value: computed };
    }
    return { size: received, md5: md5Digest, checksum: result };
  }

  const reader = source.getReader();
  const fail = (e: unknown) => {
    settle.reject(e);
    return e;
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      started = true;
      try {
        const { value, done } = await reader.read();
        if (done) {
          settle.resolve(await verify());
          controller.close();
          return;
        }
        received += value.length;
        if (length !== null && received > length) {
          throw new S3Error('InvalidRequest', 'The request body is longer than its declared length.');
        }
        md5?.update(value);
        sha256?.update(value);
        checksum?.update(value);
        controller.enqueue(value);
      } catch (e) {
        controller.error(fail(e));
      }
    },
    cancel(reason) {
      fail(reason);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 }); // pulled only when read: measureMd5 may still be called until then
  const measureMd5 = () => {
    if (started) throw new Error('measureMd5 after the body was read');
    md5 ??= createHasher('MD5');
  };
  return { stream, length, digests, measureMd5 };
}

/** The ETag of one stored stream: its plaintext's MD5 in SSE-S3 (as in AWS), else random. */
export function etagOf(sseMode: ObjectSealing['sseMode'], digests: UploadDigests): string {
  // SSE-KMS and SSE-C ETags are not the MD5 of the plaintext (as in AWS): it would reveal something of it.
  if (sseMode !== 'SSE-S3') return `"${toHex(crypto.getRandomValues(new Uint8Array(16)))}"`;
  if (!digests.md5) throw new Error('SSE-S3 ETag without the MD5 asked for');
  return `"${toHex(digests.md5)}"`;
}
