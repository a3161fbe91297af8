// Access keys and their policies, for administrators: JSON in and out under /_admin/users.
import type { S3Request } from '../context';
import { S3Error } from '../../error';
import { readUploadText } from '../upload';

const json = (body: unknown) => Response.json(body);

/** Body: {"name": string, "policy": IAM policy (object or JSON text)}; answers the new key, its secret shown this once. */
export async function adminCreateUser({ request, auth, identities }: S3Request): Promise<Response> {
  let body: unknown;
  try {
    body = JSON.parse(await readUploadText(request, auth.payload));
  } catch (e) {
    if (e instanceof S3Error) throw e;
    body = null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new S3Error('InvalidArgument', 'The body must be a JSON object {"name": ..., "policy": ...}.', { ArgumentName: 'body' });
  }
  const { name, policy } = body as Record<string, unknown>;
  return json(await identities.create(name, policy));
}

export async function adminListUsers({ identities }: S3Request): Promise<Response> {
  return json({ users: await identities.list() });
}

export async function adminSetUserDisabled({ identities }: S3Request, accessKeyId: string, disabled: boolean): Promise<Response> {
  return json(await identities.setDisabled(accessKeyId, disabled));
}

export async function adminDeleteUser({ identities }: S3Request, accessKeyId: string): Promise<Response> {
  await identities.delete(accessKeyId);
  return new Response(null, { status: 204 });
}
