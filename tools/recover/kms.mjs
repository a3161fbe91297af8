// Opening sealed data keys without the service: the built-in KMS's MASTER_KEY sealing, and the
// decrypt calls of KES, AWS KMS and Vault/OpenBao transit (docs/KMS.md), each spoken directly.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { AwsClient } from 'aws4fetch';
import { KeyError, bindingBytes, canonicalContext, deriveKek, encryptionContext, unsealKey } from './keys.mjs';

/** A key that cannot be opened: `kind` is 'not-authentic' (wrong key or damaged seal) or 'unavailable' (no key, no KMS, no access). */
export class KmsError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** MASTER_KEY: `name:base64(32 bytes)`, comma-separated. */
export function parseMasterKeys(value) {
  const keys = new Map();
  for (const entry of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (colon <= 0 || key.length !== 32) throw new Error('MASTER_KEY is malformed: expected name:base64 of 32 bytes, comma-separated');
    keys.set(entry.slice(0, colon), key);
  }
  return keys;
}

/** The MASTER_KEY= line of a dotenv file such as .dev.vars, or the file's whole content. */
export function masterKeyFromFile(path) {
  const text = readFileSync(path, 'utf8');
  const line = /^MASTER_KEY\s*=\s*"?([^"\n]*)"?\s*$/m.exec(text);
  return line ? line[1] : text.trim();
}

/** The built-in KMS: KEK = HKDF(M, "SSE-S3", binding [‖ canonical context when the client gave pairs]). */
export function builtinKms(masterKeys) {
  return {
    name: 'built-in (MASTER_KEY)',
    async decrypt(keyId, sealed, binding, clientContext) {
      const master = masterKeys.get(keyId);
      if (!master) throw new KmsError('unavailable', `master key '${keyId}' is not in MASTER_KEY`);
      const context = Object.keys(clientContext ?? {}).length
        ? Buffer.concat([bindingBytes(binding), canonicalContext(encryptionContext(binding, clientContext))])
        : bindingBytes(binding);
      try {
        return unsealKey(deriveKek(master, 'SSE-S3', context), sealed, binding);
      } catch (e) {
        if (e instanceof KeyError) throw new KmsError('not-authentic', `sealed data key does not open under master key '${keyId}' (wrong MASTER_KEY, or a damaged row)`);
        throw e;
      }
    },
  };
}

/**
 * An external KMS from the worker's own variable names (docs/KMS.md): KMS_BACKEND = kes | aws | vault,
 * KMS_ENDPOINT, AWS_KMS_*, VAULT_*; TLS files in `tls` ({ ca, cert, key } paths) for a private CA or KES.
 */
export function externalKms(env, tls = {}) {
  const backend = env.KMS_BACKEND;
  const endpoint = required(env, 'KMS_ENDPOINT', backend !== 'aws').replace(/\/+$/, '');
  const agentOptions = Object.fromEntries(Object.entries(tls).filter(([, v]) => v).map(([k, v]) => [k, readFileSync(v)]));
  const post = (url, headers, body) => request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, ...agentOptions });
  const b64 = (bytes) => Buffer.from(bytes).toString('base64');
  const context = (binding, clientContext) => b64(canonicalContext(encryptionContext(binding, clientContext)));
  switch (backend) {
    case 'kes':
      return {
        name: `KES at ${endpoint}`,
        async decrypt(keyId, sealed, binding, clientContext) {
          const what = `KES decrypt ${keyId}`;
          const answer = await post(`${endpoint}/v1/key/decrypt/${encodeURIComponent(keyId)}`, {}, JSON.stringify({ ciphertext: b64(sealed), context: context(binding, clientContext) }));
          return plaintextOf(answer, what, (j) => j.plaintext, answer.status === 400);
        },
      };
    case 'vault': {
      const mount = (env.VAULT_TRANSIT_MOUNT || 'transit').replace(/^\/+|\/+$/g, '');
      const headers = { 'x-vault-token': required(env, 'VAULT_TOKEN') };
      if (env.VAULT_NAMESPACE) headers['x-vault-namespace'] = env.VAULT_NAMESPACE;
      return {
        name: `Vault transit at ${endpoint}/v1/${mount}`,
        async decrypt(keyId, sealed, binding, clientContext) {
          const what = `Vault decrypt ${keyId}`;
          const body = JSON.stringify({ ciphertext: Buffer.from(sealed).toString('utf8'), context: context(binding, clientContext) });
          const answer = await post(`${endpoint}/v1/${mount}/decrypt/${encodeURIComponent(keyId)}`, headers, body);
          return plaintextOf(answer, what, (j) => j.data?.plaintext, answer.status === 400 && !/not found/i.test(answer.body));
        },
      };
    }
    case 'aws': {
      const region = required(env, 'AWS_KMS_REGION');
      const url = endpoint || `https://kms.${region}.amazonaws.com`;
      const signer = new AwsClient({
        accessKeyId: required(env, 'AWS_KMS_ACCESS_KEY_ID'),
        secretAccessKey: required(env, 'AWS_KMS_SECRET_ACCESS_KEY'),
        sessionToken: env.AWS_KMS_SESSION_TOKEN || undefined,
        region,
        service: 'kms',
      });
      return {
        name: `AWS KMS at ${url}`,
        async decrypt(keyId, sealed, binding, clientContext) {
          const what = `AWS KMS Decrypt ${keyId}`;
          const body = JSON.stringify({ KeyId: keyId, CiphertextBlob: b64(sealed), EncryptionContext: Object.fromEntries(encryptionContext(binding, clientContext)) });
          const signed = await signer.sign(url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.Decrypt' }, body });
          const answer = await request(url, { method: 'POST', headers: Object.fromEntries(signed.headers), body, ...agentOptions });
          const type = String(json(answer.body)?.__type ?? '').split('#').pop();
          return plaintextOf(answer, what, (j) => j.Plaintext, /InvalidCiphertext|IncorrectKey/.test(type));
        },
      };
    }
    default:
      throw new Error(`KMS_BACKEND=${backend} is not one of builtin, kes, aws, vault`);
  }
}

function plaintextOf(answer, what, field, notAuthentic) {
  if (answer.status !== 200) {
    const message = `${what}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`;
    throw new KmsError(notAuthentic ? 'not-authentic' : 'unavailable', message);
  }
  const key = Buffer.from(String(field(json(answer.body) ?? {}) ?? ''), 'base64');
  if (key.length !== 32) throw new KmsError('unavailable', `${what}: the answer holds no 32-byte data key`);
  return key;
}

function json(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function required(env, name, needed = true) {
  const value = env[name]?.trim();
  if (!value && needed) throw new Error(`${name} must be set for KMS_BACKEND=${env.KMS_BACKEND}`);
  return value ?? '';
}

/** An HTTP(S) exchange, retried twice (0.5 s, 1 s apart) on network errors, 5xx and 429; answers { status, body }. */
async function request(url, options) {
  let failure;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt) await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    try {
      const answer = await exchange(url, options);
      if (answer.status < 500 && answer.status !== 429) return answer;
      failure = answer;
    } catch (e) {
      failure = e;
    }
  }
  if (failure instanceof Error) throw failure;
  return failure;
}

/** One HTTP(S) exchange; network failures become KmsError('unavailable'). */
function exchange(url, { body, ...options }) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(u, { ...options, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (e) => reject(new KmsError('unavailable', `${u.origin}: ${e.message}`)));
    req.end(body);
  });
}
