// Streaming decoder for `Content-Encoding: aws-chunked` bodies (signed or unsigned chunks, optional trailers):
//   hex-size[;chunk-signature=sig]\r\n data \r\n ... 0[;chunk-signature=sig]\r\n [name:value\r\n ...] \r\n
// Payload bytes pass through as sub-slices of the input; only the framing lines are scanned.
// Error codes: truncated body → IncompleteBody; malformed framing → InvalidRequest; bad chunk or trailer signature
// (or a missing one where signatures are required) → SignatureDoesNotMatch; decoded size short of decodedLength →
// IncompleteBody, beyond it → InvalidRequest.
import { S3Error } from '../../error';
import type { ChunkSigner } from './sigv4';

export interface DecodedBody {
  body: ReadableStream<Uint8Array>;
  /** Lowercased trailing headers (without x-amz-trailer-signature) once the body has been read to its end. */
  trailers: Promise<Record<string, string>>;
}

const CR = 13;
const LF = 10;
const MAX_LINE = 4096; // a chunk header is ~90 bytes and a trailer line little more
const MAX_TRAILERS = 64;
const MAX_SIGNED_CHUNK = 16 * 1024 * 1024; // a signed chunk is held in memory until its signature is checked
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

const malformed = (message: string) => new S3Error('InvalidRequest', `Malformed aws-chunked body: ${message}`);
const missingSignature = (what: string) =>
  new S3Error('SignatureDoesNotMatch', `The aws-chunked body is missing the ${what} signature.`);

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function decodeAwsChunked(
  input: ReadableStream<Uint8Array>,
  opts: { signer: ChunkSigner | null; trailer: boolean; decodedLength?: number },
): DecodedBody {
  const { signer, trailer, decodedLength } = opts;
  const decoder = new TextDecoder();
  const reader = input.getReader();

  let resolveTrailers!: (trailers: Record<string, string>) => void;
  let rejectTrailers!: (reason: unknown) => void;
  const trailersPromise = new Promise<Record<string, string>>((resolve, reject) => {
    resolveTrailers = resolve;
    rejectTrailers = reject;
  });
  trailersPromise.catch(() => {}); // callers that never look at trailers must not see an unhandled rejection

  // 'size': chunk header line; 'data': chunk payload; 'crlf': the CRLF after it;
  // 'trailer': lines after the final chunk up to the empty one; 'end': nothing more may follow.
  let state: 'size' | 'data' | 'crlf' | 'trailer' | 'end' = 'size';
  let line: Uint8Array[] = [];
  let lineLength = 0;
  let remaining = 0; // payload bytes left in the current chunk
  let crlfSeen = 0;
  let chunkSignature = '';
  let pending: Uint8Array[] = []; // pieces of a signed chunk awaiting verification
  let decoded = 0;
  const trailers: Record<string, string> = {};
  let trailerCount = 0;
  let canonicalTrailers = '';
  let trailerSigned = false;
  let produced = false;

  function emit(controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array): void {
    controller.enqueue(bytes);
    produced = true;
  }

  async function onChunkHeader(text: string): Promise<void> {
    const [sizeText = '', ...extensions] = text.split(';');
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw malformed('invalid chunk size');
    const size = parseInt(sizeText, 16);
    if (!Number.isSafeInteger(size)) throw malformed('invalid chunk size');
    const signature = extensions.find((e) => e.startsWith('chunk-signature='))?.slice('chunk-signature='.length);
    if (signer) {
      if (signature === undefined) throw missingSignature('chunk');
      if (size > MAX_SIGNED_CHUNK) throw malformed('signed chunk larger than 16 MiB');
      chunkSignature = signature;
    }
    decoded += size;
    if (decodedLength !== undefined && decoded > decodedLength) {
      throw new S3Error('InvalidRequest', 'The decoded body is longer than x-amz-decoded-content-length.');
    }
    if (size > 0) {
      remaining = size;
      state = 'data';
      return;
    }
    if (decodedLength !== undefined && decoded < decodedLength) {
      throw new S3Error(
        'IncompleteBody',
        'You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header.',
      );
    }
    if (signer) await signer.verifyChunk(new Uint8Array(0), chunkSignature);
    state = 'trailer';
  }

  async function onTrailerLine(text: string): Promise<void> {
    if (text === '') return endOfTrailers();
    if (!trailer) throw malformed('data after the final chunk');
    if (trailerSigned) throw malformed('trailing header after x-amz-trailer-signature');
    const colon = text.indexOf(':');
    if (colon <= 0) throw malformed('invalid trailing header');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === TRAILER_SIGNATURE) {
      await signer?.verifyTrailer(canonicalTrailers, value);
      trailerSigned = true;
      return;
    }
    if (++trailerCount > MAX_TRAILERS) throw malformed('too many trailing headers');
    trailers[name] = value;
    canonicalTrailers += `${name}:${value}\n`;
  }

  function endOfTrailers(): void {
    if (signer && trailer && !trailerSigned) throw missingSignature('trailer');
    state = 'end';
  }

  /** Consumes one input piece: payload is passed on as sub-slices, framing lines are collected and parsed. */
  async function consume(bytes: Uint8Array, controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    let pos = 0;
    while (pos < bytes.length) {
      if (state === 'data') {
        const take = Math.min(remaining, bytes.length - pos);
        const piece = bytes.subarray(pos, pos + take);
        pos += take;
        remaining -= take;
        if (!signer) {
          emit(controller, piece);
        } else {
          pending.push(piece);
          if (remaining === 0) {
            const data = concat(pending, pending.reduce((n, p) => n + p.length, 0));
            pending = [];
            await signer.verifyChunk(data, chunkSignature);
            emit(controller, data);
          }
        }
        if (remaining === 0) state = 'crlf';
      } else if (state === 'crlf') {
        if (bytes[pos] !== (crlfSeen === 0 ? CR : LF)) throw malformed('chunk data not followed by CRLF');
        pos++;
        if (++crlfSeen === 2) {
          crlfSeen = 0;
          state = 'size';
        }
      } else if (state === 'end') {
        throw malformed('data after the end of the body');
      } else {
        // Look for LF no further than the line limit allows, so a hostile body is never scanned at length.
        const window = bytes.subarray(pos, Math.min(bytes.length, pos + MAX_LINE + 1 - lineLength));
        const lf = window.indexOf(LF);
        if (lf < 0) {
          if (lineLength + window.length > MAX_LINE) throw malformed('header line too long');
          line.push(window);
          lineLength += window.length;
          pos += window.length;
          continue;
        }
        line.push(window.subarray(0, lf));
        const full = concat(line, lineLength + lf);
        line = [];
        lineLength = 0;
        pos += lf + 1;
        if (full[full.length - 1] !== CR) throw malformed('line not terminated by CRLF');
        const text = decoder.decode(full.subarray(0, full.length - 1));
        if (state === 'size') await onChunkHeader(text);
        else await onTrailerLine(text);
      }
    }
  }

  function endOfInput(): void {
    // The JS SDK ends an unsigned body with `0\r\n` and no empty line when it sends no checksum: accept EOF there.
    if (state === 'trailer' && lineLength === 0) endOfTrailers();
    if (state !== 'end') throw new S3Error('IncompleteBody', 'The request body terminated unexpectedly.');
  }

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        produced = false;
        while (!produced) {
          const { done, value } = await reader.read();
          if (done) {
            endOfInput();
            controller.close();
            resolveTrailers(trailers);
            return;
          }
          await consume(value, controller);
        }
      } catch (err) {
        // Also reached when the consumer cancelled mid-read; error() on a cancelled stream does nothing.
        controller.error(err);
        rejectTrailers(err);
        reader.cancel(err).catch(() => {});
      }
    },
    cancel(reason) {
      rejectTrailers(new S3Error('IncompleteBody', 'The request body was not read to its end.'));
      return reader.cancel(reason);
    },
  });

  return { body, trailers: trailersPromise };
}
