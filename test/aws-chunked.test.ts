// aws-chunked uploads end to end: the JS SDK's default (unsigned chunks, CRC32 trailer), and bodies
// signed chunk by chunk (and trailer) as AWS's "Transferring Payload in Multiple Chunks" describes.
// Every bad body gets its S3 error and stores nothing: the previous object stays, no blob is added.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { getBytes } from './helpers/objects';
import { rawRequest } from './helpers/raw-http';
import { type Service, startService } from './helpers/service';
import { type ChunkChain, awsChunked, signRequest } from './helpers/sign';

let svc: Service;
const Bucket = 'chunked';
const KiB = 1024;

beforeAll(async () => {
  svc = await startService();
  await svc.client.send(new CreateBucketCommand({ Bucket }));
  await svc.client.send(new PutObjectCommand({ Bucket, Key: 'kept', Body: 'previous' }));
});
afterAll(() => svc?.stop());

const crc32Base64 = (data: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
};
const blobCount = async () => (await svc.r2.list({ prefix: 'blobs/' })).objects.length;

type Mode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' | 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' | 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/** PUTs `chunks` as an aws-chunked body; `edit` may change the framed body before it is sent. */
async function put(
  Key: string,
  mode: Mode,
  chunks: Buffer[],
  opts: { declare?: string; trailers?: Record<string, string> | null; edit?: (body: Buffer) => Buffer } = {},
) {
  const data = Buffer.concat(chunks);
  const url = `${svc.endpoint}/${Bucket}/${Key}`;
  const headers: Record<string, string> = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length) };
  if (opts.declare !== undefined) headers['x-amz-trailer'] = opts.declare;
  const signed = await signRequest('PUT', url, headers, mode);
  const chain: ChunkChain | null = mode.startsWith('STREAMING-AWS4') ? signed.chain : null;
  let body = await awsChunked(chunks, chain, opts.trailers ?? null);
  if (opts.edit) body = opts.edit(body);
  const answer = await rawRequest(url, 'PUT', { ...signed.headers, 'content-length': String(body.length) }, body);
  return { status: answer.status, code: /<Code>([^<]+)<\/Code>/.exec(answer.body.toString())?.[1] ?? null };
}

/** A refused upload over `kept`: its error, with the previous object whole and no blob added. */
async function refused(mode: Mode, chunks: Buffer[], opts: Parameters<typeof put>[3]) {
  const blobs = await blobCount();
  const answer = await put('kept', mode, chunks, opts);
  expect((await getBytes(svc.client, Bucket, 'kept')).toString()).toBe('previous');
  expect(await blobCount()).toBe(blobs);
  return answer;
}

const chunks = [randomBytes(64 * KiB), randomBytes(64 * KiB), randomBytes(1000)];
const data = Buffer.concat(chunks);

describe('aws-chunked uploads', () => {
  it('stores what the JS SDK sends by default for a stream (unsigned chunks, CRC32 trailer)', async () => {
    const body = randomBytes(300 * KiB);
    await svc.client.send(new PutObjectCommand({ Bucket, Key: 'sdk', Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), ContentLength: body.length }));
    expect((await getBytes(svc.client, Bucket, 'sdk')).equals(body)).toBe(true);
    expect((await svc.client.send(new HeadObjectCommand({ Bucket, Key: 'sdk', ChecksumMode: 'ENABLED' }))).ChecksumCRC32).toBe(crc32Base64(body));
  });

  it('stores signed chunks, and signed chunks with a signed checksum trailer', async () => {
    expect(await put('signed', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', chunks)).toEqual({ status: 200, code: null });
    expect((await getBytes(svc.client, Bucket, 'signed')).equals(data)).toBe(true);
    const trailer = { 'x-amz-checksum-crc32': crc32Base64(data) };
    expect(await put('signed-trailer', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', chunks, { declare: 'x-amz-checksum-crc32', trailers: trailer })).toEqual({ status: 200, code: null });
    expect((await getBytes(svc.client, Bucket, 'signed-trailer')).equals(data)).toBe(true);
    expect((await svc.client.send(new HeadObjectCommand({ Bucket, Key: 'signed-trailer', ChecksumMode: 'ENABLED' }))).ChecksumCRC32).toBe(trailer['x-amz-checksum-crc32']);
  });

  it('refuses a wrong chunk signature or trailer signature with SignatureDoesNotMatch', async () => {
    // The second chunk's signature: one hex digit changed.
    const wrongChunk = (body: Buffer) => {
      const text = body.toString('latin1');
      const at = text.indexOf(';chunk-signature=', text.indexOf(';chunk-signature=') + 1) + ';chunk-signature='.length;
      return Buffer.from(text.slice(0, at) + (text[at] === '0' ? '1' : '0') + text.slice(at + 1), 'latin1');
    };
    expect(await refused('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', chunks, { edit: wrongChunk })).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    const wrongTrailer = (body: Buffer) => Buffer.from(body.toString('latin1').replace(/x-amz-trailer-signature:(.)/, (_, c: string) => `x-amz-trailer-signature:${c === '0' ? '1' : '0'}`), 'latin1');
    const trailers = { 'x-amz-checksum-crc32': crc32Base64(data) };
    expect(await refused('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', chunks, { declare: 'x-amz-checksum-crc32', trailers, edit: wrongTrailer })).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    // Chunk data changed under a valid signature.
    const flipped = (body: Buffer) => {
      const copy = Buffer.from(body);
      copy[copy.indexOf('\r\n') + 10]! ^= 1;
      return copy;
    };
    expect(await refused('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', chunks, { edit: flipped })).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  it('refuses a wrong trailer checksum with BadDigest', async () => {
    const wrong = { 'x-amz-checksum-crc32': crc32Base64(Buffer.from('something else')) };
    expect(await refused('STREAMING-UNSIGNED-PAYLOAD-TRAILER', chunks, { declare: 'x-amz-checksum-crc32', trailers: wrong })).toEqual({ status: 400, code: 'BadDigest' });
    expect(await refused('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', chunks, { declare: 'x-amz-checksum-crc32', trailers: wrong })).toEqual({ status: 400, code: 'BadDigest' });
  });

  it('refuses a declared trailer that never comes, and a trailer that was not declared, with MalformedTrailerError', async () => {
    const malformed = { status: 400, code: 'MalformedTrailerError' };
    expect(await refused('STREAMING-UNSIGNED-PAYLOAD-TRAILER', chunks, { declare: 'x-amz-checksum-crc32', trailers: null })).toEqual(malformed);
    expect(await refused('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', chunks, { declare: 'x-amz-checksum-crc32', trailers: {} })).toEqual(malformed);
    const wrong = { 'x-amz-checksum-crc32': crc32Base64(Buffer.from('corrupted')) };
    for (const declare of [undefined, '']) {
      expect(await refused('STREAMING-UNSIGNED-PAYLOAD-TRAILER', chunks, { declare, trailers: wrong })).toEqual(malformed);
    }
    expect(await refused('STREAMING-UNSIGNED-PAYLOAD-TRAILER', chunks, { declare: 'x-amz-checksum-crc32', trailers: { 'x-amz-checksum-sha256': createHash('sha256').update(data).digest('base64') } })).toEqual(malformed);
  });
});
