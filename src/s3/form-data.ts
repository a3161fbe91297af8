// A streaming multipart/form-data reader for POST Object: the text fields before the file part are
// read (bounded), the file part is handed on as a stream that ends at its boundary, never buffered.
import { S3Error } from '../error';

export interface FormField {
  /** As sent; field names are compared case-insensitively. */
  name: string;
  value: string;
}

export interface FormFile {
  filename: string | null;
  contentType: string | null;
  /** The file's bytes; errors with MalformedPOSTRequest if the body ends before the part's boundary. */
  stream: ReadableStream<Uint8Array>;
}

export interface PostForm {
  fields: FormField[];
  /** Null when the form ended without a part named "file". */
  file: FormFile | null;
}

/** Bytes of fields and part headers accepted before the file part. */
export const MAX_PRE_FILE_BYTES = 64 * 1024;
/** Bytes after the file part (ignored fields, the closing boundary) read before the rest is dropped. */
const MAX_TRAILING_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const malformedPost = () => new S3Error('MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.');
const tooLarge = () => new S3Error('MaxPostPreDataLengthExceededError', 'Your POST request fields preceding the upload file were too large.');

/** The boundary parameter of a multipart/form-data Content-Type, or null for any other type. */
export function formBoundary(contentType: string | null): string | null {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match ? (match[1] ?? match[2])! : null;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  for (let i = haystack.indexOf(first, from); i >= 0 && i <= haystack.length - needle.length; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A byte reader over a stream with unconsumed bytes kept in `pending`. */
class Bytes {
  pending: Uint8Array = new Uint8Array(0);
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** Appends the next chunk; false at the end of the stream. */
  async fill(): Promise<boolean> {
    const { value, done } = await this.reader.read();
    if (done) return false;
    this.pending = concat(this.pending, value);
    return true;
  }

  take(n: number): Uint8Array {
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  /** Like take, but the bytes left behind are copied out, so the returned ones may be handed on (and detached). */
  takeOwned(n: number): Uint8Array {
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.slice(n);
    return out;
  }

  /** The bytes before `delimiter` (which is consumed too); at most `limit` of them. */
  async until(delimiter: Uint8Array, limit: number): Promise<Uint8Array> {
    let searched = 0;
    for (;;) {
      const at = indexOf(this.pending, delimiter, searched);
      if (at >= 0) {
        if (at > limit) throw tooLarge();
        const out = this.take(at);
        this.take(delimiter.length);
        return out;
      }
      if (this.pending.length > limit + delimiter.length) throw tooLarge();
      searched = Math.max(0, this.pending.length - delimiter.length + 1);
      if (!(await this.fill())) throw malformedPost();
    }
  }

  /** After a boundary: true when it closes the form (`--`), false when a part follows (CRLF). */
  async closes(): Promise<boolean> {
    while (this.pending.length < 2) if (!(await this.fill())) throw malformedPost();
    const [a, b] = this.take(2);
    if (a === 0x2d && b === 0x2d) return true;
    if (a === 0x0d && b === 0x0a) return false;
    throw malformedPost();
  }

  async drain(limit: number): Promise<void> {
    for (let read = this.pending.length; read < limit; ) {
      const { value, done } = await this.reader.read();
      if (done) return;
      read += value.length;
    }
    await this.reader.cancel();
  }

  cancel(reason: unknown): Promise<void> {
    return this.reader.cancel(reason);
  }
}

interface PartHeaders {
  name: string;
  filename: string | null;
  contentType: string | null;
}

function parameter(disposition: string, name: string): string | null {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(disposition);
  if (!match) return null;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!;
}

function partHeaders(raw: Uint8Array): PartHeaders {
  let disposition: string | null = null;
  let contentType: string | null = null;
  for (const line of decoder.decode(raw).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformedPost();
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value;
  }
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) throw malformedPost();
  const name = parameter(disposition, 'name');
  if (name === null) throw malformedPost();
  return { name, filename: parameter(disposition, 'filename'), contentType };
}

/**
 * Reads the fields of a multipart/form-data body up to its part named "file" (S3 ignores fields
 * after it) and returns them with the file's bytes as a stream.
 */
export async function readPostForm(body: ReadableStream<Uint8Array>, boundary: string): Promise<PostForm> {
  const bytes = new Bytes(body.getReader());
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const fields: FormField[] = [];
  let budget = MAX_PRE_FILE_BYTES;
  const within = (chunk: Uint8Array) => {
    budget -= chunk.length;
    if (budget < 0) throw tooLarge();
    return chunk;
  };
  // The first boundary may start the body, with no CRLF before it.
  bytes.pending = concat(encoder.encode('\r\n'), bytes.pending);
  within(await bytes.until(delimiter, budget));
  if (await bytes.closes()) return { fields, file: null };
  for (;;) {
    const headers = partHeaders(within(await bytes.until(encoder.encode('\r\n\r\n'), budget)));
    if (headers.name.toLowerCase() === 'file') {
      return { fields, file: { filename: headers.filename, contentType: headers.contentType, stream: partStream(bytes, delimiter) } };
    }
    fields.push({ name: headers.name, value: decoder.decode(within(await bytes.until(delimiter, budget))) });
    if (await bytes.closes()) return { fields, file: null };
  }
}

/** The bytes up to `delimiter`; a delimiter split across chunks is caught by holding back its length. */
function partStream(bytes: Bytes, delimiter: Uint8Array): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const at = indexOf(bytes.pending, delimiter);
        if (at >= 0) {
          if (at > 0) controller.enqueue(bytes.takeOwned(at));
          bytes.take(delimiter.length);
          finished = true;
          await bytes.drain(MAX_TRAILING_BYTES).catch(() => {});
          controller.close();
          return;
        }
        const safe = bytes.pending.length - delimiter.length + 1;
        if (safe > 0) {
          controller.enqueue(bytes.takeOwned(safe));
          return;
        }
        if (!(await bytes.fill())) {
          controller.error(malformedPost());
          return;
        }
      }
    },
    cancel(reason) {
      if (!finished) return bytes.cancel(reason);
    },
  });
}
