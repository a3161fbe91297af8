// Where the ciphertext blobs of a backup are: the local R2 state of `npm run dev` (Miniflare's
// layout), a directory holding a copy of the bucket (blob `blobs/<uuid>` at DIR/blobs/<uuid>), or
// any S3-compatible endpoint serving the R2 bucket. open(id) gives { size, chunks } or null.
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AwsClient } from 'aws4fetch';

const CHUNK = 1024 * 1024;

export function directoryBlobs(dir) {
  return {
    name: `directory ${dir}`,
    async open(id) {
      const file = join(dir, id);
      if (!existsSync(file)) return null;
      return { size: statSync(file).size, chunks: createReadStream(file, { highWaterMark: CHUNK }) };
    },
  };
}

/**
 * Miniflare's R2 persistence under a state root: r2/miniflare-R2BucketObject/<id>.sqlite maps each
 * key to a blob file r2/<bucket>/blobs/<blob_id>, or (an R2 multipart object, blob_id NULL) to its
 * parts in _mf_multipart_parts, read one after another.
 */
export function localR2Blobs(stateRoot) {
  const r2 = join(stateRoot, 'r2');
  const objectsDir = join(r2, 'miniflare-R2BucketObject');
  if (!existsSync(objectsDir)) throw new Error(`no local R2 state under ${r2}: run \`npm run dev\` first, or give --blobs or --s3-endpoint`);
  const dbs = readdirSync(objectsDir)
    .filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite')
    .map((f) => new DatabaseSync(join(objectsDir, f), { readOnly: true }));
  const blobDirs = readdirSync(r2).filter((d) => !d.startsWith('miniflare-')).map((d) => join(r2, d, 'blobs'));
  const blobFile = (blobId) => blobDirs.map((d) => join(d, blobId)).find((f) => existsSync(f)) ?? null;
  return {
    name: `local R2 state ${r2}`,
    async open(id) {
      for (const db of dbs) {
        const row = db.prepare('SELECT blob_id, size FROM _mf_objects WHERE key = ?').get(id);
        if (!row) continue;
        const files = row.blob_id !== null ? [row.blob_id] : db.prepare('SELECT blob_id FROM _mf_multipart_parts WHERE object_key = ? ORDER BY part_number').all(id).map((p) => p.blob_id);
        const paths = files.map(blobFile);
        // A blob file missing under a listed key is as good as a missing blob.
        if (paths.includes(null)) return null;
        return { size: row.size, chunks: concatFiles(paths) };
      }
      return null;
    },
  };
}

async function* concatFiles(paths) {
  for (const path of paths) yield* createReadStream(path, { highWaterMark: CHUNK });
}

/** The bucket on an S3-compatible endpoint (R2: https://<account>.r2.cloudflarestorage.com), path-style. */
export function s3Blobs({ endpoint, bucket, accessKeyId, secretAccessKey, region = 'auto' }) {
  if (!accessKeyId || !secretAccessKey) throw new Error('--s3-endpoint needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)');
  const client = new AwsClient({ accessKeyId, secretAccessKey, region, service: 's3', retries: 3 });
  const base = `${endpoint.replace(/\/+$/, '')}/${encodeURIComponent(bucket)}/`;
  return {
    name: `s3 ${base}`,
    async open(id) {
      const response = await client.fetch(base + id.split('/').map(encodeURIComponent).join('/'), { method: 'GET', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      if (!response.ok) throw new Error(`GET ${id} from ${base}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
      return { size: Number(response.headers.get('content-length')), chunks: response.body };
    },
  };
}
