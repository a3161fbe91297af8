#!/usr/bin/env node
// `npm run recover -- <verify|export|list> [options]`: edge-sse's stored objects without the service,
// from a backup of its D1 metadata, its R2 blobs and its keys. A second implementation of
// docs/FORMAT.md and docs/KEYS.md (nothing here imports src/); docs/RECOVERY.md is the procedure.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { directoryBlobs, localR2Blobs, s3Blobs } from './blobs.mjs';
import { exportObjects } from './export.mjs';
import { builtinKms, externalKms, parseMasterKeys } from './kms.mjs';
import { findLocalD1, openMetadata } from './metadata.mjs';
import { Problem, objectPlaintext } from './objects.mjs';
import { Progress } from './progress.mjs';
import { ssecKeyLookup } from './ssec-keys.mjs';

const USAGE = `usage: npm run recover -- <command> [options]

commands:
  verify                 authenticate every object (keys, part lists, every package, sizes, ETags,
                         checksums); writes no plaintext; exit 0 only when nothing is wrong
  export --out DIR       decrypt objects to DIR/<bucket>/<key>, sidecars in DIR/_meta/<bucket>/<key>.json;
                         resumable; only objects that verify completely are written
  list                   buckets, objects, sizes, SSE modes and KMS key ids of the backup

sources (defaults: the local state of \`npm run dev\` in this checkout and its .dev.vars):
  --state DIR            wrangler/Miniflare state root (default .wrangler/state/v3)
  --db FILE              metadata: a D1 SQLite file, or a \`wrangler d1 export\` .sql file
  --blobs DIR            blobs from a directory holding a copy of the R2 bucket (DIR/blobs/<uuid>)
  --s3-endpoint URL      blobs from an S3-compatible endpoint (R2's S3 API), with --s3-bucket NAME,
                         --s3-region (default auto), S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY
  --env-file FILE        worker variables (MASTER_KEY, KMS_BACKEND, KMS_ENDPOINT, AWS_KMS_*, VAULT_*);
                         default .dev.vars; the environment overrides the file
  --kms-ca/--kms-cert/--kms-key FILE   TLS for an external KMS (a private CA; KES client certificate)
  --ssec-keys FILE       SSE-C keys: JSON {"bucket/key": "<base64 key>", "bucket/prefix*": "…"}
  --bucket B, --prefix P only these objects`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    state: { type: 'string', default: '.wrangler/state/v3' },
    db: { type: 'string' },
    blobs: { type: 'string' },
    's3-endpoint': { type: 'string' },
    's3-bucket': { type: 'string', default: 'edge-sse-blobs' },
    's3-region': { type: 'string', default: 'auto' },
    'env-file': { type: 'string' },
    'kms-ca': { type: 'string' },
    'kms-cert': { type: 'string' },
    'kms-key': { type: 'string' },
    'ssec-keys': { type: 'string' },
    bucket: { type: 'string' },
    prefix: { type: 'string', default: '' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const command = positionals[0];
if (values.help || !['verify', 'export', 'list'].includes(command)) {
  console.error(USAGE);
  process.exit(values.help ? 0 : 2);
}

try {
  process.exitCode = await run(command);
} catch (e) {
  console.error(`recover: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 2;
}

async function run(command) {
  const meta = openMetadata(values.db ?? findLocalD1(values.state));
  const filter = { bucket: values.bucket ?? null, prefix: values.prefix };
  if (command === 'list') return list(meta, filter);
  const sources = { meta, blobs: blobSource(), kms: kmsSource(), ssecKey: ssecKeyLookup(values['ssec-keys']), bucketKeys: new Map() };
  if (command === 'verify') return verify(sources, filter);
  if (!values.out) throw new Error('export needs --out DIR');
  return exportObjects(sources, filter, values.out);
}

function blobSource() {
  if (values.blobs) return directoryBlobs(values.blobs);
  if (values['s3-endpoint']) {
    return s3Blobs({
      endpoint: values['s3-endpoint'],
      bucket: values['s3-bucket'],
      region: values['s3-region'],
      accessKeyId: process.env.S3_ACCESS_KEY_ID ?? process.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? process.env.AWS_SECRET_ACCESS_KEY,
    });
  }
  return localR2Blobs(values.state);
}

/** The worker's variables: --env-file (default .dev.vars), overridden by the environment. */
function kmsSource() {
  const file = values['env-file'] ?? (existsSync('.dev.vars') ? '.dev.vars' : null);
  const vars = file ? dotenv(readFileSync(file, 'utf8')) : {};
  for (const [k, v] of Object.entries(process.env)) if (/^(MASTER_KEY|KMS_|AWS_KMS_|VAULT_)/.test(k)) vars[k] = v;
  const backend = vars.KMS_BACKEND?.trim() || 'builtin';
  if (backend === 'builtin') {
    if (!vars.MASTER_KEY) throw new Error('no MASTER_KEY: set it in the environment or give --env-file (default .dev.vars)');
    return builtinKms(parseMasterKeys(vars.MASTER_KEY));
  }
  return externalKms({ ...vars, KMS_BACKEND: backend }, { ca: values['kms-ca'], cert: values['kms-cert'], key: values['kms-key'] });
}

function dotenv(text) {
  const vars = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
  }
  return vars;
}

async function verify(sources, filter) {
  const totals = sources.meta.totals(filter);
  const progress = new Progress(totals);
  const counts = { damaged: 0, missing: 0, unopenable: 0 };
  for (const row of sources.meta.objects(filter)) {
    try {
      for await (const plain of objectPlaintext(row, sources)) progress.bytes(plain.length);
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      counts[e.kind]++;
      progress.println(`${e.kind}: bucket ${row.bucket} key ${JSON.stringify(row.key)}: ${e.message}`);
    }
    progress.object();
  }
  progress.done();
  console.log(`verified ${totals.count} objects (${totals.bytes} bytes): ${counts.damaged} damaged, ${counts.missing} missing, ${counts.unopenable} unopenable`);
  return counts.damaged + counts.missing + counts.unopenable === 0 ? 0 : 1;
}

function list(meta, filter) {
  for (const b of meta.buckets()) {
    if (filter.bucket && b.name !== filter.bucket) continue;
    const enc = b.encryption ? JSON.parse(b.encryption) : null;
    console.log(`bucket ${b.name}\tcreated ${new Date(b.created_at).toISOString()}\tdefault ${enc ? `${enc.algorithm}${enc.kmsMasterKeyId ? ` ${enc.kmsMasterKeyId}` : ''}` : 'AES256'}`);
  }
  console.log(['bucket', 'key', 'size', 'sse', 'kms-key-id', 'parts', 'etag', 'last-modified'].join('\t'));
  let count = 0;
  let bytes = 0;
  for (const r of meta.objects(filter)) {
    count++;
    bytes += r.size;
    const keyId = r.sse_mode === 'SSE-C' ? '-' : `${r.kek_id ?? '-'}${r.bucket_key_id ? ` (bucket key ${r.bucket_key_id})` : ''}`;
    console.log([r.bucket, JSON.stringify(r.key), r.size, r.sse_mode, keyId, r.parts_count ?? '-', r.etag, new Date(r.last_modified).toISOString()].join('\t'));
  }
  const uploads = meta.uploads().filter((u) => (!filter.bucket || u.bucket === filter.bucket) && u.key.startsWith(filter.prefix));
  console.log(`${count} objects (${bytes} bytes); ${uploads.length} multipart uploads in progress (not objects: not exported)`);
  return 0;
}
