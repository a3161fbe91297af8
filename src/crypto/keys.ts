// Key hierarchy for server-side encryption (docs/KEYS.md): every object has a random data key,
// stored only sealed under a key-encryption key (KEK) and bound to the object it belongs to.

export interface KeyBinding {
  mode: 'SSE-S3' | 'SSE-KMS' | 'SSE-C';
  bucket: string;
  key: string;
  kmsKeyId?: string;
}

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

const KEY_SIZE = 32;
const SEALED_VERSION = 1;
const NONCE_SIZE = 12;
// version u8 | nonce (12) | sealed data key (32) | tag (16)
const SEALED_SIZE = 1 + NONCE_SIZE + KEY_SIZE + 16;
// Versions the binding encoding, so a later field (e.g. part number) cannot collide with v1 bytes.
const BINDING_TAG = 'edge-sse binding v1';
const utf8 = new TextEncoder();

export function randomKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(KEY_SIZE));
}

/** Tag, mode, bucket, key, kmsKeyId ('' when absent), each as u32 BE byte length || UTF-8. */
export function bindingBytes(b: KeyBinding): Uint8Array {
  return lengthPrefixed([BINDING_TAG, b.mode, b.bucket, b.key, b.kmsKeyId ?? ''].map((s) => utf8.encode(s)));
}

export async function sealKey(kek: Uint8Array, dataKey: Uint8Array, binding: KeyBinding): Promise<Uint8Array> {
  if (dataKey.length !== KEY_SIZE) throw new RangeError('data key must be 32 bytes');
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_SIZE));
  const params = { name: 'AES-GCM', iv: nonce, additionalData: bindingBytes(binding) };
  const sealed = new Uint8Array(await crypto.subtle.encrypt(params, await aesKey(kek), dataKey));
  const out = new Uint8Array(SEALED_SIZE);
  out[0] = SEALED_VERSION;
  out.set(nonce, 1);
  out.set(sealed, 1 + NONCE_SIZE);
  return out;
}

export async function unsealKey(kek: Uint8Array, sealed: Uint8Array, binding: KeyBinding): Promise<Uint8Array> {
  if (sealed.length !== SEALED_SIZE || sealed[0] !== SEALED_VERSION) throw new KeyError('malformed sealed key');
  const params = { name: 'AES-GCM', iv: sealed.subarray(1, 1 + NONCE_SIZE), additionalData: bindingBytes(binding) };
  const key = await aesKey(kek);
  try {
    return new Uint8Array(await crypto.subtle.decrypt(params, key, sealed.subarray(1 + NONCE_SIZE)));
  } catch {
    throw new KeyError('sealed key does not open: wrong key or object');
  }
}

/** HMAC-SHA256 keyed by a per-object salt: recognises an SSE-C key without storing it. */
export async function ssecKeyFingerprint(clientKey: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  const hmac = await crypto.subtle.importKey('raw', salt, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', hmac, clientKey));
}

/** A part of a multipart object as its manifest names it, in object order. */
export interface ManifestPart {
  partNumber: number;
  size: number;
  /** The part attempt's salt; null for a part written before salts existed. */
  salt: Uint8Array | null;
}

/** u32be(count), then per part u32be(partNumber) || u64be(size) || u32be(len(salt)) || salt. */
export function manifestBytes(parts: ManifestPart[]): Uint8Array {
  const out = new Uint8Array(4 + parts.reduce((n, p) => n + 16 + (p.salt?.length ?? 0), 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, parts.length);
  let at = 4;
  for (const p of parts) {
    const salt = p.salt ?? new Uint8Array(0);
    view.setUint32(at, p.partNumber);
    view.setBigUint64(at + 4, BigInt(p.size));
    view.setUint32(at + 12, salt.length);
    out.set(salt, at + 16);
    at += 16 + salt.length;
  }
  return out;
}

/** HMAC-SHA256 of the manifest under the object's manifest key: the parts_mac of docs/KEYS.md. */
export async function manifestMac(manifestKey: Uint8Array, parts: ManifestPart[]): Promise<Uint8Array> {
  const hmac = await crypto.subtle.importKey('raw', manifestKey, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', hmac, manifestBytes(parts)));
}

/** HKDF-SHA256 (empty salt) with info = u32 BE length || label || context; 32 bytes out. */
export async function deriveKek(master: Uint8Array, label: string, context: Uint8Array): Promise<Uint8Array> {
  const ikm = await crypto.subtle.importKey('raw', master, 'HKDF', false, ['deriveBits']);
  const info = new Uint8Array([...lengthPrefixed([utf8.encode(label)]), ...context]);
  const params = { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info };
  return new Uint8Array(await crypto.subtle.deriveBits(params, ikm, KEY_SIZE * 8));
}

/** Compares in time independent of where the inputs differ (lengths are not secret). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function lengthPrefixed(fields: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(fields.reduce((n, f) => n + 4 + f.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of fields) {
    view.setUint32(at, f.length);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

function aesKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== KEY_SIZE) throw new RangeError('key-encryption key must be 32 bytes');
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}
