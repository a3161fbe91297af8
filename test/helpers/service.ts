// Starts the worker in workerd (Miniflare) on a loopback port with real local R2 and D1, the schema
// applied from migrations/, and gives tests an S3 client with default settings plus the raw bindings.
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Miniflare } from 'miniflare';
import { type DevKms, type DevKmsOptions, startDevKms } from '../../dev-kms/server.mjs';
import { startFront } from './front.mjs';
import { migrationStatements } from '../../scripts/local-worker.mjs';
import { type ExternalBackend, externalEnv } from '../kms/fixtures';
import { ROOT, WORKER_BUNDLE } from './paths';
import { inTempDir } from './temp';

export const ACCESS_KEY_ID = 'EDGESSETESTKEY000001';
export const SECRET_ACCESS_KEY = 'edge-sse-test-secret-key-0000000000000000';
export const REGION = 'us-east-1';
/** The built-in KMS master key of the test service (name:base64 of 32 bytes). */
export const MASTER_KEY = `test-key:${Buffer.alloc(32, 7).toString('base64')}`;

/** An SDK client of the test service that never retries: a retried 500 must not pass as success. */
export function testClient(endpoint: string, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    ...extra,
  });
}

export interface Service {
  /** The endpoint clients use: the loopback front (answers Expect: 100-continue) before workerd. */
  endpoint: string;
  mf: Miniflare;
  client: S3Client;
  /** The development KMS behind the service, when started with `kms`. */
  devKms: DevKms | null;
  r2: Awaited<ReturnType<Miniflare['getR2Bucket']>>;
  /** The AUDIT bucket: segments of the audit log of key use. */
  audit: Awaited<ReturnType<Miniflare['getR2Bucket']>>;
  db: Awaited<ReturnType<Miniflare['getD1Database']>>;
  /** Runs the scheduled garbage collector as if the clock read `at` (ms since epoch). */
  collectGarbage(at: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Serve TLS (Miniflare's self-signed certificate, trusted by the client) and no front, so the worker sees https URLs as on Cloudflare. */
  https?: boolean;
  /** Use this external KMS backend of a development KMS (started and stopped with the service). */
  kms?: { backend: ExternalBackend; devKms?: DevKmsOptions };
  /** Collects the worker's console output here, one message per console call. */
  logs?: string[];
  /** Persist R2 and D1 under this state root as `wrangler dev` does under .wrangler/state/v3 (same bucket name and database id). */
  persistTo?: string;
}

export async function startService(bindings: Record<string, string> = {}, { https = false, kms, logs, persistTo }: ServiceOptions = {}): Promise<Service> {
  const devKms = kms ? await startDevKms(kms.devKms) : null;
  // The mtls_certificates binding (KES) and outbound fetches (AWS, Vault) trust the dev CA.
  const network = (tlsOptions: object) => ({ network: { allow: ['local'], tlsOptions } });
  const trust = devKms && { trustedCertificates: [devKms.ca] };
  const wranglerToml = readFileSync(`${ROOT}wrangler.toml`, 'utf8');
  const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(wranglerToml)![1];
  const persisted = persistTo && {
    r2Buckets: Object.fromEntries([...wranglerToml.matchAll(/\[\[r2_buckets\]\]\s*binding\s*=\s*"([^"]+)"\s*bucket_name\s*=\s*"([^"]+)"/g)].map((m) => [m[1], m[2]])),
    d1Databases: { DB: /database_id\s*=\s*"([^"]+)"/.exec(wranglerToml)![1] },
    defaultPersistRoot: persistTo,
  };
  const { value: mf, dir } = inTempDir('miniflare', () => new Miniflare({
    modules: true,
    scriptPath: WORKER_BUNDLE,
    compatibilityDate,
    compatibilityFlags: ['nodejs_compat'],
    r2Buckets: ['BLOBS', 'AUDIT'],
    d1Databases: ['DB'],
    ...persisted,
    bindings: {
      CREDENTIALS: `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}`,
      REGION,
      VIRTUAL_HOST_SUFFIXES: 'localhost',
      MASTER_KEY,
      ALLOW_SSEC_OVER_HTTP: 'true',
      ...(devKms ? externalEnv(kms!.backend, devKms) : {}),
      ...bindings,
    },
    ...(devKms
      ? {
          serviceBindings: { KMS_MTLS: network({ ...trust, keypair: { privateKey: devKms.clientKey, certificateChain: devKms.clientCert } }) },
          outboundService: network(trust!),
        }
      : {}),
    host: '127.0.0.1',
    port: 0,
    https,
    // The access log and metric lines (one each per request) are kept out of the test output.
    handleStructuredLogs: ({ level, message }: { level: string; message: string }) => {
      logs?.push(message);
      if (!/^\{"type":"(access|metric)"/.test(message)) (level === 'error' || level === 'warn' ? console.error : console.log)(message);
    },
  }));
  const url = await mf.ready;
  const db = await mf.getD1Database('DB');
  // A service started again on persisted state finds the schema applied already.
  const migrated = persistTo && (await db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'buckets'").first());
  if (!migrated) await db.batch(migrationStatements().map((s) => db.prepare(s)));
  const front = https ? null : await startFront(url.origin);
  const endpoint = front?.origin ?? url.origin;
  const client = testClient(endpoint, https ? { requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ rejectUnauthorized: false }) }) } : {});
  return {
    endpoint,
    mf,
    client,
    devKms,
    r2: await mf.getR2Bucket('BLOBS'),
    audit: await mf.getR2Bucket('AUDIT'),
    db,
    async collectGarbage(at: number) {
      const worker = await mf.getWorker();
      await worker.scheduled({ scheduledTime: new Date(at), cron: '*/15 * * * *' });
    },
    async stop() {
      client.destroy();
      await front?.close();
      await mf.dispose();
      dir.remove();
      await devKms?.close();
    },
  };
}
