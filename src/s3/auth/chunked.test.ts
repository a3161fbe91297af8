import { describe, expect, it } from 'vitest';
import { isS3Error } from '../../error';
import { decodeAwsChunked } from './chunked';
import { ChunkSigner, signingKey } from './sigv4';

const enc = new TextEncoder();

function bytes(...parts: (string | Uint8Array)[]): Uint8Array {
  const encoded = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : p));
  const out = new Uint8Array(encoded.reduce((n, p) => n + p.length, 0));
  encoded.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0);
  return out;
}

/** The body delivered in pieces of `size` bytes (the whole body at once when omitted). */
function streamOf(body: Uint8Array, size = body.length): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= body.length) return controller.close();
      controller.enqueue(body.slice(offset, offset + size));
      offset += size;
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function expectFailure(decoded: { body: ReadableStream<Uint8Array>; trailers: Promise<unknown> }, code: string) {
  const err = await readAll(decoded.body).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isS3Error(err) && err.code, String(err)).toBe(code);
  await expect(decoded.trailers).rejects.toBe(err);
}

// AWS's worked example ("Transferring Payload in Multiple Chunks"): 64 KiB + 1 KiB of 'a', seed 4f232c43…
const DATA = new Uint8Array(66560).fill(0x61);
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const SIGS = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];
// The same upload with a signed trailer ("Signature calculations for trailing headers"), seed 106e2a8a…
const TRAILER_SEED = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';
const TRAILER_SIGS = [
  'b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2',
  '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7',
  '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992',
];
const TRAILER_SIGNATURE = 'd81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435';

const signedBody = (sigs: string[], tail: string, data = DATA) =>
  bytes(
    `10000;chunk-signature=${sigs[0]}\r\n`,
    data.subarray(0, 65536),
    `\r\n400;chunk-signature=${sigs[1]}\r\n`,
    data.subarray(65536),
    `\r\n0;chunk-signature=${sigs[2]}\r\n${tail}`,
  );
const EXAMPLE = signedBody(SIGS, '\r\n');
const TRAILER_EXAMPLE = signedBody(
  TRAILER_SIGS,
  `x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:${TRAILER_SIGNATURE}\r\n\r\n`,
);

async function signer(seed = SEED): Promise<ChunkSigner> {
  const key = await signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3');
  return new ChunkSigner(key, '20130524T000000Z', '20130524/us-east-1/s3/aws4_request', seed);
}

/** An unsigned body framed as the AWS SDK for JavaScript v3 frames it (getAwsChunkedEncodingStream). */
function sdkBody(pieces: Uint8Array[], trailer?: string): Uint8Array {
  const framed = pieces.flatMap((p) => [`${p.length.toString(16)}\r\n`, p, '\r\n']);
  return bytes(...framed, '0\r\n', ...(trailer === undefined ? [] : [`${trailer}\r\n`, '\r\n']));
}

describe('signed chunks (AWS example)', () => {
  it('decodes and verifies every chunk signature', async () => {
    expect(EXAMPLE.length).toBe(66824);
    const decoded = decodeAwsChunked(streamOf(EXAMPLE), { signer: await signer(), trailer: false, decodedLength: 66560 });
    expect(await readAll(decoded.body)).toEqual(DATA);
    expect(await decoded.trailers).toEqual({});
  });

  it('verifies a signed trailer and returns it', async () => {
    const decoded = decodeAwsChunked(streamOf(TRAILER_EXAMPLE), {
      signer: await signer(TRAILER_SEED),
      trailer: true,
      decodedLength: 66560,
    });
    expect(await readAll(decoded.body)).toEqual(DATA);
    expect(await decoded.trailers).toEqual({ 'x-amz-checksum-crc32c': 'sOO8/Q==' });
  });

  for (const size of [1, 3, 7, 4096]) {
    it(`decodes when fed ${size}-byte pieces`, async () => {
      const plain = decodeAwsChunked(streamOf(EXAMPLE, size), { signer: await signer(), trailer: false });
      expect(await readAll(plain.body)).toEqual(DATA);
      const withTrailer = decodeAwsChunked(streamOf(TRAILER_EXAMPLE, size), {
        signer: await signer(TRAILER_SEED),
        trailer: true,
      });
      expect(await readAll(withTrailer.body)).toEqual(DATA);
      expect(await withTrailer.trailers).toEqual({ 'x-amz-checksum-crc32c': 'sOO8/Q==' });
    });
  }

  it('refuses tampered data, a reordered chain, or a wrong seed', async () => {
    const tampered = EXAMPLE.slice();
    tampered[70_000 - 6000] = 0x62;
    await expectFailure(decodeAwsChunked(streamOf(tampered), { signer: await signer(), trailer: false }), 'SignatureDoesNotMatch');
    const swapped = signedBody([SIGS[0]!, SIGS[0]!, SIGS[2]!], '\r\n');
    await expectFailure(decodeAwsChunked(streamOf(swapped), { signer: await signer(), trailer: false }), 'SignatureDoesNotMatch');
    await expectFailure(
      decodeAwsChunked(streamOf(EXAMPLE), { signer: await signer(TRAILER_SEED), trailer: false }),
      'SignatureDoesNotMatch',
    );
  });

  it('passes nothing on from a chunk whose signature fails', async () => {
    const tampered = EXAMPLE.slice();
    tampered[200] = 0x62;
    const reader = decodeAwsChunked(streamOf(tampered), { signer: await signer(), trailer: false }).body.getReader();
    await expect(reader.read()).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('refuses a tampered or missing trailer, or a missing chunk signature', async () => {
    const opts = async () => ({ signer: await signer(TRAILER_SEED), trailer: true });
    const swapValue = signedBody(
      TRAILER_SIGS,
      `x-amz-checksum-crc32c:AAAAAA==\r\nx-amz-trailer-signature:${TRAILER_SIGNATURE}\r\n\r\n`,
    );
    await expectFailure(decodeAwsChunked(streamOf(swapValue), await opts()), 'SignatureDoesNotMatch');
    const noSignature = signedBody(TRAILER_SIGS, 'x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n');
    await expectFailure(decodeAwsChunked(streamOf(noSignature), await opts()), 'SignatureDoesNotMatch');
    const unsignedChunk = bytes('10000\r\n', DATA.subarray(0, 65536), '\r\n');
    await expectFailure(decodeAwsChunked(streamOf(unsignedChunk), await opts()), 'SignatureDoesNotMatch');
  });
});

describe('unsigned chunks', () => {
  it('decodes the JS SDK framing with a checksum trailer, in awkward pieces', async () => {
    const pieces = [enc.encode('hello '), new Uint8Array(70_000).fill(7), enc.encode('world')];
    const expected = bytes(...pieces);
    const body = sdkBody(pieces, 'x-amz-checksum-crc32:NSRBwg==');
    for (const size of [1, 3, 7, 1000, body.length]) {
      const decoded = decodeAwsChunked(streamOf(body, size), {
        signer: null,
        trailer: true,
        decodedLength: expected.length,
      });
      expect(await readAll(decoded.body)).toEqual(expected);
      expect(await decoded.trailers).toEqual({ 'x-amz-checksum-crc32': 'NSRBwg==' });
    }
  });

  it('accepts the SDK ending a body with `0\\r\\n` when it sends no checksum', async () => {
    const decoded = decodeAwsChunked(streamOf(sdkBody([enc.encode('abc')])), { signer: null, trailer: true });
    expect(await readAll(decoded.body)).toEqual(enc.encode('abc'));
    expect(await decoded.trailers).toEqual({});
  });

  it('ignores chunk extensions and lowercases trailer names', async () => {
    const body = bytes('3;chunk-signature=00\r\nabc\r\n0\r\nX-Amz-Checksum-SHA256 :  abc= \r\n\r\n');
    const decoded = decodeAwsChunked(streamOf(body), { signer: null, trailer: true });
    expect(await readAll(decoded.body)).toEqual(enc.encode('abc'));
    expect(await decoded.trailers).toEqual({ 'x-amz-checksum-sha256': 'abc=' });
  });

  it('passes payload through as it arrives, without waiting for the chunk to end', async () => {
    let push!: (b: Uint8Array) => void;
    const input = new ReadableStream<Uint8Array>({ start: (c) => void (push = (b) => c.enqueue(b)) });
    const reader = decodeAwsChunked(input, { signer: null, trailer: false }).body.getReader();
    push(enc.encode('100000\r\nfirst'));
    expect(await reader.read()).toEqual({ done: false, value: enc.encode('first') });
    reader.releaseLock();
  });

  it('decodes 64 MiB quickly', async () => {
    // 64 KiB chunks as the SDK sends them, arriving in pieces that do not line up with the chunks.
    const payload = new Uint8Array(64 << 10).fill(1);
    const body = sdkBody(Array.from({ length: 1024 }, () => payload), 'x-amz-checksum-crc32:AAAAAA==');
    const started = performance.now();
    const decoded = decodeAwsChunked(streamOf(body, 1_000_003), { signer: null, trailer: true, decodedLength: 64 << 20 });
    let total = 0;
    for await (const chunk of decoded.body) total += chunk.length;
    const seconds = (performance.now() - started) / 1000;
    expect(total).toBe(64 << 20);
    expect(await decoded.trailers).toEqual({ 'x-amz-checksum-crc32': 'AAAAAA==' });
    expect(seconds).toBeLessThan(0.5);
  });
});

describe('malformed bodies', () => {
  const unsigned = (body: string | Uint8Array, extra: { trailer?: boolean; decodedLength?: number } = {}) =>
    decodeAwsChunked(streamOf(typeof body === 'string' ? enc.encode(body) : body), {
      signer: null,
      trailer: false,
      ...extra,
    });

  it('truncated anywhere', async () => {
    const body = '5\r\nhello\r\n0\r\n\r\n';
    for (const cut of [0, 1, 2, 3, 5, 8, 9, 10, 11]) {
      await expectFailure(unsigned(body.slice(0, cut)), 'IncompleteBody');
    }
    await expectFailure(decodeAwsChunked(streamOf(EXAMPLE.subarray(0, 60_000)), { signer: await signer(), trailer: false }), 'IncompleteBody');
  });

  it('a partial trailer line at the end', async () => {
    await expectFailure(unsigned('0\r\nx-amz-checksum-crc32:AA', { trailer: true }), 'IncompleteBody');
  });

  it('bad hex size', async () => {
    for (const body of ['g\r\n', '\r\n', ' 5\r\nhello\r\n0\r\n\r\n', '-1\r\n', '11111111111111111\r\n', '5 ;x\r\nhello\r\n']) {
      await expectFailure(unsigned(body), 'InvalidRequest');
    }
  });

  it('missing CRLF', async () => {
    await expectFailure(unsigned('5\nhello\r\n0\r\n\r\n'), 'InvalidRequest');
    await expectFailure(unsigned('5\r\nhelloX\r\n0\r\n\r\n'), 'InvalidRequest');
    await expectFailure(unsigned('5\r\nhello\rX0\r\n\r\n'), 'InvalidRequest');
    await expectFailure(unsigned('5\r\nhello\r\n0\r\n\n'), 'InvalidRequest');
  });

  it('over-long header line, without scanning on for its end', async () => {
    const long = bytes(`5;${'x'.repeat(5000)}`);
    await expectFailure(unsigned(long), 'InvalidRequest');
    await expectFailure(decodeAwsChunked(streamOf(long, 100), { signer: null, trailer: false }), 'InvalidRequest');
    await expectFailure(unsigned(`0\r\nx-amz-a:${'x'.repeat(5000)}\r\n\r\n`, { trailer: true }), 'InvalidRequest');
  });

  it('trailers where none were announced, or data after the end', async () => {
    await expectFailure(unsigned('0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'), 'InvalidRequest');
    await expectFailure(unsigned('0\r\n\r\nextra'), 'InvalidRequest');
    await expectFailure(unsigned('0\r\nnot a header\r\n\r\n', { trailer: true }), 'InvalidRequest');
  });

  it('decoded length differs from x-amz-decoded-content-length', async () => {
    const body = '5\r\nhello\r\n0\r\n\r\n';
    expect(await readAll(unsigned(body, { decodedLength: 5 }).body)).toEqual(enc.encode('hello'));
    await expectFailure(unsigned(body, { decodedLength: 6 }), 'IncompleteBody');
    await expectFailure(unsigned(body, { decodedLength: 4 }), 'InvalidRequest');
  });

  it('a cancelled body rejects the trailers without unhandled rejections', async () => {
    const decoded = unsigned('5\r\nhello\r\n0\r\n\r\n');
    await decoded.body.cancel('client went away');
    await expect(decoded.trailers).rejects.toMatchObject({ code: 'IncompleteBody' });
  });
});
