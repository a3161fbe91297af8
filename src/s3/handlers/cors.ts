// PutBucketCors, GetBucketCors, DeleteBucketCors: a bucket's CORS configuration, validated as S3 does.
import { CorsStore } from '../../storage/cors';
import type { S3Request } from '../context';
import { CORS_METHODS, type CorsRule } from '../cors';
import { S3Error } from '../../error';
import { readUploadText } from '../upload';
import { asArray, parseXml, xmlDocument } from '../xml';

interface RuleXml {
  ID?: string;
  AllowedOrigin?: string | string[];
  AllowedMethod?: string | string[];
  AllowedHeader?: string | string[];
  ExposeHeader?: string | string[];
  MaxAgeSeconds?: string;
}

/** S3's limits: 100 rules, a 64 KB document. */
const MAX_RULES = 100;
const MAX_CONFIGURATION_BYTES = 64 * 1024;

const malformed = () => new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
const invalid = (message: string) => new S3Error('InvalidRequest', message);
const wildcards = (s: string) => s.split('*').length - 1;
const texts = (v: string | string[] | undefined) => {
  const list = asArray(v);
  if (list.some((item) => typeof item !== 'string')) throw malformed();
  return list.map((item) => item.trim());
};

/** The rules of a CORSConfiguration document, or the S3 error that refuses it. */
export function parseCorsConfiguration(text: string): CorsRule[] {
  const doc = parseXml(text) as { CORSConfiguration?: { CORSRule?: RuleXml | RuleXml[] } };
  const config = doc.CORSConfiguration;
  if (typeof config !== 'object' || config === null) throw malformed();
  const rules = asArray(config.CORSRule);
  if (rules.length === 0 || rules.length > MAX_RULES || rules.some((r) => typeof r !== 'object')) throw malformed();
  return rules.map((r) => {
    const rule: CorsRule = {
      allowedOrigins: texts(r.AllowedOrigin),
      allowedMethods: texts(r.AllowedMethod),
      allowedHeaders: texts(r.AllowedHeader),
      exposeHeaders: texts(r.ExposeHeader),
    };
    if (!rule.allowedOrigins.length || !rule.allowedMethods.length) throw malformed();
    for (const method of rule.allowedMethods) {
      if (!CORS_METHODS.includes(method)) throw invalid(`Found unsupported HTTP method in CORS config. Unsupported method is ${method}`);
    }
    for (const origin of rule.allowedOrigins) {
      if (wildcards(origin) > 1) throw invalid(`AllowedOrigin "${origin}" can not have more than one wildcard.`);
    }
    for (const header of rule.allowedHeaders) {
      if (wildcards(header) > 1) throw invalid(`AllowedHeader "${header}" can not have more than one wildcard.`);
    }
    for (const header of rule.exposeHeaders) {
      if (header.includes('*')) throw invalid(`ExposeHeader "${header}" contains wildcard. We currently do not support wildcard for ExposeHeader.`);
    }
    if (r.ID !== undefined) {
      if (typeof r.ID !== 'string' || r.ID.length > 255) throw malformed();
      rule.id = r.ID;
    }
    if (r.MaxAgeSeconds !== undefined) {
      if (typeof r.MaxAgeSeconds !== 'string' || !/^\s*\d{1,10}\s*$/.test(r.MaxAgeSeconds)) throw malformed();
      rule.maxAgeSeconds = Number(r.MaxAgeSeconds);
    }
    return rule;
  });
}

export async function putBucketCors({ request, auth, objects, c }: S3Request, bucket: string): Promise<Response> {
  await objects.requireBucket(bucket);
  const rules = parseCorsConfiguration(await readUploadText(request, auth.payload, MAX_CONFIGURATION_BYTES));
  await new CorsStore<CorsRule>(c.env.DB).set(bucket, rules);
  return new Response(null, { status: 200 });
}

export async function getBucketCors({ objects, c }: S3Request, bucket: string): Promise<Response> {
  await objects.requireBucket(bucket);
  const rules = await new CorsStore<CorsRule>(c.env.DB).get(bucket, true);
  if (!rules) throw new S3Error('NoSuchCORSConfiguration', 'The CORS configuration does not exist', { BucketName: bucket });
  const CORSRule = rules.map((r) => ({
    ID: r.id,
    AllowedHeader: r.allowedHeaders,
    AllowedMethod: r.allowedMethods,
    AllowedOrigin: r.allowedOrigins,
    ExposeHeader: r.exposeHeaders,
    MaxAgeSeconds: r.maxAgeSeconds,
  }));
  return new Response(xmlDocument('CORSConfiguration', { CORSRule }), { headers: { 'content-type': 'application/xml' } });
}

export async function deleteBucketCors({ objects, c }: S3Request, bucket: string): Promise<Response> {
  await objects.requireBucket(bucket);
  await new CorsStore<CorsRule>(c.env.DB).set(bucket, null);
  return new Response(null, { status: 204 });
}
