// PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption: a bucket's default encryption.
import type { BucketEncryption } from '../../storage/metadata';
import type { S3Request } from '../context';
import { S3Error } from '../../error';
import { readUploadText } from '../upload';
import { asArray, parseXml, xmlDocument } from '../xml';

interface RuleXml {
  ApplyServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string };
  BucketKeyEnabled?: string;
  BlockedEncryptionTypes?: { EncryptionType?: string | string[] };
}

const malformed = () => new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');

export async function putBucketEncryption({ request, auth, objects }: S3Request, bucket: string): Promise<Response> {
  const doc = parseXml(await readUploadText(request, auth.payload)) as { ServerSideEncryptionConfiguration?: { Rule?: RuleXml | RuleXml[] } };
  const rules = asArray(doc.ServerSideEncryptionConfiguration?.Rule);
  if (rules.length !== 1 || typeof rules[0] !== 'object') throw malformed();
  const rule = rules[0]!;
  const algorithm = rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
  if (algorithm === 'aws:kms:dsse') throw new S3Error('NotImplemented', 'Dual-layer SSE-KMS (aws:kms:dsse) is not supported.');
  if (algorithm !== 'AES256' && algorithm !== 'aws:kms') throw malformed();
  const kmsMasterKeyId = rule.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID?.trim() || null;
  if (kmsMasterKeyId && algorithm !== 'aws:kms') {
    throw new S3Error('InvalidArgument', 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse', { ArgumentName: 'ApplyServerSideEncryptionByDefault' });
  }
  const blocked = asArray(rule.BlockedEncryptionTypes?.EncryptionType).map((t) => t.trim());
  for (const type of blocked) {
    if (type !== 'SSE-C' && type !== 'NONE') throw new S3Error('InvalidArgument', `Unknown EncryptionType ${type}.`, { ArgumentName: 'EncryptionType' });
  }
  const encryption: BucketEncryption = {
    algorithm,
    kmsMasterKeyId,
    bucketKeyEnabled: rule.BucketKeyEnabled?.trim() === 'true',
    blockedEncryptionTypes: blocked.filter((t) => t !== 'NONE'),
  };
  await objects.setBucketEncryption(bucket, encryption);
  return new Response(null, { status: 200 });
}

/** Every bucket has default encryption: without a configuration, SSE-S3 (as AWS since 2023). */
export async function getBucketEncryption({ objects }: S3Request, bucket: string): Promise<Response> {
  const { encryption } = await objects.requireBucket(bucket);
  const rule = {
    ApplyServerSideEncryptionByDefault: { SSEAlgorithm: encryption?.algorithm ?? 'AES256', KMSMasterKeyID: encryption?.kmsMasterKeyId ?? undefined },
    BucketKeyEnabled: encryption?.bucketKeyEnabled ?? false,
    BlockedEncryptionTypes: encryption?.blockedEncryptionTypes.length ? { EncryptionType: encryption.blockedEncryptionTypes } : undefined,
  };
  return new Response(xmlDocument('ServerSideEncryptionConfiguration', { Rule: rule }), { headers: { 'content-type': 'application/xml' } });
}

export async function deleteBucketEncryption({ objects }: S3Request, bucket: string): Promise<Response> {
  await objects.setBucketEncryption(bucket, null);
  return new Response(null, { status: 204 });
}
