// The service's own worker with its R2 binding wrapped to count what R2 returns to it. Runs beside
// the real service on the same bucket, so a range read of an object the service stored can be
// measured without instrumenting the timed path. GET /__r2-reads returns the counts and resets them.
import service from '../src/index';
import type { Bindings } from '../src/env';

let reads = { gets: 0, requestedBytes: 0, streamedBytes: 0 };

function counted(object: R2ObjectBody): R2ObjectBody {
  const range = object.range as { offset?: number; length?: number; suffix?: number } | undefined;
  reads.gets++;
  reads.requestedBytes += range?.length ?? range?.suffix ?? object.size - (range?.offset ?? 0);
  const body = object.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        reads.streamedBytes += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  const read = { body, arrayBuffer: () => new Response(body).arrayBuffer() } as Record<string | symbol, unknown>;
  return new Proxy(object, { get: (target, name) => (name in read ? read[name] : forward(target, name)) });
}

// Native methods check their receiver: call them on the wrapped object, not the proxy.
function forward(target: object, name: string | symbol): unknown {
  const value = Reflect.get(target, name);
  return typeof value === 'function' ? value.bind(target) : value;
}

function countingBucket(bucket: R2Bucket): R2Bucket {
  return new Proxy(bucket, {
    get(target, name) {
      if (name === 'get') {
        return async (key: string, options?: R2GetOptions) => {
          const object = await target.get(key, options);
          return object && 'body' in object ? counted(object) : object;
        };
      }
      return forward(target, name);
    },
  });
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/__r2-reads') {
      const answer = Response.json(reads);
      reads = { gets: 0, requestedBytes: 0, streamedBytes: 0 };
      return answer;
    }
    return service.fetch!(request, { ...env, BLOBS: countingBucket(env.BLOBS) }, ctx);
  },
} satisfies ExportedHandler<Bindings>;
