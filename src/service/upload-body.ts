// An upload's bytes as the object service takes them: a stream checked as it flows (length, MD5,
// SHA-256, an x-amz-checksum-*), whose digests settle once it has ended and every check passed.
import { type ChecksumAlgorithm, createHasher, type Hasher, toBase64, toHex } from '../crypto/checksum';
import { S3Error } from '../error';

export interface Checksum {
  algorithm: ChecksumAlgorithm;
  value: string; // base64
}

export interface UploadDigests {
  size: number;
  md5: Uint8Array;
  checksum: Checksum | null;
}

export interface UploadBody {
  stream: ReadableStream<Uint8Array>;
  /** Bytes the stream will carry, when the client said so. */
  length: number | null;
  /** Resolves once the stream has ended and every check passed; rejects with the S3Error that failed it. */
  digests: Promise<UploadDigests>;
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

/** `source` checked as it is read against `length` (when known) and `expected`; the first failed check errors the stream. */
export function checkedStream(source: ReadableStream<Uint8Array>, length: number | null, expected: Expectation): UploadBody {
  const md5 = createHasher('MD5');
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
    const md5Digest = md5.digest();
    if (expected.md5 && toBase64(md5Digest) !== toBase64(expected.md5)) {
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
        md5.update(value);
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
  });
  return { stream, length, digests };
}
