// An upload's body as the request carries it: aws-chunked framing removed, and what its headers (or
// trailer) say it must be — length, Content-MD5, x-amz-content-sha256, x-amz-checksum-* — for the
// stream that checks it as it flows (service/upload-body.ts).
import type { PayloadMode } from './auth/sigv4';
import { decodeAwsChunked } from './auth/chunked';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, fromBase64 } from '../crypto/checksum';
import { S3Error } from '../error';
import { type Expectation, type UploadBody, checkedStream } from '../service/upload-body';
import { READ_SIZE, inLargeChunks } from '../streams';

const malformedTrailer = () =>
  new S3Error('MalformedTrailerError', 'The request contained trailing data that was not well-formed or did not conform to our published schema.');

function parseLength(value: string | null, header: string): number | null {
  if (value === null) return null;
  if (!/^\d{1,16}$/.test(value)) throw new S3Error('InvalidArgument', `Invalid ${header}.`, { ArgumentName: header });
  return Number(value);
}

function checksumAlgorithmOf(headerName: string): ChecksumAlgorithm | null {
  const name = headerName.toLowerCase().replace(/^x-amz-checksum-/, '').toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name) ? (name as ChecksumAlgorithm) : null;
}

function expectations(headers: Headers, payload: PayloadMode, trailers: Promise<Record<string, string>> | null): Expectation {
  const contentMd5 = headers.get('content-md5');
  let md5: Uint8Array | null = null;
  if (contentMd5 !== null) {
    try {
      md5 = fromBase64(contentMd5);
    } catch {
      md5 = null;
    }
    if (md5?.length !== 16) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.');
  }

  const named = [...headers.keys()].filter((h) => h.startsWith('x-amz-checksum-') && h !== 'x-amz-checksum-type' && h !== 'x-amz-checksum-mode');
  const trailerName = headers.get('x-amz-trailer')?.trim().toLowerCase() ?? null;
  if (named.length + (trailerName ? 1 : 0) > 1) {
    throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  }
  let algorithm: ChecksumAlgorithm | null = null;
  let value: Expectation['value'] = null;
  if (named.length) {
    algorithm = checksumAlgorithmOf(named[0]!);
    if (!algorithm) throw new S3Error('InvalidRequest', `Unsupported checksum header ${named[0]}.`);
    const given = headers.get(named[0]!)!;
    value = async () => given;
  } else if (trailerName) {
    algorithm = checksumAlgorithmOf(trailerName);
    if (!algorithm || !trailers) throw new S3Error('InvalidRequest', 'The value specified in the x-amz-trailer header is not supported');
    value = async () => (await trailers)[trailerName];
  }
  const sdkAlgorithm = headers.get('x-amz-sdk-checksum-algorithm');
  if (sdkAlgorithm && algorithm && sdkAlgorithm.toUpperCase() !== algorithm) {
    throw new S3Error('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');
  }
  // S3 refuses a trailer x-amz-trailer did not name, and a named one that never came: a checksum the
  // client sent is never dropped, nor one it promised silently missing.
  const trailersDeclared = trailers
    ? async () => {
        const sent = Object.keys(await trailers);
        if (sent.some((name) => name !== trailerName) || (trailerName && !sent.includes(trailerName))) throw malformedTrailer();
      }
    : null;
  return { md5, sha256Hex: payload.kind === 'sha256' ? payload.hex.toLowerCase() : null, algorithm, value, trailersDeclared };
}

/**
 * `computeAlgorithm`: a checksum to compute even when the client sends none (the algorithm a
 * multipart upload declared, for its parts).
 */
export function readUpload(request: Request, payload: PayloadMode, computeAlgorithm: ChecksumAlgorithm | null = null): UploadBody {
  const headers = request.headers;
  let stream = requestBody(request);
  let length: number | null;
  let trailers: Promise<Record<string, string>> | null = null;
  if (payload.kind === 'chunked') {
    length = parseLength(headers.get('x-amz-decoded-content-length'), 'x-amz-decoded-content-length');
    if (length === null) throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.');
    const decoded = decodeAwsChunked(stream, { signer: payload.signed, trailer: payload.trailer, decodedLength: length });
    stream = decoded.body;
    trailers = decoded.trailers;
  } else {
    length = parseLength(headers.get('content-length'), 'Content-Length');
  }
  const expected = expectations(headers, payload, trailers);
  expected.algorithm ??= computeAlgorithm;
  return checkedStream(stream, length, expected);
}

/**
 * The file of a POST form upload, checked as it flows against the form's Content-MD5 and
 * x-amz-checksum-* fields (`fields`); `computeAlgorithm` as for readUpload.
 */
export function formUpload(stream: ReadableStream<Uint8Array>, fields: Headers, computeAlgorithm: ChecksumAlgorithm | null): UploadBody {
  const expected = expectations(fields, { kind: 'unsigned' }, null);
  expected.algorithm ??= computeAlgorithm;
  return checkedStream(stream, null, expected);
}

/**
 * A small XML request body as text, checked like any upload; larger than `limit` bytes is refused,
 * and a body of unknown length is not buffered past it (the rest is left to discardUnread).
 */
export async function readUploadText(request: Request, payload: PayloadMode, limit = 1024 * 1024): Promise<string> {
  const tooLarge = () => new S3Error('MalformedXML', 'The XML you provided was too large.');
  const body = readUpload(request, payload);
  if (body.length !== null && body.length > limit) throw tooLarge();
  const reader = body.stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) break;
      chunks.push(value);
    }
  } catch (e) {
    throw await body.digests.then(() => e, (cause: unknown) => cause);
  }
  if (size > limit) {
    reader.cancel().catch(() => {});
    throw tooLarge();
  }
  await body.digests;
  return new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
}

/** Bytes of an unread request body worth reading before an error answer (S3 clients see a reset otherwise). */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/** What is left of each request body readUpload took over, for discardUnread. */
const unread = new WeakMap<Request, () => ReadableStreamDefaultReader<Uint8Array> | null>();

/**
 * The request body, read in large chunks. It is taken from the request only once read, so a handler
 * that fails first leaves it whole; and a cancel (a failed check) leaves the rest for discardUnread.
 */
function requestBody(request: Request): ReadableStream<Uint8Array> {
  const body = request.body;
  if (!body) return new Blob([]).stream();
  // Chunks no larger than the body: an isolate serves many small uploads at once.
  const chunkSize = Math.min(READ_SIZE, Number(request.headers.get('content-length')) || READ_SIZE);
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  const open = () => (reader ??= inLargeChunks(body, chunkSize).getReader());
  unread.set(request, () => reader ?? (body.locked ? null : body.getReader()));
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await open().read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
  });
}

/**
 * Reads and drops what the handler left of the request body, so the client can finish sending and
 * read the error answer instead of a connection reset; bodies past DISCARD_LIMIT are cut off.
 */
export async function discardUnread(request: Request): Promise<void> {
  const reader = unread.get(request)?.() ?? (request.body && !request.body.locked ? request.body.getReader() : null);
  if (!reader) return;
  try {
    for (let read = 0; read < DISCARD_LIMIT; ) {
      const { value, done } = await reader.read();
      if (done) return;
      read += value.length;
    }
    await reader.cancel();
  } catch {
    // The client went away, or the body failed: nothing more to read.
  }
}
