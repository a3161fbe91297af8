// What users do, through the JS SDK at its defaults: PutObject of a stream (aws-chunked with a CRC32
// trailer), multipart uploads (lib-storage) for large objects, GetObject whole and ranged. Every
// body is checked against the SHA-256 of what was written.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY } from './targets.mjs';

export const MiB = 1024 * 1024;
export const BUCKET = 'bench';
/** Objects above this (a deployment's 100 MB body cap is near) go up as multipart uploads of PART_SIZE parts. */
export const SINGLE_PUT_MAX = 64 * MiB;
const PART_SIZE = 16 * MiB;

// The objects' bytes: one fixed pseudo-random 1 MiB block, repeated; never held whole.
const PATTERN = Buffer.alloc(MiB);
for (let i = 0, x = 2463534242; i < MiB; i += 4) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  PATTERN.writeUInt32LE(x >>> 0, i);
}

function* patternChunks(size) {
  for (let at = 0; at < size; at += MiB) yield at + MiB <= size ? PATTERN : PATTERN.subarray(0, size - at);
}

const hashes = new Map();
/** SHA-256 (hex) of the first `size` bytes of the pattern. */
export function patternHash(size) {
  if (!hashes.has(size)) {
    const hash = createHash('sha256');
    for (const chunk of patternChunks(size)) hash.update(chunk);
    hashes.set(size, hash.digest('hex'));
  }
  return hashes.get(size);
}

/** The byte of the pattern at `offset`. */
export const patternByte = (offset) => PATTERN[offset % MiB];

/** An SDK client of the bench credentials; `extra` is more client configuration. */
export function client(endpoint, extra = {}) {
  // No retries: a failure must count as one, not hide behind a second attempt.
  return new S3Client({ endpoint, region: REGION, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, ...extra });
}

const seconds = (started) => (performance.now() - started) / 1000;

/** Uploads `size` pattern bytes: one PutObject of a stream, or multipart above SINGLE_PUT_MAX. Seconds taken. */
export async function put(s3, key, size) {
  const started = performance.now();
  const Body = Readable.from(patternChunks(size));
  if (size <= SINGLE_PUT_MAX) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body, ContentLength: size }));
  else await new Upload({ client: s3, params: { Bucket: BUCKET, Key: key, Body }, partSize: PART_SIZE, queueSize: 4 }).done();
  return seconds(started);
}

/** Uploads a small buffer in one PutObject (the SDK sends its CRC32 in a header). Seconds taken. */
export async function putSmall(s3, key, bytes) {
  const started = performance.now();
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
  return seconds(started);
}

/** Reads the object whole and checks its SHA-256 against `expected`. Seconds taken. */
export async function getWhole(s3, key, size, expected = patternHash(size)) {
  const started = performance.now();
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of Body) {
    hash.update(chunk);
    length += chunk.length;
  }
  const took = seconds(started);
  const digest = hash.digest('hex');
  if (length !== size || digest !== expected) throw new Error(`GET ${key}: ${length} bytes with SHA-256 ${digest}, expected ${size} bytes with ${expected}`);
  return took;
}

/** Reads one byte at `offset` and checks it. Seconds taken. */
export async function getByte(s3, key, offset) {
  const started = performance.now();
  const answer = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: `bytes=${offset}-${offset}` }));
  const bytes = await answer.Body.transformToByteArray();
  const took = seconds(started);
  if (bytes.length !== 1 || bytes[0] !== patternByte(offset)) throw new Error(`GET ${key} byte ${offset}: wrong answer`);
  return took;
}
