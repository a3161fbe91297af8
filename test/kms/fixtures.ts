// The four KMS backends as the conformance suite sees them: each configured through kmsFromEnv
// against one development KMS (real HTTPS, the dev CA trusted, the client certificate presented for
// KES), each able to create and delete keys through its own protocol.
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import https from 'node:https';
import type { DevKms } from '../../dev-kms/server.mjs';
import { type KmsVars, kmsFromEnv } from '../../src/kms/config';
import type { Fetcher } from '../../src/kms/http';
import type { Kms, KmsErrorKind } from '../../src/kms/kms';

export const BACKENDS = ['builtin', 'kes', 'aws', 'vault'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type ExternalBackend = Exclude<BackendName, 'builtin'>;

/** Short enough for fast fault tests, long enough for a loaded CI machine's TLS handshakes. */
export const TEST_POLICY = { KMS_TIMEOUT_MS: '1000', KMS_ATTEMPTS: '3' };

export interface Backend {
  name: BackendName;
  /** A client whose default key is the dev KMS's default key. */
  kms(): Kms;
  /** A new key, made through the backend's own protocol. */
  createKey(): Promise<string>;
  /** Makes the key unusable as the backend's own "delete" does; what a later use fails with. */
  deleteKey(keyId: string): Promise<KmsErrorKind>;
}

export function backend(name: BackendName, devKms: DevKms): Backend {
  if (name === 'builtin') return builtinBackend(devKms);
  const fetcher = devKms.fetcher();
  const admin = adminOf(name, devKms, fetcher);
  return { name, kms: () => externalKms(name, devKms, fetcher), ...admin };
}

/** The env a worker would have to reach `devKms` as `name`; `overrides` replace any of it. */
export function externalEnv(name: ExternalBackend, devKms: DevKms, overrides: KmsVars = {}): KmsVars {
  const common = { KMS_BACKEND: name, KMS_ENDPOINT: devKms.origin, KMS_DEFAULT_KEY_ID: devKms.defaultKeyId, ...TEST_POLICY };
  const specific: Record<ExternalBackend, KmsVars> = {
    kes: {},
    aws: { AWS_KMS_REGION: devKms.region, AWS_KMS_ACCESS_KEY_ID: devKms.accessKeyId, AWS_KMS_SECRET_ACCESS_KEY: devKms.secretAccessKey },
    vault: { VAULT_TOKEN: devKms.vaultToken, VAULT_TRANSIT_MOUNT: devKms.vaultMount },
  };
  return { ...common, ...specific[name], ...overrides };
}

export function externalKms(name: ExternalBackend, devKms: DevKms, fetcher: Fetcher, overrides: KmsVars = {}): Kms {
  return kmsFromEnv(externalEnv(name, devKms, overrides), fetcher);
}

/** An @aws-sdk/client-kms client for the dev KMS, trusting its CA. */
export function awsSdkClient(devKms: DevKms, credentials = { accessKeyId: devKms.accessKeyId, secretAccessKey: devKms.secretAccessKey }): KMSClient {
  return new KMSClient({
    endpoint: devKms.origin,
    region: devKms.region,
    credentials,
    maxAttempts: 1,
    requestHandler: { httpsAgent: new https.Agent({ ca: devKms.ca }) },
  });
}

function builtinBackend(devKms: DevKms): Backend {
  // Master keys of the built-in KMS are configuration: deleting one means configuring without it.
  const masters = new Map(devKms.keyIds.map((id, i) => [id, Buffer.alloc(32, i + 1).toString('base64')]));
  let created = 0;
  return {
    name: 'builtin',
    kms: () => kmsFromEnv({ MASTER_KEY: [...masters].map(([id, key]) => `${id}:${key}`).join(',') }),
    async createKey() {
      const id = `builtin-${++created}`;
      masters.set(id, Buffer.alloc(32, 100 + created).toString('base64'));
      return id;
    },
    async deleteKey(keyId) {
      masters.delete(keyId);
      return 'key-not-found';
    },
  };
}

function adminOf(name: ExternalBackend, devKms: DevKms, fetcher: Fetcher): Pick<Backend, 'createKey' | 'deleteKey'> {
  let created = 0;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetcher(new Request(`${devKms.origin}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  };
  const vaultToken = { 'x-vault-token': devKms.vaultToken };
  switch (name) {
    case 'kes':
      return {
        async createKey() {
          const id = `kes-key-${++created}`;
          await call('POST', `/v1/key/create/${id}`);
          return id;
        },
        async deleteKey(keyId) {
          await call('DELETE', `/v1/key/delete/${keyId}`);
          return 'key-not-found';
        },
      };
    case 'vault':
      return {
        async createKey() {
          const id = `vault-key-${++created}`;
          await call('POST', `/v1/${devKms.vaultMount}/keys/${id}`, { derived: true }, vaultToken);
          return id;
        },
        async deleteKey(keyId) {
          await call('POST', `/v1/${devKms.vaultMount}/keys/${keyId}/config`, { deletion_allowed: true }, vaultToken);
          await call('DELETE', `/v1/${devKms.vaultMount}/keys/${keyId}`, undefined, vaultToken);
          return 'key-not-found';
        },
      };
    case 'aws':
      return {
        async createKey() {
          const client = awsSdkClient(devKms);
          const { KeyMetadata } = await client.send(new CreateKeyCommand({ Description: 'conformance' }));
          client.destroy();
          return KeyMetadata!.Arn!;
        },
        // AWS deletes a key only after a waiting period; until then every use fails as KMSInvalidState.
        async deleteKey(keyId) {
          const client = awsSdkClient(devKms);
          await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
          client.destroy();
          return 'key-disabled';
        },
      };
  }
}
