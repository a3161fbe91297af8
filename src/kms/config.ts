// Chooses and configures the KMS backend from the worker's plain string bindings (wrangler.toml vars
// and secrets) and, for KES, an mtls_certificates binding. docs/KMS.md lists every variable.
import { AwsKms } from './aws';
import { BuiltinKms, parseMasterKeys } from './builtin';
import { type CallPolicy, DEFAULT_CALL_POLICY, type Fetcher } from './http';
import { KesKms } from './kes';
import { type Kms, KmsError } from './kms';
import { VaultKms } from './vault';

/** The plain string bindings: wrangler.toml vars and secrets. */
export interface KmsVars {
  /** builtin (default) | kes | aws | vault */
  KMS_BACKEND?: string;
  /** URL of the external KMS (AWS: defaults to https://kms.<region>.amazonaws.com). */
  KMS_ENDPOINT?: string;
  /** Key that seals new objects when the request names none (external backends). */
  KMS_DEFAULT_KEY_ID?: string;
  /** Per-attempt timeout in milliseconds (default 3000). */
  KMS_TIMEOUT_MS?: string;
  /** Attempts per call, the first included, for transient faults (default 3). */
  KMS_ATTEMPTS?: string;
  /** builtin: `name:base64(32 bytes)`, comma-separated, first seals (a secret). */
  MASTER_KEY?: string;
  AWS_KMS_ACCESS_KEY_ID?: string;
  AWS_KMS_SECRET_ACCESS_KEY?: string;
  AWS_KMS_SESSION_TOKEN?: string;
  AWS_KMS_REGION?: string;
  VAULT_TOKEN?: string;
  /** Mount path of the transit engine (default "transit"). */
  VAULT_TRANSIT_MOUNT?: string;
  VAULT_NAMESPACE?: string;
}

export interface KmsEnv extends KmsVars {
  /** An mtls_certificates binding: every KMS call goes through it, presenting its client certificate (required for KES). */
  KMS_MTLS?: { fetch(request: Request): Promise<Response> };
}

const BACKENDS = ['builtin', 'kes', 'aws', 'vault'] as const;
type Backend = (typeof BACKENDS)[number];
const isBackend = (name: string): name is Backend => (BACKENDS as readonly string[]).includes(name);

/** `fetcher` overrides how external KMSes are reached (tests route it to the development KMS). */
export function kmsFromEnv(env: KmsEnv, fetcher?: Fetcher): Kms {
  const backend = env.KMS_BACKEND?.trim() || 'builtin';
  if (!isBackend(backend)) throw new KmsError('not-configured', `KMS_BACKEND=${backend} is not one of ${BACKENDS.join(', ')}`);
  if (backend === 'builtin') return new BuiltinKms(parseMasterKeys(env.MASTER_KEY));
  const policy = callPolicy(env);
  const defaultKeyId = required(env, 'KMS_DEFAULT_KEY_ID');
  const mtls = env.KMS_MTLS;
  const reach: Fetcher = fetcher ?? (mtls ? (request) => mtls.fetch(request) : (request) => fetch(request));
  switch (backend) {
    case 'kes':
      if (!fetcher && !mtls) throw new KmsError('not-configured', 'KMS_BACKEND=kes needs the mtls_certificates binding KMS_MTLS (KES authenticates clients by certificate)');
      return new KesKms({ endpoint: endpoint(required(env, 'KMS_ENDPOINT')), defaultKeyId, fetcher: reach, policy });
    case 'aws': {
      const region = required(env, 'AWS_KMS_REGION');
      return new AwsKms({
        endpoint: endpoint(env.KMS_ENDPOINT || `https://kms.${region}.amazonaws.com`),
        region,
        accessKeyId: required(env, 'AWS_KMS_ACCESS_KEY_ID'),
        secretAccessKey: required(env, 'AWS_KMS_SECRET_ACCESS_KEY'),
        sessionToken: env.AWS_KMS_SESSION_TOKEN || undefined,
        defaultKeyId,
        fetcher: reach,
        policy,
      });
    }
    case 'vault':
      return new VaultKms({
        endpoint: endpoint(required(env, 'KMS_ENDPOINT')),
        token: required(env, 'VAULT_TOKEN'),
        mount: env.VAULT_TRANSIT_MOUNT || undefined,
        namespace: env.VAULT_NAMESPACE || undefined,
        defaultKeyId,
        fetcher: reach,
        policy,
      });
  }
}

/** The KMS endpoint: https, or plain http to this machine only (data keys travel over it). */
function endpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KmsError('not-configured', 'KMS_ENDPOINT is not a URL');
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return value;
  throw new KmsError('not-configured', `KMS_ENDPOINT must use https (plain http only to a loopback address), not ${url.protocol}//${url.host}`);
}

function required(env: KmsEnv, name: keyof KmsEnv): string {
  const value = env[name];
  if (typeof value !== 'string' || !value.trim()) throw new KmsError('not-configured', `${name} is not configured for KMS_BACKEND=${env.KMS_BACKEND}`);
  return value.trim();
}

function callPolicy(env: KmsEnv): CallPolicy {
  return {
    ...DEFAULT_CALL_POLICY,
    timeoutMs: positive(env.KMS_TIMEOUT_MS, 'KMS_TIMEOUT_MS') ?? DEFAULT_CALL_POLICY.timeoutMs,
    attempts: positive(env.KMS_ATTEMPTS, 'KMS_ATTEMPTS') ?? DEFAULT_CALL_POLICY.attempts,
  };
}

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new KmsError('not-configured', `${name} must be a positive integer, not ${value}`);
  return n;
}
