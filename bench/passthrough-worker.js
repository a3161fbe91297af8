// The baseline for the service's PUT and GET: the same workerd HTTP and R2 path with no S3
// parsing, authentication, checksums or encryption. Stores the body under the URL path.
export default {
  async fetch(request, env) {
    const key = new URL(request.url).pathname.slice(1);
    if (request.method === 'PUT') {
      // R2 needs the length of a streamed put up front, as in the service's BlobStore.put.
      const sized = new FixedLengthStream(Number(request.headers.get('content-length')));
      const [, stored] = await Promise.all([request.body.pipeTo(sized.writable), env.BLOBS.put(key, sized.readable)]);
      return new Response(null, { status: stored ? 200 : 500 });
    }
    const object = await env.BLOBS.get(key);
    return object ? new Response(object.body) : new Response(null, { status: 404 });
  },
};
