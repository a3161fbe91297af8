// Worker entry: the S3 endpoint, and the scheduled collector of replaced blobs.
import type { Bindings } from './env';
import { app, objectService } from './s3/app';

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(objectService(env).collectGarbage(Date.now()));
  },
} satisfies ExportedHandler<Bindings>;
