#!/usr/bin/env node
// The development KMS: one HTTPS server on loopback speaking MinIO KES (/v1/key/…, mTLS), AWS KMS
// (POST / with X-Amz-Target, SigV4) and Vault transit (/v1/<mount>/…, X-Vault-Token) over one key
// store, with faults on demand (POST /_faults). `npm run kms:dev` runs it; tests import startDevKms.
// Not a KMS for real data: keys live in memory, or in a plain JSON file with `stateDir`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { aws } from './aws.mjs';
import { createCertificates } from './certs.mjs';
import { Faults } from './faults.mjs';
import { httpsFetcher } from './https-fetcher.mjs';
import { kes } from './kes.mjs';
import { KeyStore } from './keystore.mjs';
import { vault } from './vault.mjs';

const MAX_BODY = 1 << 20;
const CERT_FILES = { ca: 'ca.pem', serverCert: 'server-cert.pem', serverKey: 'server-key.pem', clientCert: 'client-cert.pem', clientKey: 'client-key.pem' };

export const DEV_KMS_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  keyIds: ['edge-sse-default'],
  region: 'us-east-1',
  accessKeyId: 'EDGESSEDEVKMSKEY0001',
  secretAccessKey: 'edge-sse-dev-kms-secret-access-key',
  vaultToken: 'edge-sse-dev-vault-token',
  vaultMount: 'transit',
});

export async function startDevKms(options = {}) {
  const config = { ...DEV_KMS_DEFAULTS, port: 0, ...options };
  if (!config.keyIds.length) throw new TypeError('startDevKms needs at least one key id');
  const certs = certificates(config.stateDir);
  const store = new KeyStore(config.stateDir && join(config.stateDir, 'keys.json'));
  for (const id of config.keyIds) store.create(id);
  const protocols = [kes, aws(config), vault({ mount: config.vaultMount, token: config.vaultToken })];
  const faults = new Faults();
  if (options.faults) faults.set(options.faults);
  const stats = { kes: 0, aws: 0, vault: 0 };
  const pending = new Set();

  const handle = async (req, res) => {
    try {
      const body = await readBody(req);
      const url = new URL(req.url, 'https://dev-kms');
      if (url.pathname === '/_faults') return send(res, control(req.method, body, faults));
      const protocol = protocols.find((p) => p.matches(url, req.headers));
      if (!protocol) return send(res, { status: 404, json: { message: `no route for ${req.method} ${url.pathname}` } });
      stats[protocol.name]++;
      const fault = faults.next();
      if (fault.mode === 'down') return req.socket.destroy();
      if (fault.mode === 'slow') await delay(fault.delayMs, pending);
      if (fault.mode === '5xx') return send(res, protocol.failure());
      const [rawPath, rawQuery = ''] = req.url.split('?', 2);
      const request = { method: req.method, url, rawPath, rawQuery, headers: req.headers, body, store, clientAuthorized: req.socket.authorized === true };
      send(res, protocol.handle(request));
    } catch (e) {
      if (!res.headersSent && !res.destroyed) send(res, { status: e.status ?? 500, json: { message: e.message } });
    }
  };
  // A client certificate is asked for but checked per route: only KES requires one.
  const server = https.createServer({ key: certs.serverKey, cert: certs.serverCert, ca: [certs.ca], requestCert: true, rejectUnauthorized: false }, handle);
  await new Promise((resolve, reject) => server.once('error', reject).listen(config.port, config.host, resolve));
  // Plain HTTP on loopback, for `wrangler dev`, whose workerd cannot be told to trust the dev CA:
  // the AWS KMS and Vault protocols only (no client certificate, so KES refuses).
  const plain = config.httpPort === undefined ? null : http.createServer(handle);
  if (plain) await new Promise((resolve, reject) => plain.once('error', reject).listen(config.httpPort, config.host, resolve));
  const { port } = server.address();

  return {
    origin: `https://${config.host}:${port}`,
    port,
    httpOrigin: plain ? `http://${config.host}:${plain.address().port}` : null,
    ca: certs.ca,
    clientCert: certs.clientCert,
    clientKey: certs.clientKey,
    keyIds: [...config.keyIds],
    defaultKeyId: config.keyIds[0],
    region: config.region,
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    vaultToken: config.vaultToken,
    vaultMount: config.vaultMount,
    faults: { set: (fault) => faults.set(fault), get current() { return faults.current; } },
    stats: () => ({ ...stats }),
    /** Reaches this server from Node, trusting its CA; with the client certificate unless told not to. */
    fetcher: ({ clientCertificate = true } = {}) =>
      httpsFetcher({ ca: certs.ca, ...(clientCertificate ? { cert: certs.clientCert, key: certs.clientKey } : {}) }),
    close() {
      for (const timer of pending) clearTimeout(timer);
      const servers = plain ? [server, plain] : [server];
      return Promise.all(
        servers.map((s) => {
          s.closeAllConnections();
          return new Promise((resolve) => s.close(() => resolve()));
        }),
      ).then(() => {});
    },
  };
}

/** Certificates from `stateDir` when saved there before, else new ones (saved there if given). */
function certificates(stateDir) {
  if (stateDir && Object.values(CERT_FILES).every((f) => existsSync(join(stateDir, f)))) {
    return Object.fromEntries(Object.entries(CERT_FILES).map(([k, f]) => [k, readFileSync(join(stateDir, f), 'utf8')]));
  }
  const certs = createCertificates();
  if (stateDir) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    for (const [k, f] of Object.entries(CERT_FILES)) writeFileSync(join(stateDir, f), certs[k], { mode: 0o600 });
  }
  return certs;
}

function control(method, body, faults) {
  try {
    if (method === 'POST') faults.set(JSON.parse(body.toString('utf8') || '{}'));
    else if (method !== 'GET') return { status: 405, json: { message: 'GET or POST' } };
    return { status: 200, json: faults.current };
  } catch (e) {
    return { status: 400, json: { message: e.message } };
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(Object.assign(new Error('request body too large'), { status: 413 }));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, { status, json, contentType = 'application/json', headers = {} }) {
  const body = json === undefined ? '' : JSON.stringify(json);
  res.writeHead(status, { ...headers, ...(body ? { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } : {}) });
  res.end(body);
}

function delay(ms, pending) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      resolve();
    }, ms);
    pending.add(timer);
  });
}

// `npm run kms:dev`: configured by KMS_PORT, KMS_KEY_IDS, KMS_STATE_DIR, KMS_ACCESS_KEY_ID,
// KMS_SECRET_ACCESS_KEY and KMS_VAULT_TOKEN; keys and certificates persist in KMS_STATE_DIR.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = process.env;
  const kms = await startDevKms({
    port: Number(env.KMS_PORT || 7373),
    keyIds: (env.KMS_KEY_IDS || DEV_KMS_DEFAULTS.keyIds.join(',')).split(',').map((s) => s.trim()).filter(Boolean),
    stateDir: env.KMS_STATE_DIR || '.dev-kms',
    accessKeyId: env.KMS_ACCESS_KEY_ID || DEV_KMS_DEFAULTS.accessKeyId,
    secretAccessKey: env.KMS_SECRET_ACCESS_KEY || DEV_KMS_DEFAULTS.secretAccessKey,
    vaultToken: env.KMS_VAULT_TOKEN || DEV_KMS_DEFAULTS.vaultToken,
  });
  const dir = env.KMS_STATE_DIR || '.dev-kms';
  console.log(`
edge-sse development KMS on ${kms.origin} (keys: ${kms.keyIds.join(', ')}; state, CA and client certificate in ${dir}/)
  KMS_ENDPOINT=${kms.origin}  KMS_DEFAULT_KEY_ID=${kms.defaultKeyId}
  kes:   KMS_BACKEND=kes, client certificate ${dir}/client-cert.pem + ${dir}/client-key.pem, CA ${dir}/ca.pem
  aws:   KMS_BACKEND=aws AWS_KMS_REGION=${kms.region} AWS_KMS_ACCESS_KEY_ID=${kms.accessKeyId} AWS_KMS_SECRET_ACCESS_KEY=${kms.secretAccessKey}
  vault: KMS_BACKEND=vault VAULT_TOKEN=${kms.vaultToken} VAULT_TRANSIT_MOUNT=${kms.vaultMount}
  faults: curl --cacert ${dir}/ca.pem -d '{"mode":"down"}' ${kms.origin}/_faults   (down | slow | 5xx | none)
`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => kms.close().then(() => process.exit(0)));
}
