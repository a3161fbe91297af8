// MinIO KES API v1, the key routes: /v1/key/{create,delete,describe,generate,encrypt,decrypt}/{name}.
// JSON with base64 fields; errors {"message"} with KES's statuses. KES knows clients by their TLS
// certificate: a request without one verified by the dev CA is refused.
import { randomBytes } from 'node:crypto';
import { open, seal } from './keystore.mjs';

const ROUTE = /^\/v1\/key\/(create|delete|describe|generate|encrypt|decrypt)\/([^/]+)$/;
const METHODS = { create: 'POST', delete: 'DELETE', describe: 'GET', generate: 'POST', encrypt: 'POST', decrypt: 'POST' };

export const kes = {
  name: 'kes',
  matches: (url) => url.pathname.startsWith('/v1/key/'),
  failure: () => fail(503, 'keystore is unavailable'),
  handle,
};

function handle({ method, url, body, clientAuthorized, store }) {
  if (!clientAuthorized) return fail(403, 'not authorized: insufficient permissions');
  const route = ROUTE.exec(url.pathname);
  if (!route) return fail(404, 'not found');
  const [, operation, encodedName] = route;
  if (method !== METHODS[operation]) return fail(405, 'method not allowed');
  const name = decodeURIComponent(encodedName);
  if (operation === 'create') return store.create(name) ? ok() : fail(400, 'key already exists');
  const key = store.get(name);
  if (!key) return fail(404, 'key does not exist');
  if (operation === 'delete') {
    store.delete(name);
    return ok();
  }
  if (operation === 'describe') {
    return ok({ name, algorithm: 'AES256-GCM_SHA256', created_at: key.createdAt.toISOString(), created_by: 'edge-sse-dev-kms' });
  }
  let request;
  try {
    request = JSON.parse(body.toString('utf8') || '{}');
  } catch (e) {
    return fail(400, e.message);
  }
  const context = Buffer.from(request.context ?? '', 'base64');
  if (operation === 'generate') {
    const plaintext = randomBytes(32);
    return ok({ plaintext: plaintext.toString('base64'), ciphertext: wrap(key, plaintext, context) });
  }
  if (operation === 'encrypt') return ok({ ciphertext: wrap(key, Buffer.from(request.plaintext ?? '', 'base64'), context) });
  const ciphertext = Buffer.from(request.ciphertext ?? '', 'base64');
  const plaintext = ciphertext.length > 4 ? open(key, ciphertext.readUInt32BE(0), ciphertext.subarray(4), context) : null;
  return plaintext ? ok({ plaintext: plaintext.toString('base64') }) : fail(400, 'decryption failed: ciphertext is not authentic');
}

/** The ciphertext KES hands out: u32 key version | sealed, base64. */
function wrap(key, plaintext, context) {
  const { version, sealed } = seal(key, plaintext, context);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(version);
  return Buffer.concat([header, sealed]).toString('base64');
}

const ok = (json) => ({ status: 200, json });
const fail = (status, message) => ({ status, json: { message } });
