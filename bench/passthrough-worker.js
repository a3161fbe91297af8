// The baseline for the service: the least an S3 endpoint over one R2 binding must do for the JS SDK
// at its defaults, with no authentication, checksums, metadata or encryption. Path-style
// /bucket/key (the bucket is ignored); PUT (aws-chunked framing removed), GET/HEAD (Range on
// single-PUT objects), multipart create/part/complete, DELETE. Parts are stored as R2 objects of
// their own and read one after another, as the service stores them: local R2 serves its own
// multipart objects far slower than single objects, which would flatter the service.
// With COPY_THROUGH_JS set, GET bodies of single objects are read into JavaScript and written back
// out, the cheapest way measured and nothing more: the floor for any worker that must see the bytes
// (to decrypt them), which the bench reports beside the service.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
    const q = url.searchParams;
    const method = request.method;
    if (!key) return new Response(null); // CreateBucket, HeadBucket
    if (method === 'POST' && q.has('uploads')) {
      return xml(`<InitiateMultipartUploadResult><Key>${escape(key)}</Key><UploadId>${crypto.randomUUID()}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (method === 'PUT' && q.has('uploadId')) {
      const part = await env.BLOBS.put(partKey(q.get('uploadId'), q.get('partNumber')), sizedBody(request));
      return new Response(null, { headers: { etag: `"${part.etag}"` } });
    }
    if (method === 'POST' && q.has('uploadId')) {
      const text = await request.text();
      const numbers = [...text.matchAll(/<PartNumber>(\d+)</g)].map((m) => m[1]);
      const uploadId = q.get('uploadId');
      const sizes = await Promise.all(numbers.map(async (n) => (await env.BLOBS.head(partKey(uploadId, n))).size));
      // The part numbers, not their keys: R2 allows 2 KiB of custom metadata (64 keys would not fit).
      const object = await env.BLOBS.put(key, '', { customMetadata: { upload: uploadId, parts: numbers.join(','), size: String(sizes.reduce((a, b) => a + b, 0)) } });
      return xml(`<CompleteMultipartUploadResult><Key>${escape(key)}</Key><ETag>"${object.etag}"</ETag></CompleteMultipartUploadResult>`);
    }
    if (method === 'PUT') {
      const object = await env.BLOBS.put(key, sizedBody(request));
      return new Response(null, { headers: { etag: `"${object.etag}"` } });
    }
    if (method === 'DELETE') {
      await env.BLOBS.delete(key);
      return new Response(null, { status: 204 });
    }
    const ranged = request.headers.has('range');
    const object = method === 'HEAD' ? await env.BLOBS.head(key) : await env.BLOBS.get(key, ranged ? { range: request.headers } : undefined);
    if (!object) return new Response('<Error><Code>NoSuchKey</Code></Error>', { status: 404 });
    const parts = object.customMetadata?.parts;
    if (parts) {
      const headers = { etag: `"${object.etag}"`, 'content-length': object.customMetadata.size };
      const keys = parts.split(',').map((n) => partKey(object.customMetadata.upload, n));
      return new Response(method === 'HEAD' ? null : concatenated(env.BLOBS, keys), { headers });
    }
    const headers = { etag: `"${object.etag}"`, 'content-length': String(object.size) };
    if (ranged && object.range) {
      const { offset = 0, length = object.size - offset } = object.range;
      Object.assign(headers, { 'content-range': `bytes ${offset}-${offset + length - 1}/${object.size}`, 'content-length': String(length) });
    }
    const body = method === 'HEAD' ? null : env.COPY_THROUGH_JS ? copiedThroughJs(object.body, Number(headers['content-length'])) : object.body;
    return new Response(body, { status: ranged ? 206 : 200, headers });
  },
};

/**
 * The bodies of `keys`, one after another, each fetched when the one before has ended; piped
 * natively (an IdentityTransformStream: a JavaScript TransformStream would take every chunk
 * through JavaScript, which costs local workerd far more than the piping).
 */
function concatenated(bucket, keys) {
  const { readable, writable } = new IdentityTransformStream();
  (async () => {
    for (const key of keys) await (await bucket.get(key)).body.pipeTo(writable, { preventClose: true });
    await writable.close();
  })().catch((e) => writable.abort(e));
  return readable;
}

/** `body` read by BYOB in 1 MiB reads and written into a FixedLengthStream that reaches the response natively. */
function copiedThroughJs(body, length) {
  const READ = 1024 * 1024;
  const reader = body.getReader({ mode: 'byob' });
  const { readable, writable } = new FixedLengthStream(length);
  const writer = writable.getWriter();
  (async () => {
    for (;;) {
      const { value, done } = await reader.readAtLeast(READ, new Uint8Array(READ));
      if (value?.byteLength) await writer.write(value);
      if (done || !value || value.byteLength < READ) break;
    }
    await writer.close();
  })().catch((e) => writer.abort(e));
  return readable;
}

const partKey = (uploadId, partNumber) => `parts/${uploadId}/${partNumber}`;
const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const xml = (body) => new Response(`<?xml version="1.0" encoding="UTF-8"?>${body}`, { headers: { 'content-type': 'application/xml' } });

/** The request's payload as a stream of known length (R2 needs it), aws-chunked framing removed. */
function sizedBody(request) {
  const chunked = (request.headers.get('x-amz-content-sha256') ?? '').startsWith('STREAMING-');
  const length = Number(request.headers.get(chunked ? 'x-amz-decoded-content-length' : 'content-length'));
  const sized = new FixedLengthStream(length);
  (chunked ? request.body.pipeThrough(dechunk()) : request.body).pipeTo(sized.writable).catch(() => {});
  return sized.readable;
}

/** aws-chunked: `hex-size[;extensions]\r\n data \r\n`, ending with a 0-size chunk and trailers. */
function dechunk() {
  let header = []; // bytes of the size line being read
  let left = -1; // data bytes left in the current chunk; -1: reading a size line; -2: finished
  let skip = 0; // CRLF bytes after data
  return new TransformStream({
    transform(chunk, controller) {
      for (let at = 0; at < chunk.length && left !== -2; ) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - at);
          skip -= n;
          at += n;
        } else if (left > 0) {
          const n = Math.min(left, chunk.length - at);
          controller.enqueue(chunk.subarray(at, at + n));
          left -= n;
          at += n;
          if (left === 0) {
            left = -1;
            skip = 2;
          }
        } else {
          const byte = chunk[at++];
          if (byte !== 0x0a) header.push(byte);
          else {
            const size = parseInt(String.fromCharCode(...header).split(';')[0], 16);
            header = [];
            left = size > 0 ? size : -2; // trailers after the 0-size chunk are dropped
          }
        }
      }
    },
  });
}
