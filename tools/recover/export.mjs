// `export`: each object that verifies completely, decrypted to OUT/<bucket>/<key>, with a sidecar
// OUT/_meta/<bucket>/<key>.json of its stored headers, metadata, checksums and SSE mode ("_" is not
// allowed in bucket names, so _meta is no bucket). Bytes go to a temporary file under OUT/_meta/.tmp
// and are renamed into place only once the whole object has authenticated and matched its ETag and
// checksum; the sidecar is written last, so a rerun skips what is complete and redoes the rest.
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Problem, objectPlaintext } from './objects.mjs';
import { Progress } from './progress.mjs';

export async function exportObjects(sources, filter, out) {
  const tmp = join(out, '_meta', '.tmp');
  rmSync(tmp, { recursive: true, force: true });
  // The export is plaintext: a new output directory is the operator's alone.
  mkdirSync(out, { recursive: true, mode: 0o700 });
  mkdirSync(tmp, { recursive: true });
  const totals = sources.meta.totals(filter);
  const progress = new Progress(totals);
  const counts = { exported: 0, skipped: 0, damaged: 0, missing: 0, unopenable: 0 };
  let n = 0;
  for (const row of sources.meta.objects(filter)) {
    const target = dataPath(out, row);
    const sidecarPath = join(out, '_meta', row.bucket, `${safeRelative(row.key) ?? encodeURIComponent(row.key)}.json`);
    const sidecar = describe(row, target);
    if (isComplete(sidecarPath, sidecar, target)) {
      counts.skipped++;
      progress.bytes(row.size);
      progress.object();
      continue;
    }
    const temp = join(tmp, String(n++));
    try {
      const file = createWriteStream(temp);
      try {
        for await (const plain of objectPlaintext(row, sources)) {
          progress.bytes(plain.length);
          if (!file.write(plain)) await new Promise((resolve) => file.once('drain', resolve));
        }
      } finally {
        file.end();
        await finished(file);
      }
      mkdirSync(dirname(target), { recursive: true });
      renameSync(temp, target);
      mkdirSync(dirname(sidecarPath), { recursive: true });
      writeFileSync(`${temp}.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
      renameSync(`${temp}.json`, sidecarPath);
      counts.exported++;
    } catch (e) {
      rmSync(temp, { force: true });
      if (!(e instanceof Problem)) throw e;
      counts[e.kind]++;
      progress.println(`${e.kind}: bucket ${row.bucket} key ${JSON.stringify(row.key)}: ${e.message} (not exported)`);
    }
    progress.object();
  }
  progress.done();
  rmSync(tmp, { recursive: true, force: true });
  const { exported, skipped, damaged, missing, unopenable } = counts;
  console.log(`exported ${exported} objects to ${out} (${skipped} already there): ${damaged} damaged, ${missing} missing, ${unopenable} unopenable`);
  return damaged + missing + unopenable === 0 ? 0 : 1;
}

/**
 * OUT/<bucket>/<key>, when the key is a plain relative path that does not collide with another
 * object's file or directory; otherwise OUT/<bucket>/<percent-encoded key> (the sidecar keeps the key).
 */
function dataPath(out, row) {
  const relative = safeRelative(row.key);
  if (relative !== null) {
    const path = join(out, row.bucket, relative);
    const parents = relative.split('/').slice(0, -1).map((_, i, all) => join(out, row.bucket, ...all.slice(0, i + 1)));
    const blocked = parents.some((p) => existsSync(p) && !statSync(p).isDirectory()) || (existsSync(path) && statSync(path).isDirectory());
    if (!blocked) return path;
  }
  return join(out, row.bucket, encodeURIComponent(row.key));
}

/** The key as a relative path, or null when it has empty, "." or ".." segments (or would not be a file). */
function safeRelative(key) {
  const segments = key.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) return null;
  return segments.join('/');
}

function describe(row, target) {
  const headers = {
    'content-type': row.content_type,
    'cache-control': row.cache_control,
    'content-disposition': row.content_disposition,
    'content-encoding': row.content_encoding,
    'content-language': row.content_language,
    expires: row.expires,
  };
  return {
    bucket: row.bucket,
    key: row.key,
    file: target,
    size: row.size,
    etag: row.etag,
    lastModified: new Date(row.last_modified).toISOString(),
    headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== null && v !== undefined)),
    userMetadata: JSON.parse(row.user_metadata || '{}'),
    checksum: row.checksum_algorithm ? { algorithm: row.checksum_algorithm, value: row.checksum_value, type: row.checksum_type } : null,
    sse: {
      mode: row.sse_mode,
      ...(row.sse_mode === 'SSE-C' ? {} : { kmsKeyId: row.kek_id }),
      ...(row.kms_context ? { context: JSON.parse(row.kms_context) } : {}),
      ...(row.bucket_key_id ? { bucketKeyId: row.bucket_key_id } : {}),
    },
    parts: row.parts_count,
  };
}

/** Exported by an earlier run: the sidecar describes this very version and its file is whole. */
function isComplete(sidecarPath, sidecar, target) {
  if (!existsSync(sidecarPath) || !existsSync(target)) return false;
  try {
    const earlier = JSON.parse(readFileSync(sidecarPath, 'utf8'));
    return earlier.etag === sidecar.etag && earlier.lastModified === sidecar.lastModified && earlier.file === target && statSync(target).size === sidecar.size;
  } catch {
    return false;
  }
}
