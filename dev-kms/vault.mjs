// HashiCorp Vault / OpenBao transit, under /v1/<mount>/: datakey, encrypt, decrypt, rewrap, and
// keys/{name} (read, create, delete, config, rotate). X-Vault-Token must be the configured token.
// Keys made here are derived (derived=true) unless created otherwise: `context` feeds HKDF, so a
// context mismatch fails authentication; `associated_data` is the AEAD's associated data.
import { randomBytes, randomUUID } from 'node:crypto';
import { open, seal } from './keystore.mjs';

const CIPHERTEXT = /^vault:v(\d+):([A-Za-z0-9+/=]+)$/;

export function vault({ mount, token }) {
  const prefix = `/v1/${mount}/`;
  return {
    name: 'vault',
    matches: (url) => url.pathname.startsWith(prefix),
    failure: () => fail(503, 'Vault is sealed'),
    handle: (request) => (request.headers['x-vault-token'] === token ? route(request, request.url.pathname.slice(prefix.length)) : fail(403, 'permission denied')),
  };
}

function route({ method, body, store }, path) {
  let request;
  try {
    request = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    return fail(400, 'failed to parse JSON input');
  }
  const [operation, ...rest] = path.split('/').map(decodeURIComponent);
  if (operation === 'keys') return keys(method, rest, request, store);
  const name = operation === 'datakey' ? rest[1] : rest[0];
  if (method !== 'POST' || !name) return fail(405, 'unsupported operation');
  // encrypt, like Vault with the create capability, creates a missing key (derived when given a context).
  if (operation === 'encrypt' && !store.get(name)) store.create(name, { derived: Boolean(request.context) });
  const key = store.get(name);
  if (!key) return fail(400, 'encryption key not found');
  const crypto = cryptoParams(key, request);
  if (crypto.error) return fail(400, crypto.error);
  switch (operation) {
    case 'datakey': {
      const plaintext = randomBytes(32);
      const data = { ciphertext: wrap(key, plaintext, crypto), key_version: key.versions.length };
      if (rest[0] === 'plaintext') data.plaintext = plaintext.toString('base64');
      return rest[0] === 'plaintext' || rest[0] === 'wrapped' ? ok(data) : fail(400, "Invalid path, must be 'plaintext' or 'wrapped'");
    }
    case 'encrypt':
      return ok({ ciphertext: wrap(key, Buffer.from(request.plaintext ?? '', 'base64'), crypto), key_version: key.versions.length });
    case 'decrypt': {
      const plaintext = unwrap(key, request.ciphertext, crypto);
      return typeof plaintext === 'string' ? fail(400, plaintext) : ok({ plaintext: plaintext.toString('base64') });
    }
    case 'rewrap': {
      const plaintext = unwrap(key, request.ciphertext, crypto);
      return typeof plaintext === 'string' ? fail(400, plaintext) : ok({ ciphertext: wrap(key, plaintext, crypto), key_version: key.versions.length });
    }
    default:
      return fail(405, 'unsupported operation');
  }
}

function keys(method, [name, action], request, store) {
  const key = store.get(name);
  if (method === 'GET' && !action) return key ? ok(describe(key)) : { status: 404, json: { errors: [] } };
  if (method === 'POST' && !action) {
    store.create(name, { derived: request.derived === true });
    return { status: 204 };
  }
  if (!key) return fail(400, 'encryption key not found');
  if (method === 'POST' && action === 'config') {
    store.update(name, (k) => {
      if (typeof request.deletion_allowed === 'boolean') k.deletionAllowed = request.deletion_allowed;
    });
    return { status: 204 };
  }
  if (method === 'POST' && action === 'rotate') {
    store.update(name, (k) => k.versions.push(randomBytes(32)));
    return { status: 204 };
  }
  if (method === 'DELETE' && !action) {
    if (!key.deletionAllowed) return fail(400, 'deletion is not allowed for this key');
    store.delete(name);
    return { status: 204 };
  }
  return fail(405, 'unsupported operation');
}

function describe(key) {
  const versions = Object.fromEntries(key.versions.map((_, i) => [String(i + 1), Math.floor(key.createdAt.getTime() / 1000)]));
  return {
    name: key.name,
    type: 'aes256-gcm96',
    derived: key.derived,
    deletion_allowed: key.deletionAllowed,
    exportable: false,
    keys: versions,
    latest_version: key.versions.length,
    min_decryption_version: 1,
    min_encryption_version: 0,
    supports_encryption: true,
    supports_decryption: true,
    supports_derivation: true,
    supports_signing: false,
  };
}

/** HKDF input and AEAD associated data of one request, or the error Vault gives. */
function cryptoParams(key, request) {
  const context = request.context ? Buffer.from(request.context, 'base64') : null;
  if (key.derived && !context) {
    return { error: "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key" };
  }
  // A key that is not derived ignores the context, as Vault does.
  return { derivation: key.derived ? context : undefined, aad: Buffer.from(request.associated_data ?? '', 'base64') };
}

function wrap(key, plaintext, { derivation, aad }) {
  const { version, sealed } = seal(key, plaintext, aad, derivation);
  return `vault:v${version}:${sealed.toString('base64')}`;
}

/** The plaintext, or Vault's error message. */
function unwrap(key, ciphertext, { derivation, aad }) {
  const parts = CIPHERTEXT.exec(ciphertext ?? '');
  if (!parts) return 'invalid ciphertext: no prefix';
  return open(key, Number(parts[1]), Buffer.from(parts[2], 'base64'), aad, derivation) ?? 'cipher: message authentication failed';
}

const ok = (data) => ({ status: 200, json: { request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null } });
const fail = (status, message) => ({ status, json: { errors: [message] } });
