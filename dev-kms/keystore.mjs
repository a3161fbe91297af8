// The development KMS's keys, in memory (optionally saved to a JSON file so a restart keeps them):
// one store for all three protocols, so a key deleted through KES is gone for AWS and Vault too.
// Every version of a key is 32 random bytes; data keys are wrapped with AES-256-GCM, the context
// as associated data, so a context mismatch fails as it does on a real KMS.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** state: 'enabled' | 'disabled' | 'pending-deletion' (AWS); derived and deletionAllowed are Vault's. */
function newKey(name, { derived = true } = {}) {
  return { name, versions: [randomBytes(32)], state: 'enabled', createdAt: new Date(), derived, deletionAllowed: false };
}

export class KeyStore {
  #keys = new Map();
  #file;

  /** `file`: where the keys are saved and loaded from; none keeps them in memory only. */
  constructor(file) {
    this.#file = file;
    if (file && existsSync(file)) {
      for (const k of JSON.parse(readFileSync(file, 'utf8'))) {
        this.#keys.set(k.name, { ...k, versions: k.versions.map((v) => Buffer.from(v, 'base64')), createdAt: new Date(k.createdAt) });
      }
    }
  }

  get(name) {
    return this.#keys.get(name);
  }

  names() {
    return [...this.#keys.keys()];
  }

  /** False when the name is taken. */
  create(name, options) {
    if (this.#keys.has(name)) return false;
    this.#keys.set(name, newKey(name, options));
    this.#save();
    return true;
  }

  delete(name) {
    const deleted = this.#keys.delete(name);
    this.#save();
    return deleted;
  }

  /** Applies `change` to the key and saves. */
  update(name, change) {
    change(this.#keys.get(name));
    this.#save();
  }

  #save() {
    if (!this.#file) return;
    const keys = [...this.#keys.values()].map((k) => ({ ...k, versions: k.versions.map((v) => v.toString('base64')) }));
    writeFileSync(this.#file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  }
}

/**
 * Seals with the key's newest version: returns it and nonce(12) | ciphertext | tag(16).
 * `derivation` (Vault's derived keys): the version's material is first run through HKDF with it.
 */
export function seal(key, plaintext, aad = Buffer.alloc(0), derivation) {
  const version = key.versions.length;
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', material(key, version, derivation), nonce).setAAD(aad);
  return { version, sealed: Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]) };
}

/** The plaintext, or null when `sealed` does not open (wrong key, version, context or bytes). */
export function open(key, version, sealed, aad = Buffer.alloc(0), derivation) {
  if (!Number.isInteger(version) || version < 1 || version > key.versions.length || sealed.length < 28) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', material(key, version, derivation), sealed.subarray(0, 12)).setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
  } catch {
    return null;
  }
}

function material(key, version, derivation) {
  const raw = key.versions[version - 1];
  return derivation ? Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), derivation, 32)) : raw;
}
