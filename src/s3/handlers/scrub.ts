// POST /_admin/scrub: one scrub batch on demand (src/service/scrub.ts), authenticated like any
// request. The caller carries the cursor from batch to batch, as with /_admin/rewrap; the cron's own
// cursor is untouched.
import type { S3Request } from '../context';
import { S3Error } from '../../error';
import { isScrubCursor } from '../../service/scrub';
import { adminJsonBody } from './admin';

const badRequest = (message: string) => new S3Error('InvalidArgument', message, { ArgumentName: 'scrub' });
const MAX_BYTES = 16 * 1024 ** 3;

/** Body: {"cursor"?: string, "limit"?: 1..1000, "maxBytes"?: 1..16 GiB}; answers a ScrubReport as JSON. */
export async function adminScrub(req: S3Request): Promise<Response> {
  const body = await adminJsonBody(req, 'scrub');
  const { cursor = null, limit = 100, maxBytes = 1024 ** 3 } = body;
  if (cursor !== null && (typeof cursor !== 'string' || !isScrubCursor(cursor))) throw badRequest('cursor must be a cursor from a previous batch.');
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest('limit must be an integer from 1 to 1000.');
  if (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_BYTES) throw badRequest(`maxBytes must be an integer from 1 to ${MAX_BYTES}.`);
  return Response.json(await req.scrubber.batch({ cursor, limit, maxBytes }));
}
