// Chunked, seekable AEAD stream (format v1) on AES-256-GCM. The byte layout is specified in
// docs/FORMAT.md; size arithmetic here is pure, the transforms only move bytes and call WebCrypto.
import { READ_SIZE, byteReader } from '../streams';

/** Plaintext bytes per package; only the final package may be shorter. */
export const PACKAGE_SIZE = 65536;

export const FORMAT_VERSION = 1;
const FLAG_FINAL = 0x01;
const STREAM_RANDOM_SIZE = 8;
// version u8 | flags u8 | payload length u32 BE | stream random (8)
const HEADER_SIZE = 2 + 4 + STREAM_RANDOM_SIZE;
const TAG_SIZE = 16;
const OVERHEAD = HEADER_SIZE + TAG_SIZE;
const PACKAGE_CIPHER_SIZE = PACKAGE_SIZE + OVERHEAD;
// The package index is the u32 tail of the GCM nonce: it must never wrap.
const MAX_PACKAGES = 2 ** 32;
// Several WebCrypto calls in flight hide their latency behind stream plumbing; completed
// packages leave in batches so each output chunk carries several packages (each chunk costs a
// trip through every stream stage after this one).
const PIPELINE_DEPTH = 16;
const BATCH = 8;

export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

export async function importKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== 32) throw new RangeError('AES-256 key must be 32 bytes');
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export function ciphertextSize(plaintextSize: number): number {
  return plaintextSize + packageCount(plaintextSize) * OVERHEAD;
}

export function plaintextSize(ciphertextSize: number): number {
  if (Number.isSafeInteger(ciphertextSize) && ciphertextSize >= 0) {
    const full = Math.floor(ciphertextSize / PACKAGE_CIPHER_SIZE);
    const rest = ciphertextSize % PACKAGE_CIPHER_SIZE;
    if (rest === 0 && full > 0) return full * PACKAGE_SIZE;
    if (rest === OVERHEAD && full === 0) return 0; // the empty stream
    if (rest > OVERHEAD) return full * PACKAGE_SIZE + rest - OVERHEAD;
  }
  throw new FormatError(`impossible ciphertext size ${ciphertextSize}`);
}

export interface CipherRange {
  firstPackage: number;
  lastPackage: number;
  /** First ciphertext byte to read (start of firstPackage). */
  cipherStart: number;
  /** Last ciphertext byte to read, inclusive (end of lastPackage). */
  cipherEnd: number;
  /** Plaintext bytes to drop at the start of firstPackage. */
  skip: number;
  /** Plaintext bytes to emit. */
  length: number;
  /** lastPackage is the object's final package (pass through to decryptStream). */
  expectFinalAtEnd: boolean;
  /** With expectFinalAtEnd: the payload length the final package must have for the stored size. */
  finalLength?: number;
}

/** Ciphertext bytes and decryptStream options for plaintext bytes plainStart..plainEndInclusive. */
export function cipherRangeFor(plainStart: number, plainEndInclusive: number, plaintextSize: number): CipherRange {
  const valid =
    Number.isSafeInteger(plainStart) &&
    Number.isSafeInteger(plainEndInclusive) &&
    0 <= plainStart &&
    plainStart <= plainEndInclusive &&
    plainEndInclusive < plaintextSize;
  if (!valid) throw new RangeError(`range ${plainStart}-${plainEndInclusive} outside ${plaintextSize} bytes`);
  const firstPackage = Math.floor(plainStart / PACKAGE_SIZE);
  const lastPackage = Math.floor(plainEndInclusive / PACKAGE_SIZE);
  return {
    firstPackage,
    lastPackage,
    cipherStart: firstPackage * PACKAGE_CIPHER_SIZE,
    cipherEnd: Math.min((lastPackage + 1) * PACKAGE_CIPHER_SIZE, ciphertextSize(plaintextSize)) - 1,
    skip: plainStart - firstPackage * PACKAGE_SIZE,
    length: plainEndInclusive - plainStart + 1,
    ...finalOf(lastPackage, plaintextSize),
  };
}

/** Ciphertext bytes and decryptStream options for a whole stream of `plaintextSize` bytes. */
export function wholeStream(plaintextSize: number): CipherRange {
  const lastPackage = packageCount(plaintextSize) - 1;
  return { firstPackage: 0, lastPackage, cipherStart: 0, cipherEnd: ciphertextSize(plaintextSize) - 1, skip: 0, length: plaintextSize, ...finalOf(lastPackage, plaintextSize) };
}

// The stored size fixes where the FINAL package sits and how long it is: both are authenticated,
// so a reader that checks them never serves a body shorter or longer than the size it was given.
function finalOf(lastPackage: number, plaintextSize: number): Pick<CipherRange, 'expectFinalAtEnd' | 'finalLength'> {
  const last = packageCount(plaintextSize) - 1;
  return lastPackage === last ? { expectFinalAtEnd: true, finalLength: plaintextSize - last * PACKAGE_SIZE } : { expectFinalAtEnd: false };
}

function packageCount(plaintextSize: number): number {
  if (!Number.isSafeInteger(plaintextSize) || plaintextSize < 0) throw new RangeError(`invalid size ${plaintextSize}`);
  return Math.max(1, Math.ceil(plaintextSize / PACKAGE_SIZE)); // the empty stream is one empty package
}

function header(payloadLength: number, final: boolean, streamRandom: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HEADER_SIZE);
  bytes[0] = FORMAT_VERSION;
  bytes[1] = final ? FLAG_FINAL : 0;
  new DataView(bytes.buffer).setUint32(2, payloadLength);
  bytes.set(streamRandom, 6);
  return bytes;
}

// nonce = stream random || package index (u32 BE); associated data = header || caller aad.
// WebCrypto copies its parameters when called, so one set of buffers serves a whole stream.
function gcmParams(aad: Uint8Array): (head: Uint8Array, index: number) => SubtleCryptoEncryptAlgorithm {
  const iv = new Uint8Array(12);
  const ivView = new DataView(iv.buffer);
  const additionalData = new Uint8Array(HEADER_SIZE + aad.length);
  additionalData.set(aad, HEADER_SIZE);
  const params = { name: 'AES-GCM', iv, additionalData, tagLength: TAG_SIZE * 8 };
  return (head, index) => {
    iv.set(head.subarray(6, HEADER_SIZE));
    ivView.setUint32(8, index);
    additionalData.set(head.subarray(0, HEADER_SIZE));
    return params;
  };
}

// Rejections are re-raised in order by whoever awaits the promise; this only keeps packages
// behind a failed one from being reported as unhandled rejections.
function ignore(): void {}

export interface EncryptOptions {
  aad: Uint8Array;
  /** Fixed only by tests (golden vectors); random otherwise. */
  streamRandom?: Uint8Array;
}

function newStreamRandom(opts: EncryptOptions): Uint8Array {
  const streamRandom = opts.streamRandom ?? crypto.getRandomValues(new Uint8Array(STREAM_RANDOM_SIZE));
  if (streamRandom.length !== STREAM_RANDOM_SIZE) throw new RangeError('streamRandom must be 8 bytes');
  return streamRandom;
}

/** The stream of `plaintext` in one piece, byte for byte what encryptStream makes of it (for bodies small enough to hold). */
export async function encryptBytes(key: CryptoKey, plaintext: Uint8Array, opts: EncryptOptions): Promise<Uint8Array> {
  const streamRandom = newStreamRandom(opts);
  const params = gcmParams(opts.aad);
  const count = packageCount(plaintext.length);
  const heads: Uint8Array[] = [];
  const bodies: Promise<ArrayBuffer>[] = [];
  for (let index = 0; index < count; index++) {
    const payload = plaintext.subarray(index * PACKAGE_SIZE, (index + 1) * PACKAGE_SIZE);
    const head = header(payload.length, index === count - 1, streamRandom);
    heads.push(head);
    const body = crypto.subtle.encrypt(params(head, index), key, payload);
    body.catch(ignore);
    bodies.push(body);
  }
  const out = new Uint8Array(ciphertextSize(plaintext.length));
  let at = 0;
  for (let index = 0; index < count; index++) {
    const body = new Uint8Array(await bodies[index]!);
    out.set(heads[index]!, at);
    out.set(body, at + HEADER_SIZE);
    at += HEADER_SIZE + body.length;
  }
  return out;
}

export function encryptStream(key: CryptoKey, opts: EncryptOptions): TransformStream<Uint8Array, Uint8Array> {
  const streamRandom = newStreamRandom(opts);
  // WebCrypto copies its inputs before encrypt() returns, so one buffer serves every package.
  const pending = new Uint8Array(PACKAGE_SIZE);
  let filled = 0;
  let index = 0;
  const sealed: { header: Uint8Array; body: Promise<ArrayBuffer> }[] = [];
  const params = gcmParams(opts.aad);

  function seal(payload: Uint8Array, final: boolean): void {
    if (index === MAX_PACKAGES) throw new FormatError('stream too long');
    const head = header(payload.length, final, streamRandom);
    const body = crypto.subtle.encrypt(params(head, index), key, payload);
    body.catch(ignore);
    sealed.push({ header: head, body });
    index++;
  }

  async function emit(controller: TransformStreamDefaultController<Uint8Array>, keep: number): Promise<void> {
    while (sealed.length > keep) {
      const batch = sealed.splice(0, Math.min(BATCH, sealed.length - keep));
      const bodies = await Promise.all(batch.map((p) => p.body));
      const out = new Uint8Array(bodies.reduce((n, b) => n + HEADER_SIZE + b.byteLength, 0));
      let at = 0;
      batch.forEach((p, i) => {
        out.set(p.header, at);
        out.set(new Uint8Array(bodies[i]), at + HEADER_SIZE);
        at += HEADER_SIZE + bodies[i].byteLength;
      });
      controller.enqueue(out);
    }
  }

  return new TransformStream({
    async transform(chunk, controller) {
      let at = 0;
      while (at < chunk.length) {
        // A full package is sealed only once a later byte exists: the last one must be FINAL.
        if (filled === PACKAGE_SIZE) {
          seal(pending, false);
          filled = 0;
        }
        if (filled === 0 && chunk.length - at > PACKAGE_SIZE) {
          seal(chunk.subarray(at, at + PACKAGE_SIZE), false);
          at += PACKAGE_SIZE;
        } else {
          const n = Math.min(PACKAGE_SIZE - filled, chunk.length - at);
          pending.set(chunk.subarray(at, at + n), filled);
          filled += n;
          at += n;
        }
        if (sealed.length >= PIPELINE_DEPTH) await emit(controller, PIPELINE_DEPTH - BATCH);
      }
    },
    async flush(controller) {
      seal(pending.subarray(0, filled), true);
      await emit(controller, 0);
    },
  });
}

export interface DecryptOptions {
  /** Associated data the stream was encrypted with. */
  aad: Uint8Array;
  /** Index of the first package in the input (default 0). */
  firstPackage?: number;
  /** Index of the last package the input may hold (default: read until the final package). */
  lastPackage?: number;
  /** The input ends with the object's final package. */
  expectFinalAtEnd: boolean;
  /** Plaintext bytes to drop before emitting (default 0). */
  skip?: number;
  /** Plaintext bytes to emit after skip (default: all). */
  length?: number;
  /** The final package must have exactly this payload length (the stored size's last package). */
  finalLength?: number;
}

/**
 * Checks and opens the packages of one stream in order; shared by the streaming and the in-memory
 * reader. Nothing leaves it that did not authenticate.
 */
class PackageOpener {
  private readonly lastPackage: number;
  private skip: number;
  private remaining: number;
  private index: number;
  private finalSeen = false;
  private streamRandom: Uint8Array | undefined;
  private readonly params: (head: Uint8Array, index: number) => SubtleCryptoEncryptAlgorithm;

  constructor(
    private readonly key: CryptoKey,
    private readonly opts: DecryptOptions,
  ) {
    this.lastPackage = opts.lastPackage ?? Infinity;
    this.skip = opts.skip ?? 0;
    this.remaining = opts.length ?? Infinity;
    this.index = opts.firstPackage ?? 0;
    this.params = gcmParams(opts.aad);
  }

  /** Validates the header at the start of `head` (HEADER_SIZE bytes) and returns its package's size in bytes. */
  sizeOf(head: Uint8Array): number {
    if (this.finalSeen) throw new FormatError('unexpected data after final package');
    if (this.index > this.lastPackage) throw new FormatError(`unexpected data after package ${this.lastPackage}`);
    if (head[0] !== FORMAT_VERSION) throw new FormatError(`unsupported version ${head[0]}`);
    const flags = head[1]!;
    const length = ((head[2]! << 24) | (head[3]! << 16) | (head[4]! << 8) | head[5]!) >>> 0;
    const final = flags === FLAG_FINAL;
    const validLength = final ? length <= PACKAGE_SIZE && (length > 0 || this.index === 0) : length === PACKAGE_SIZE;
    if ((flags & ~FLAG_FINAL) !== 0 || !validLength) throw new FormatError(`package ${this.index}: invalid header`);
    return length + OVERHEAD;
  }

  /**
   * Starts opening the package `pkg` (its whole ciphertext, header first, sized by sizeOf). WebCrypto
   * copies its input before this returns, so the caller may reuse `pkg`'s memory at once.
   */
  open(pkg: Uint8Array): Promise<ArrayBuffer> {
    const { opts } = this;
    const index = this.index;
    const final = pkg[1] === FLAG_FINAL;
    if (final && !(opts.expectFinalAtEnd && (opts.lastPackage === undefined || index === opts.lastPackage))) {
      throw new FormatError(`package ${index}: unexpected final package`);
    }
    // Checked before any byte of this package is released, so a wrong size never reaches a client
    // as a complete body.
    if (!final && opts.expectFinalAtEnd && index === opts.lastPackage) throw new FormatError(`package ${index}: final package expected`);
    if (final && opts.finalLength !== undefined && pkg.length - OVERHEAD !== opts.finalLength) {
      throw new FormatError(`package ${index}: final package does not end at the stored size`);
    }
    // All packages of one stream share the random; a package spliced in from another stream
    // under the same key would otherwise authenticate.
    const random = pkg.subarray(6, HEADER_SIZE);
    if (!this.streamRandom) this.streamRandom = random.slice();
    else for (let i = 0; i < STREAM_RANDOM_SIZE; i++) if (random[i] !== this.streamRandom[i]) throw new FormatError(`package ${index}: from another stream`);
    const plain = crypto.subtle.decrypt(this.params(pkg.subarray(0, HEADER_SIZE), index), this.key, pkg.subarray(HEADER_SIZE)).catch(() => {
      throw new FormatError(`package ${index}: authentication failed`);
    });
    plain.catch(ignore);
    this.index++;
    this.finalSeen = final;
    return plain;
  }

  /** Starts opening every whole package at the start of `bytes`; returns them and the bytes they took. */
  openAll(bytes: Uint8Array): { opened: Promise<ArrayBuffer>[]; used: number } {
    const opened: Promise<ArrayBuffer>[] = [];
    let used = 0;
    while (bytes.length - used >= HEADER_SIZE) {
      const size = this.sizeOf(bytes.subarray(used, used + HEADER_SIZE));
      if (bytes.length - used < size) break;
      opened.push(this.open(bytes.subarray(used, used + size)));
      used += size;
    }
    return { opened, used };
  }

  /** The plaintext in range of `opened`, in one piece; awaited in order, so a failure names the first package that failed. */
  async takeAll(opened: Promise<ArrayBuffer>[]): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (const plain of opened) parts.push(this.take(await plain));
    return parts.length === 1 ? parts[0]! : concatenate(parts);
  }

  /** The part of an opened package's plaintext that lies in the range asked for (in order). */
  take(plain: ArrayBuffer): Uint8Array {
    const bytes = new Uint8Array(plain);
    const drop = Math.min(this.skip, bytes.length);
    this.skip -= drop;
    const kept = bytes.subarray(drop, drop + Math.min(bytes.length - drop, this.remaining));
    this.remaining -= kept.length;
    return kept;
  }

  /** Checks, once the input has ended with `leftover` bytes of an incomplete package, that nothing is missing. */
  end(leftover: number): void {
    const { opts } = this;
    const short =
      leftover > 0 ||
      (opts.expectFinalAtEnd && !this.finalSeen) ||
      (opts.lastPackage !== undefined && this.index <= opts.lastPackage) ||
      (Number.isFinite(this.remaining) && this.remaining > 0);
    if (short) throw new FormatError('truncated');
  }
}


/**
 * The plaintext of the ciphertext stream `source`, checked package by package; nothing of a package
 * is emitted before it authenticates. The input is gathered into one buffer that is read into again
 * while the packages taken from it are being opened.
 */
export function decryptStream(source: ReadableStream<Uint8Array>, key: CryptoKey, opts: DecryptOptions): ReadableStream<Uint8Array> {
  const opener = new PackageOpener(key, opts);
  const input = byteReader(source);
  // A whole read (each read and output chunk costs a trip through the streams around this one)
  // plus the incomplete package left over from the previous one.
  let buffer: Uint8Array = new Uint8Array(READ_SIZE + PACKAGE_CIPHER_SIZE);
  let reading = input.read(buffer, 0, READ_SIZE);
  reading.catch(ignore); // awaited by the next pull; unobserved if this stream fails first
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        await pullInto(controller);
      } catch (e) {
        input.cancel(e).catch(ignore); // the rest of the input is of no use
        throw e;
      }
    },
    cancel: (reason) => input.cancel(reason),
  });

  async function pullInto(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      const read = await reading;
      buffer = read.buffer;
      const { opened, used } = opener.openAll(buffer.subarray(0, read.filled));
      const leftover = read.filled - used;
      if (!read.ended) {
        buffer.copyWithin(0, used, read.filled);
        reading = input.read(buffer, leftover, READ_SIZE);
        reading.catch(ignore);
      }
      const plain = await opener.takeAll(opened);
      if (read.ended) opener.end(leftover);
      if (plain.length > 0) controller.enqueue(plain);
      if (read.ended) return controller.close();
      if (plain.length > 0) return;
    }
  }
}

/** The plaintext of `cipher`, all of it authenticated before this returns (for reads small enough to hold). */
export async function decryptBytes(cipher: Uint8Array, key: CryptoKey, opts: DecryptOptions): Promise<Uint8Array> {
  const opener = new PackageOpener(key, opts);
  const { opened, used } = opener.openAll(cipher);
  const plain = await opener.takeAll(opened);
  opener.end(cipher.length - used);
  return plain;
}

function concatenate(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
