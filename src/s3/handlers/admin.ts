// Administrative operations under /_admin/ (a path no bucket can have: "_" is not allowed in bucket
// names), authenticated like any request. POST /_admin/rewrap runs one re-wrap batch.
import type { S3Request } from '../context';
import { S3Error } from '../../error';
import { readUploadText } from '../upload';

const badRequest = (message: string) => new S3Error('InvalidArgument', message, { ArgumentName: 'rewrap' });

/** The JSON object body of an administrative request ({} when empty); InvalidArgument naming `operation` otherwise. */
export async function adminJsonBody({ request, auth }: S3Request, operation: string): Promise<Record<string, unknown>> {
  try {
    const text = await readUploadText(request, auth.payload);
    const body: unknown = text.trim() ? JSON.parse(text) : {};
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch (e) {
    if (e instanceof S3Error) throw e;
  }
  throw new S3Error('InvalidArgument', 'The body must be a JSON object.', { ArgumentName: operation });
}

/** Body: {"targetKeyId"?: string, "all"?: boolean, "cursor"?: string, "limit"?: 1..1000, "count"?: boolean}; answers a RewrapReport as JSON. */
export async function adminRewrap(req: S3Request): Promise<Response> {
  const { rewrapper } = req;
  const body = await adminJsonBody(req, 'rewrap');
  const { targetKeyId = null, all = false, cursor = null, limit = 100, count = false } = body;
  if (targetKeyId !== null && typeof targetKeyId !== 'string') throw badRequest('targetKeyId must be a string.');
  if (typeof all !== 'boolean') throw badRequest('all must be a boolean.');
  if (typeof count !== 'boolean') throw badRequest('count must be a boolean.');
  if (cursor !== null && (typeof cursor !== 'string' || !/^\[\d,".*"\]$/.test(cursor))) throw badRequest('cursor must be a cursor from a previous batch.');
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest('limit must be an integer from 1 to 1000.');
  const report = await rewrapper.batch({ targetKeyId, all, cursor, limit, count });
  return Response.json(report);
}
