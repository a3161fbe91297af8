// Garbage collection, run by the cron trigger (and on demand in tests): deletes trashed blobs past
// their grace period that no row refers to (checked at deletion time), aborts uploads older than the configured age, and trashes blobs that no row
// refers to (left by a write that died between storing its blob and committing its row). Each
// step is paged and idempotent. A blob is only ever deleted after a grace period in the trash, and
// an orphan is only trashed once it is older than that period, so a blob whose commit is in
// flight (written moments ago) is never touched.
import type { BlobStore } from '../storage/blobs';
import type { GcStateStore, MetadataStore } from '../storage/metadata';
import type { UploadStore } from '../storage/uploads';

/** How long a blob waits in the trash (GETs that already hold its row can finish). */
export const TRASH_GRACE_MS = 15 * 60 * 1000;
/** How long a completed upload is remembered, so that a retried CompleteMultipartUpload gets the same answer. */
export const COMPLETED_UPLOAD_MEMORY_MS = 24 * 3600 * 1000;
const PAGE = 1000;
export const SWEEP_CURSOR = 'orphan-sweep-cursor';

export interface GcReport {
  deleted: number;
  /** Trashed blobs found still referenced by a row at deletion time, and so kept. */
  keptReferenced: number;
  abortedUploads: number;
  orphansTrashed: number;
  forgottenCompletions: number;
}

export async function collectGarbage(
  stores: { meta: MetadataStore; uploads: UploadStore; gc: GcStateStore; blobs: BlobStore },
  now: number,
  uploadMaxAgeMs: number,
): Promise<GcReport> {
  const { meta, uploads, gc, blobs } = stores;
  const expired = await meta.expiredTrash(now - TRASH_GRACE_MS, PAGE);
  if (expired.kept.length) console.warn('gc: kept trashed blobs that rows still refer to', JSON.stringify(expired.kept));
  await blobs.delete(expired.deletable);
  await meta.forgetTrash(expired.deletable);

  const stale = await uploads.initiatedBefore(now - uploadMaxAgeMs, 100);
  for (const id of stale) await uploads.abort(id, now);

  const page = await blobs.list((await gc.get(SWEEP_CURSOR)) ?? undefined, PAGE);
  const old = page.blobs.filter((b) => b.uploaded < now - TRASH_GRACE_MS).map((b) => b.id);
  const orphans = await gc.unreferenced(old);
  await meta.trashBlobs(orphans, now);
  await gc.set(SWEEP_CURSOR, page.cursor ?? null);

  const forgottenCompletions = await uploads.forgetCompletedBefore(now - COMPLETED_UPLOAD_MEMORY_MS);

  return { deleted: expired.deletable.length, keptReferenced: expired.kept.length, abortedUploads: stale.length, orphansTrashed: orphans.length, forgottenCompletions };
}
