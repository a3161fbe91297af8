// What every operation handler receives.
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import type { Access } from '../policy/access';
import type { Identities } from '../service/identities';
import type { MultipartService } from '../service/multipart';
import type { ObjectService } from '../service/objects';
import type { OperatorService } from '../service/operator';
import type { Rewrapper } from '../service/rewrap';
import type { Scrubber } from '../service/scrub';
import type { AuthContext } from './auth/sigv4';

export interface S3Request {
  c: Context<AppEnv>;
  request: Request;
  url: URL;
  auth: AuthContext;
  /** What the signing key may do (src/policy). */
  access: Access;
  objects: ObjectService;
  multipart: MultipartService;
  rewrapper: Rewrapper;
  identities: Identities;
  operator: OperatorService;
  scrubber: Scrubber;
  region: string;
  /** Over HTTPS, or plain HTTP explicitly allowed for SSE-C keys (local development). */
  secure: boolean;
}

/** The owner shown in listings: this service is single-tenant, so one fixed owner. */
export const OWNER = { ID: '6564676573736500000000000000000000000000000000000000000000000000', DisplayName: 'edge-sse' };

export const iso = (ms: number) => new Date(ms).toISOString();
