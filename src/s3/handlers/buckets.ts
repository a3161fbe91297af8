// ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, GetBucketVersioning.
import { OWNER, iso, type S3Request } from '../context';
import { S3Error } from '../../error';
import { validateBucketName } from '../names';
import { rejectGrants } from '../object-headers';
import { readUploadText } from '../upload';
import { parseXml, xmlDocument } from '../xml';
import { fromToken, toToken } from './list';

const xml = (body: string, status = 200) => new Response(body, { status, headers: { 'content-type': 'application/xml' } });

/** ListBuckets, paged with max-buckets and continuation-token and filtered by prefix (AWS, 2024). */
export async function listBuckets({ objects, url, access }: S3Request): Promise<Response> {
  const q = url.searchParams;
  const prefix = q.get('prefix') ?? '';
  const rawMax = q.get('max-buckets');
  if (rawMax !== null && (!/^\d{1,5}$/.test(rawMax) || Number(rawMax) < 1 || Number(rawMax) > 10_000)) {
    throw new S3Error('InvalidArgument', 'max-buckets must be an integer between 1 and 10000.', { ArgumentName: 'max-buckets', ArgumentValue: rawMax });
  }
  const token = q.get('continuation-token');
  const after = token === null ? null : fromToken(token);
  // Bucket names are few (S3 allows 10000 per account): filtered here rather than in SQL.
  const matching = access.listable(await objects.buckets()).filter((b) => b.name.startsWith(prefix) && (after === null || b.name > after));
  const page = rawMax === null ? matching : matching.slice(0, Number(rawMax));
  return xml(
    xmlDocument('ListAllMyBucketsResult', {
      Owner: OWNER,
      Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: iso(b.createdAt) })) },
      ContinuationToken: page.length < matching.length ? toToken(page.at(-1)!.name) : undefined,
      Prefix: q.has('prefix') ? prefix : undefined,
    }),
  );
}

export async function createBucket({ request, auth, objects, region }: S3Request, bucket: string): Promise<Response> {
  validateBucketName(bucket);
  rejectGrants(request.headers);
  const text = await readUploadText(request, auth.payload);
  if (text.trim()) {
    const doc = parseXml(text) as { CreateBucketConfiguration?: { LocationConstraint?: unknown } };
    const constraint = doc.CreateBucketConfiguration?.LocationConstraint;
    if (typeof constraint === 'string' && constraint !== '' && constraint !== region) {
      throw new S3Error('InvalidLocationConstraint', `The specified location-constraint is not valid: this endpoint serves ${region}.`);
    }
  }
  if (!(await objects.createBucket(bucket))) {
    throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: bucket });
  }
  return new Response(null, { status: 200, headers: { Location: `/${bucket}` } });
}

export async function headBucket({ objects, region }: S3Request, bucket: string): Promise<Response> {
  await objects.requireBucket(bucket);
  return new Response(null, { status: 200, headers: { 'x-amz-bucket-region': region } });
}

export async function deleteBucket({ objects }: S3Request, bucket: string): Promise<Response> {
  await objects.deleteBucket(bucket);
  return new Response(null, { status: 204 });
}

export async function getBucketLocation({ objects, region }: S3Request, bucket: string): Promise<Response> {
  await objects.requireBucket(bucket);
  // us-east-1 is reported as an empty constraint, as S3 does.
  return xml(xmlDocument('LocationConstraint', region === 'us-east-1' ? '' : region));
}

export async function getBucketVersioning({ objects }: S3Request, bucket: string): Promise<Response> {
  await objects.requireBucket(bucket);
  return xml(xmlDocument('VersioningConfiguration', {}));
}
