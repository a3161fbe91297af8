// DeleteObjects: the XML multi-object delete, quiet mode included.
import { objectArn } from '../../policy/actions';
import type { S3Request } from '../context';
import { S3Error } from '../../error';
import { validateObjectKey } from '../names';
import { readUploadText } from '../upload';
import { asArray, parseXml, xmlDocument } from '../xml';

const MAX_KEYS = 1000;

interface DeleteRequest {
  Delete?: { Quiet?: string; Object?: unknown };
}

export async function deleteObjects({ request, auth, objects, access }: S3Request, bucket: string): Promise<Response> {
  const doc = parseXml(await readUploadText(request, auth.payload)) as DeleteRequest;
  if (!doc.Delete || typeof doc.Delete !== 'object') throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  const entries = asArray(doc.Delete.Object) as { Key?: unknown; VersionId?: unknown }[];
  if (entries.length === 0 || entries.length > MAX_KEYS) {
    throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  }
  const keys = entries.map((e) => {
    if (typeof e?.Key !== 'string') throw new S3Error('MalformedXML', 'Every Object needs a Key.');
    return e.Key;
  });
  const quiet = doc.Delete.Quiet?.trim().toLowerCase() === 'true';
  const refused = new Map<string, S3Error>();
  for (const key of keys) {
    try {
      validateObjectKey(key);
      // IAM: s3:DeleteObject per key; a denied key is an entry of the result, as on S3.
      if (!access.allows('s3:DeleteObject', objectArn(bucket, key))) throw new S3Error('AccessDenied', 'Access Denied');
    } catch (e) {
      if (!(e instanceof S3Error)) throw e;
      refused.set(key, e);
    }
  }
  const deletable = keys.filter((k) => !refused.has(k));
  await objects.delete(bucket, deletable);
  return new Response(
    xmlDocument('DeleteResult', {
      Deleted: quiet ? [] : deletable.map((Key) => ({ Key })),
      Error: [...refused].map(([Key, e]) => ({ Key, Code: e.code, Message: e.message })),
    }),
    { headers: { 'content-type': 'application/xml' } },
  );
}
