export type FaultMode = 'none' | 'down' | 'slow' | '5xx';

export interface Fault {
  mode?: FaultMode;
  /** For slow: how long each answer waits (default 10000). */
  delayMs?: number;
  /** Only the next N requests; the fault then clears itself. */
  count?: number;
}

export interface DevKmsOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Also serve plain HTTP (AWS KMS and Vault protocols, not KES) on this port (0: any free one). */
  httpPort?: number;
  /** Created on start if missing; the first is the default key. */
  keyIds?: string[];
  /** Where certificates and keys are kept across restarts; none keeps everything in memory. */
  stateDir?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  vaultToken?: string;
  vaultMount?: string;
  faults?: Fault;
}

export interface DevKms {
  origin: string;
  port: number;
  /** The plain HTTP origin, when started with httpPort. */
  httpOrigin: string | null;
  /** PEM of the CA that issued the server and client certificates. */
  ca: string;
  clientCert: string;
  clientKey: string;
  keyIds: string[];
  defaultKeyId: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  vaultToken: string;
  vaultMount: string;
  faults: {
    set(fault: Fault): { mode: FaultMode; delayMs: number; remaining: number | null };
    readonly current: { mode: FaultMode; delayMs: number; remaining: number | null };
  };
  /** Requests seen per protocol, faulted ones included. */
  stats(): { kes: number; aws: number; vault: number };
  /** Reaches this server from Node, trusting its CA; presents the client certificate unless told not to. */
  fetcher(options?: { clientCertificate?: boolean }): (request: Request) => Promise<Response>;
  close(): Promise<void>;
}

export const DEV_KMS_DEFAULTS: Readonly<Required<Pick<DevKmsOptions, 'host' | 'keyIds' | 'region' | 'accessKeyId' | 'secretAccessKey' | 'vaultToken' | 'vaultMount'>>>;

export function startDevKms(options?: DevKmsOptions): Promise<DevKms>;
