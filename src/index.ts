// Worker entry: the S3 endpoint, and the scheduled garbage collector and scrub.
import type { Bindings } from './env';
import { faultyEnv, withFaults } from './faults';
import { app, services } from './s3/app';
import { collectGarbage } from './service/gc';
import { SCRUB_CRON, scheduledScrub } from './service/scrub';
import { BlobStore } from './storage/blobs';
import { GcStateStore, MetadataStore } from './storage/metadata';
import { withOutageMarks } from './storage/outage';
import { UploadStore } from './storage/uploads';

const HOUR = 3600 * 1000;

export default {
  // A storage call's failure is known as such, to be answered 503 (src/storage/outage.ts).
  fetch: withFaults((request, env, ctx) => app.fetch(request, withOutageMarks(env), ctx)),
  async scheduled(controller, realEnv) {
    const env = faultyEnv(realEnv);
    if (controller.cron === SCRUB_CRON) {
      await scheduledScrub(services(env).scrubber, new GcStateStore(env.DB), controller.scheduledTime);
      return;
    }
    const stores = { meta: new MetadataStore(env.DB), uploads: new UploadStore(env.DB), gc: new GcStateStore(env.DB), blobs: new BlobStore(env.BLOBS) };
    const report = await collectGarbage(stores, controller.scheduledTime, Number(env.UPLOAD_MAX_AGE_HOURS || 168) * HOUR);
    console.log('gc', JSON.stringify(report));
  },
} satisfies ExportedHandler<Bindings>;
