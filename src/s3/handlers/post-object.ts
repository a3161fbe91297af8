// POST Object: a browser form upload (multipart/form-data) authenticated by a signed POST policy,
// its file streamed into the same encrypted write path as PutObject.
import { timingSafeEqual } from '../../crypto/keys';
import { authorizeFormUpload } from '../../policy/access';
import type { Identity } from '../../service/identities';
import { READ_SIZE, inLargeChunks } from '../../streams';
import { rawPath } from '../address';
import { signV2 } from '../auth/sigv2';
import { type AuthContext, hmacHex, signingKey } from '../auth/sigv4';
import type { S3Request } from '../context';
import { S3Error } from '../../error';
import { type FormField, formBoundary, malformedPost, readPostForm } from '../form-data';
import { validateObjectKey } from '../names';
import { checkWriteHeaders, checksumHeaders, declaredChecksumAlgorithm, storedHeaders, userMetadata } from '../object-headers';
import { type LengthRange, checkPolicy, parsePolicy } from '../post-policy';
import { writeSse } from '../sse';
import { formUpload } from '../upload';
import { xmlDocument } from '../xml';
import { sseHeaders } from './objects';

/**
 * What app.ts hands a PostObject in place of request authentication: the request itself is not
 * signed; postObject verifies the form's policy signature before anything else.
 */
export const POST_FORM_AUTH: AuthContext = { accessKeyId: '', payload: { kind: 'unsigned' } };

/** Form fields that are request headers of the object written (the rest are the form's own). */
const HEADER_FIELD = /^(content-type|cache-control|content-disposition|content-encoding|content-language|expires|content-md5|x-amz-.*)$/;
const SIGNING_FIELDS = new Set(['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature', 'x-amz-security-token']);

const encoder = new TextEncoder();
const sameText = (a: string, b: string) => timingSafeEqual(encoder.encode(a), encoder.encode(b));

function missingField(name: string): S3Error {
  return new S3Error('InvalidArgument', `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`, { ArgumentName: name, ArgumentValue: '' });
}

/** Field values by lowercase name; a name given twice is refused (S3 would have to pick one). */
function fieldMap(fields: FormField[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const { name, value } of fields) {
    const lower = name.toLowerCase();
    if (map.has(lower)) throw new S3Error('InvalidArgument', `The form field ${lower} is given more than once.`, { ArgumentName: lower });
    map.set(lower, value);
  }
  return map;
}

/** Who signed the policy (SigV4, or SigV2 as older SDKs sign forms). */
async function verifySignature(fields: Map<string, string>, req: S3Request): Promise<Identity> {
  let identity: Identity | undefined;
  const secretFor = async (id: string) => {
    identity = await req.identities.resolve(id);
    if (identity === undefined) throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: id });
    return identity.secret;
  };
  const policy = fields.get('policy')!;
  const mismatch = () => new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  if (!fields.has('x-amz-algorithm') && fields.has('awsaccesskeyid')) {
    const id = fields.get('awsaccesskeyid')!;
    if (!fields.has('signature')) throw missingField('signature');
    if (!sameText(await signV2(await secretFor(id), policy), fields.get('signature')!)) throw mismatch();
    return identity!;
  }
  for (const name of ['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature']) if (!fields.has(name)) throw missingField(name);
  if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') {
    throw new S3Error('InvalidArgument', 'The POST request has an unsupported x-amz-algorithm: use AWS4-HMAC-SHA256.', { ArgumentName: 'x-amz-algorithm' });
  }
  const parts = fields.get('x-amz-credential')!.split('/');
  const [id, date, region, service, terminator] = parts;
  const scopeOk =
    parts.length === 5 && /^\d{8}$/.test(date!) && (region === req.region || region === 'us-east-1' || region === 'auto') && service === 's3' && terminator === 'aws4_request';
  if (!scopeOk) throw new S3Error('InvalidArgument', `The x-amz-credential is not valid for this endpoint: expecting "<YOUR-AKID>/YYYYMMDD/${req.region}/s3/aws4_request".`, { ArgumentName: 'x-amz-credential' });
  if (!fields.get('x-amz-date')!.startsWith(date!)) throw new S3Error('InvalidArgument', 'The x-amz-date does not match the date of the x-amz-credential.', { ArgumentName: 'x-amz-date' });
  const key = await signingKey(await secretFor(id!), date!, region!, service!);
  if (!sameText(await hmacHex(key, policy), fields.get('x-amz-signature')!.toLowerCase())) throw mismatch();
  return identity!;
}

/** The file's bytes, refused as they flow once they leave the policy's content-length-range. */
function withinRange(stream: ReadableStream<Uint8Array>, range: LengthRange | null): ReadableStream<Uint8Array> {
  if (!range) return stream;
  let size = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.length;
        if (size > range.max) throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { MaxSizeAllowed: String(range.max) });
        controller.enqueue(chunk);
      },
      flush() {
        if (size < range.min) throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: String(size), MinSizeAllowed: String(range.min) });
      },
    }),
  );
}

/** Where a redirect goes: the URL with bucket, key and etag added, as S3 does; null if it is not a URL. */
function redirectTo(target: string | undefined, bucket: string, key: string, etag: string): string | null {
  if (!target) return null;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return null;
  }
  url.searchParams.append('bucket', bucket);
  url.searchParams.append('key', key);
  url.searchParams.append('etag', etag);
  return url.href;
}

export async function postObject(req: S3Request, bucket: string): Promise<Response> {
  const { request, url, objects, secure } = req;
  const boundary = formBoundary(request.headers.get('content-type'));
  if (!boundary) {
    throw new S3Error('PreconditionFailed', 'Bucket POST must be of the enclosure-type multipart/form-data', { Condition: 'Bucket POST must be of the enclosure-type multipart/form-data' });
  }
  if (!request.body) throw malformedPost();
  const form = await readPostForm(inLargeChunks(request.body, READ_SIZE), boundary);
  try {
    const fields = fieldMap(form.fields);
    if (!form.file) throw new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.', { ArgumentName: 'file', ArgumentValue: '0' });
    if (!fields.has('key')) throw missingField('key');
    // Anonymous form uploads would need a public bucket: there are none.
    if (!fields.has('policy')) throw new S3Error('AccessDenied', 'Access Denied');
    const signer = await verifySignature(fields, req);
    const range = checkPolicy(parsePolicy(fields.get('policy')!), fields, bucket, Date.now());
    const key = fields.get('key')!.replaceAll('${filename}', form.file.filename ?? '');
    validateObjectKey(key);

    const headers = new Headers();
    for (const [name, value] of fields) if (HEADER_FIELD.test(name) && !SIGNING_FIELDS.has(name)) headers.set(name, value);
    checkWriteHeaders(headers);
    authorizeFormUpload(signer.principal, headers, url, bucket, key);
    if (fields.has('tagging')) throw new S3Error('NotImplemented', 'The tagging field is not supported yet.');
    const sse = writeSse(headers, secure);
    const algorithm = declaredChecksumAlgorithm(headers);
    headers.delete('x-amz-checksum-algorithm');
    const record = await objects.put(bucket, key, {
      sse,
      body: formUpload(withinRange(form.file.stream, range), headers, algorithm),
      headers: storedHeaders(headers),
      userMetadata: userMetadata(headers),
    });

    const path = rawPath(request.url).length > 1 ? `/${encodeURIComponent(bucket)}/` : '/';
    const location = `${url.origin}${path}${encodeURIComponent(key).replace(/%2F/g, '/')}`;
    const answer = { ETag: record.etag, Location: location, ...sseHeaders(record, sse), ...checksumHeaders(record) };
    const redirect = redirectTo(fields.get('success_action_redirect') ?? fields.get('redirect'), bucket, key, record.etag);
    if (redirect) return new Response(null, { status: 303, headers: { ...answer, Location: redirect } });
    const status = fields.get('success_action_status');
    if (status === '201') {
      const body = xmlDocument('PostResponse', { Location: location, Bucket: bucket, Key: key, ETag: record.etag });
      return new Response(body, { status: 201, headers: { ...answer, 'content-type': 'application/xml' } });
    }
    return new Response(null, { status: status === '200' ? 200 : 204, headers: answer });
  } catch (e) {
    await form.file?.stream.cancel(e).catch(() => {});
    throw e;
  }
}
