// One stored object, read back from its rows and blobs alone: its data key opened (KMS, bucket key
// or SSE-C key), its part list checked against parts_mac, every package of every blob authenticated,
// sizes, ETag and checksums compared with the row. Any failure is a Problem naming what failed.
import { createHasher } from './checksums.mjs';
import { FormatError, ciphertextSize, decryptStream } from './format.mjs';
import { KmsError } from './kms.mjs';
import { KeyError, bindingBytes, deriveKek, partKey, partsMac, sameBytes, ssecKeyFingerprint, unsealKey } from './keys.mjs';

/** kind: 'damaged' (fails authentication or disagrees with its rows), 'missing' (a blob is gone), 'unopenable' (no usable key). */
export class Problem extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const damaged = (what) => new Problem('damaged', what);
const bytes = (v) => (v === null || v === undefined ? null : Buffer.from(v));

/**
 * The object's plaintext, yielded only in authenticated packages; throws a Problem when anything
 * fails (after the bytes yielded so far: a consumer keeps nothing until the generator ends).
 * `sources`: { meta, blobs, kms, ssecKey(bucket, key), bucketKeys: Map }.
 */
export async function* objectPlaintext(row, sources) {
  const binding = { mode: row.sse_mode, bucket: row.bucket, key: row.key };
  if (row.format_version !== 1) throw new Problem('unopenable', `stream format version ${row.format_version} is not known to this tool`);
  const dataKey = await openDataKey(row, binding, sources);
  const inline = bytes(row.inline_data);
  const single = { blobId: row.blob_id, inline, where: inline ? 'inline stream' : `blob ${row.blob_id}`, size: row.size, key: dataKey, label: '' };
  const segments = row.parts_count === null ? [single] : partSegments(row, binding, dataKey, sources.meta);
  const aad = bindingBytes(binding);
  const md5s = [];
  const checks = checksumPlan(row);
  // SSE-C and SSE-KMS ETags are random (as in AWS), so only SSE-S3 ones are MD5s to compare.
  const etagged = row.sse_mode === 'SSE-S3';
  for (const segment of segments) {
    // A small object's stream may be kept in its row (inline_data) instead of a blob.
    const blob = segment.inline ? { size: segment.inline.length, chunks: (async function* () { yield segment.inline; })() } : await sources.blobs.open(segment.blobId);
    if (!blob) throw new Problem('missing', `${segment.label}${segment.where} is missing`);
    const expected = ciphertextSize(segment.size);
    if (blob.size !== expected) {
      discard(blob.chunks);
      throw damaged(`${segment.label}${segment.where} is ${blob.size} bytes, a ${segment.size}-byte stream is ${expected}`);
    }
    const md5 = etagged ? createHasher('MD5') : null;
    const part = checks.part?.();
    let n = 0;
    try {
      for await (const plain of decryptStream(blob.chunks, segment.key, aad)) {
        n += plain.length;
        if (n > segment.size) throw damaged(`${segment.label}stream is longer than the ${segment.size} bytes of its row`);
        md5?.update(plain);
        part?.update(plain);
        checks.whole?.update(plain);
        yield plain;
      }
    } catch (e) {
      if (e instanceof FormatError) throw damaged(`${segment.label}${segment.where}: ${e.message}`);
      throw e;
    }
    if (n !== segment.size) throw damaged(`${segment.label}stream holds ${n} bytes, its row says ${segment.size}`);
    if (md5) md5s.push(md5.digest());
    if (part && row.checksum_type === 'COMPOSITE') checks.partDigests.push(checkPart(part, segment));
  }
  if (etagged) checkEtag(row, segments, md5s);
  checkChecksum(row, checks);
}

/** Stops reading a blob: a file stream is destroyed, a fetch body cancelled. */
function discard(chunks) {
  if (typeof chunks.destroy === 'function') chunks.destroy();
  else chunks.cancel?.().catch(() => {});
}

async function openDataKey(row, binding, { kms, ssecKey, meta, bucketKeys }) {
  const sealed = bytes(row.sealed_key);
  if (row.sse_mode === 'SSE-C') {
    const clientKey = ssecKey(row.bucket, row.key);
    if (!clientKey) throw new Problem('unopenable', 'SSE-C object: no customer key for it in --ssec-keys');
    if (!sameBytes(ssecKeyFingerprint(clientKey, bytes(row.ssec_salt)), bytes(row.ssec_fingerprint))) {
      throw new Problem('unopenable', 'SSE-C object: the customer key given for it is not the one it was written with');
    }
    try {
      return unsealKey(deriveKek(clientKey, 'SSE-C', bindingBytes(binding)), sealed, binding);
    } catch (e) {
      if (e instanceof KeyError) throw damaged(`sealed data key does not open with its (matching) SSE-C key: ${e.message}`);
      throw e;
    }
  }
  try {
    if (row.bucket_key_id) {
      const bucketKey = await openBucketKey(row.bucket_key_id, row.bucket, { kms, meta, bucketKeys });
      try {
        return unsealKey(bucketKey, sealed, binding);
      } catch (e) {
        if (e instanceof KeyError) throw damaged(`sealed data key does not open under bucket key ${row.bucket_key_id}: ${e.message}`);
        throw e;
      }
    }
    if (!sealed || !row.kek_id) throw damaged('the row holds no sealed data key');
    return await kms.decrypt(row.kek_id, sealed, binding, row.kms_context ? JSON.parse(row.kms_context) : {});
  } catch (e) {
    if (e instanceof KmsError) throw new Problem('unopenable', e.message);
    throw e;
  }
}

async function openBucketKey(id, bucket, { kms, meta, bucketKeys }) {
  if (!bucketKeys.has(id)) {
    const row = meta.bucketKey(id);
    if (!row || row.bucket !== bucket) throw damaged(`bucket key ${id} is missing or belongs to another bucket`);
    // Bucket keys are bound to the bucket under the empty object key, without a client context.
    bucketKeys.set(id, kms.decrypt(row.kek_id, bytes(row.sealed_key), { mode: 'SSE-KMS', bucket, key: '' }, {}));
  }
  return bucketKeys.get(id);
}

/** The parts in object order, checked against parts_count, the object's size and parts_mac. */
function partSegments(row, binding, dataKey, meta) {
  const parts = meta.parts(row.bucket, row.key).map((p) => ({ ...p, salt: bytes(p.salt) }));
  if (parts.length !== row.parts_count) throw damaged(`part list: parts_count is ${row.parts_count}, ${parts.length} part rows`);
  parts.forEach((p, i) => {
    if (p.ordinal !== i + 1) throw damaged(`part list: ordinal ${i + 1} is missing`);
    if (i > 0 && p.part_number <= parts[i - 1].part_number) throw damaged(`part list: part numbers are not ascending at ordinal ${i + 1}`);
  });
  const size = parts.reduce((n, p) => n + p.size, 0);
  if (size !== row.size) throw damaged(`part list: the parts hold ${size} bytes, the object's row says ${row.size}`);
  const mac = bytes(row.parts_mac);
  if (mac) {
    const expected = partsMac(dataKey, binding, parts.map((p) => ({ partNumber: p.part_number, size: p.size, salt: p.salt })));
    if (!sameBytes(expected, mac)) throw damaged('part list: parts_mac does not match the part rows (a part row was removed, added, reordered or changed)');
  } else if (parts.some((p) => p.salt)) {
    throw damaged('part list: parts_mac is missing from a multipart object with salted parts');
  }
  return parts.map((p) => ({
    blobId: p.blob_id,
    where: `blob ${p.blob_id}`,
    size: p.size,
    etag: p.etag,
    checksum: p.checksum_value,
    key: partKey(dataKey, p.part_number, binding, p.salt),
    label: `part ${p.ordinal} (part number ${p.part_number}): `,
  }));
}

/** Hashers for the stored checksum: one over the whole object (FULL_OBJECT), or one per part (COMPOSITE). */
function checksumPlan(row) {
  const algorithm = row.checksum_algorithm;
  const plan = { partDigests: [] };
  if (!algorithm || !row.checksum_value) return plan;
  if (row.checksum_type === 'COMPOSITE') plan.part = () => createHasher(algorithm);
  else plan.whole = createHasher(algorithm);
  return plan;
}

function checkPart(hasher, segment) {
  const digest = hasher.digest();
  if (segment.checksum && digest.toString('base64') !== segment.checksum) throw damaged(`${segment.label}checksum ${digest.toString('base64')} differs from the stored ${segment.checksum}`);
  return digest;
}

function checkChecksum(row, plan) {
  if (!plan.whole && !plan.part) return;
  const algorithm = row.checksum_algorithm;
  let actual;
  if (plan.whole) actual = plan.whole.digest().toString('base64');
  else {
    const h = createHasher(algorithm);
    for (const d of plan.partDigests) h.update(d);
    actual = `${h.digest().toString('base64')}-${plan.partDigests.length}`;
  }
  if (actual !== row.checksum_value) throw damaged(`${algorithm} checksum ${actual} differs from the stored ${row.checksum_value}`);
}

/** The MD5 of the bytes, or of the part MD5s with "-N". */
function checkEtag(row, segments, md5s) {
  const etag = row.etag.replace(/"/g, '');
  if (row.parts_count === null) {
    if (md5s[0].toString('hex') !== etag) throw damaged(`ETag ${row.etag} is not the MD5 ${md5s[0].toString('hex')} of the bytes`);
    return;
  }
  segments.forEach((s, i) => {
    if (s.etag.replace(/"/g, '') !== md5s[i].toString('hex')) throw damaged(`${s.label}ETag ${s.etag} is not the MD5 ${md5s[i].toString('hex')} of its bytes`);
  });
  const h = createHasher('MD5');
  for (const m of md5s) h.update(m);
  const expected = `${h.digest().toString('hex')}-${md5s.length}`;
  if (etag !== expected) throw damaged(`ETag ${row.etag} is not "${expected}" of the parts`);
}
