// Times the encrypt and decrypt pipelines inside workerd with no I/O: plaintext is made in the
// worker, ciphertext is prepared by an earlier request. Timed with performance.now(), which in
// local workerd advances during computation (deployed Workers only advance it on I/O).
import { decryptStream, encryptStream, importKey } from '../src/crypto/format';

const MiB = 1024 * 1024;
const aad = new TextEncoder().encode('edge-sse bench');
const keyBytes = new Uint8Array(32).fill(7);
/** An encrypted stream cut into 1 MiB chunks (packages straddle chunks, as in R2 reads); set by /prepare. */
let ciphertext: Uint8Array[] = [];

function randomChunk(): Uint8Array {
  const chunk = new Uint8Array(MiB);
  for (let at = 0; at < MiB; at += 65536) crypto.getRandomValues(chunk.subarray(at, at + 65536));
  return chunk;
}

// One chunk enqueued `count` times: the pipeline copies what it seals, so reuse is safe.
function repeated(chunk: Uint8Array, count: number): ReadableStream<Uint8Array> {
  let left = count;
  return new ReadableStream({
    pull(controller) {
      if (left-- > 0) controller.enqueue(chunk);
      else controller.close();
    },
  });
}

function fromChunks(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]!);
      else controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await stream.pipeTo(new WritableStream({ write: (chunk) => void parts.push(chunk) }));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  return all;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  await stream.pipeTo(new WritableStream({ write: (chunk) => void (bytes += chunk.length) }));
  return bytes;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const mib = Number(url.searchParams.get('mib'));
    const key = await importKey(keyBytes);
    if (url.pathname === '/prepare') {
      const all = await collect(repeated(randomChunk(), mib).pipeThrough(encryptStream(key, { aad })));
      ciphertext = Array.from({ length: Math.ceil(all.length / MiB) }, (_, i) => all.subarray(i * MiB, (i + 1) * MiB));
      return new Response('prepared');
    }
    // Several whole streams per timed run: long enough that a moment of load on the machine
    // weighs little, while the prepared ciphertext stays small.
    const rounds = Number(url.searchParams.get('rounds'));
    const plaintext = randomChunk();
    const started = performance.now();
    let outputBytes = 0;
    for (let round = 0; round < rounds; round++) {
      outputBytes +=
        url.pathname === '/encrypt'
          ? await drain(repeated(plaintext, mib).pipeThrough(encryptStream(key, { aad })))
          : await drain(decryptStream(fromChunks(ciphertext), key, { aad, expectFinalAtEnd: true }));
    }
    return Response.json({ outputBytes, ms: performance.now() - started });
  },
};
