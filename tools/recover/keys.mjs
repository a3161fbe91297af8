// The key hierarchy of docs/KEYS.md, written from the document (not from src/): bindings, HKDF
// key derivation, sealed data keys, SSE-C fingerprints, part stream keys and the parts manifest.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const utf8 = new TextEncoder();

export class KeyError extends Error {}

/** u32be(len) ‖ bytes for each field. */
export function lengthPrefixed(fields) {
  return Buffer.concat(fields.flatMap((f) => [u32be(f.length), Buffer.from(f)]));
}

export function u32be(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function u64be(n) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** bindingBytes({ mode, bucket, key, kmsKeyId }): the HKDF context, seal AAD and stream AAD. */
export function bindingBytes({ mode, bucket, key, kmsKeyId = '' }) {
  return lengthPrefixed(['edge-sse binding v1', mode, bucket, key, kmsKeyId].map((s) => utf8.encode(s)));
}

/** HKDF-SHA256, IKM = master, empty salt, info = u32be(len(label)) ‖ label ‖ context, 32 bytes. */
export function deriveKek(master, label, context) {
  const info = Buffer.concat([lengthPrefixed([utf8.encode(label)]), Buffer.from(context)]);
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
}

/** 0x01 ‖ nonce(12) ‖ AES-256-GCM(kek, nonce, aad = binding, D) ‖ tag(16): 61 bytes. */
export function unsealKey(kek, sealed, binding) {
  sealed = Buffer.from(sealed);
  if (sealed.length !== 61 || sealed[0] !== 1) throw new KeyError('malformed sealed key');
  try {
    const d = createDecipheriv('aes-256-gcm', kek, sealed.subarray(1, 13));
    d.setAAD(bindingBytes(binding));
    d.setAuthTag(sealed.subarray(45));
    return Buffer.concat([d.update(sealed.subarray(13, 45)), d.final()]);
  } catch {
    throw new KeyError('sealed key does not open: wrong key or object');
  }
}

/** The inverse of unsealKey, for tests that build damaged or foreign rows. */
export function sealKey(kek, dataKey, binding, nonce) {
  const c = createCipheriv('aes-256-gcm', kek, nonce);
  c.setAAD(bindingBytes(binding));
  const body = Buffer.concat([c.update(dataKey), c.final()]);
  return Buffer.concat([Buffer.from([1]), nonce, body, c.getAuthTag()]);
}

/** HMAC-SHA256(key = salt, message = client key). */
export function ssecKeyFingerprint(clientKey, salt) {
  return createHmac('sha256', salt).update(clientKey).digest();
}

export const sameBytes = (a, b) => a.length === b.length && timingSafeEqual(a, b);

/** partKey = deriveKek(D, "part N", binding ‖ partSalt); legacy parts (salt null) without the salt. */
export function partKey(dataKey, partNumber, binding, salt) {
  return deriveKek(dataKey, `part ${partNumber}`, salt ? Buffer.concat([bindingBytes(binding), salt]) : bindingBytes(binding));
}

/** parts_mac = HMAC-SHA256(deriveKek(D, "parts manifest", binding), manifest of the parts in order). */
export function partsMac(dataKey, binding, parts) {
  const manifest = [u32be(parts.length)];
  for (const p of parts) {
    const salt = p.salt ?? Buffer.alloc(0);
    manifest.push(u32be(p.partNumber), u64be(p.size), u32be(salt.length), salt);
  }
  return createHmac('sha256', deriveKek(dataKey, 'parts manifest', bindingBytes(binding))).update(Buffer.concat(manifest)).digest();
}

/** docs/KMS.md: the pairs sorted by name (UTF-16 code units), compact JSON, UTF-8. */
export function encryptionContext({ mode, bucket, key }, clientContext = {}) {
  const pairs = Object.entries(clientContext ?? {});
  pairs.push(['edge-sse:bucket', bucket], ['edge-sse:key', key], ['edge-sse:mode', mode]);
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function canonicalContext(pairs) {
  return Buffer.from(`{${pairs.map(([n, v]) => `${JSON.stringify(n)}:${JSON.stringify(v)}`).join(',')}}`);
}
