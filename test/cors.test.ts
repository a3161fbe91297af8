// CORS: the configuration calls through the JS SDK, and what browsers see (preflight and actual
// responses) with raw fetch, no credentials on the preflight, as S3 answers.
import { CreateBucketCommand, DeleteBucketCorsCommand, GetBucketCorsCommand, GetObjectCommand, PutBucketCorsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';

let svc: Service;
const Bucket = 'cors';
const APP = 'https://app.example.com';

const rules = [
  {
    ID: 'app',
    AllowedOrigins: [APP, 'https://*.example.org'],
    AllowedMethods: ['GET', 'PUT', 'HEAD'],
    AllowedHeaders: ['x-amz-*', 'content-type', 'authorization'],
    ExposeHeaders: ['ETag', 'x-amz-server-side-encryption'],
    MaxAgeSeconds: 600,
  },
  { AllowedOrigins: ['*'], AllowedMethods: ['GET'] },
];

beforeAll(async () => {
  svc = await startService();
  await svc.client.send(new CreateBucketCommand({ Bucket }));
  await svc.client.send(new CreateBucketCommand({ Bucket: 'cors-none' }));
  await svc.client.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: rules } }));
  await svc.client.send(new PutObjectCommand({ Bucket, Key: 'hello.txt', Body: 'hello' }));
});
afterAll(() => svc?.stop());

const preflight = (path: string, headers: Record<string, string>) => fetch(`${svc.endpoint}${path}`, { method: 'OPTIONS', headers });
const errorCode = async (r: Response) => /<Code>([^<]+)<\/Code>/.exec(await r.text())?.[1];

describe('CORS configuration', () => {
  it('round-trips through Put/Get/DeleteBucketCors', async () => {
    const got = await svc.client.send(new GetBucketCorsCommand({ Bucket }));
    expect(got.CORSRules).toEqual(rules);
    await svc.client.send(new PutBucketCorsCommand({ Bucket: 'cors-none', CORSConfiguration: { CORSRules: [rules[1]!] } }));
    await svc.client.send(new DeleteBucketCorsCommand({ Bucket: 'cors-none' }));
    expect(await s3Error(svc.client.send(new GetBucketCorsCommand({ Bucket: 'cors-none' })))).toEqual({ name: 'NoSuchCORSConfiguration', status: 404 });
    expect(await s3Error(svc.client.send(new GetBucketCorsCommand({ Bucket: 'no-such-bucket' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
  });

  it('refuses configurations S3 refuses, with its errors', async () => {
    const put = (CORSRules: object[]) => s3Error(svc.client.send(new PutBucketCorsCommand({ Bucket: 'cors-none', CORSConfiguration: { CORSRules } as never })));
    expect(await put([{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }])).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await put([{ AllowedOrigins: ['https://*.*.example.com'], AllowedMethods: ['GET'] }])).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await put([{ AllowedOrigins: ['*'], AllowedMethods: ['GET'], AllowedHeaders: ['x-*-*'] }])).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await put([{ AllowedOrigins: ['*'], AllowedMethods: ['GET'], ExposeHeaders: ['*'] }])).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await put([{ AllowedMethods: ['GET'] }])).toEqual({ name: 'MalformedXML', status: 400 });
    expect(await put([])).toEqual({ name: 'MalformedXML', status: 400 });
    expect(await put(Array.from({ length: 101 }, () => rules[1]!))).toEqual({ name: 'MalformedXML', status: 400 });
    expect(await s3Error(svc.client.send(new GetBucketCorsCommand({ Bucket: 'cors-none' })))).toEqual({ name: 'NoSuchCORSConfiguration', status: 404 });
  });
});

it.runIf(existsSync('/usr/bin/aws'))('the aws CLI sets and reads a configuration (the README example)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'edge-sse-cors-cli-'));
  const aws = (...args: string[]) =>
    promisify(execFile)('/usr/bin/aws', ['--endpoint-url', svc.endpoint, 's3api', ...args], {
      env: { PATH: process.env.PATH, HOME: home, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_DEFAULT_REGION: REGION, AWS_CONFIG_FILE: join(home, 'c'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'c') },
    });
  try {
    const config = { CORSRules: [{ AllowedOrigins: ['https://app.example.com'], AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag', 'x-amz-server-side-encryption'], MaxAgeSeconds: 3000 }] };
    await svc.client.send(new CreateBucketCommand({ Bucket: 'cors-cli' }));
    await aws('put-bucket-cors', '--bucket', 'cors-cli', '--cors-configuration', JSON.stringify(config));
    expect(JSON.parse((await aws('get-bucket-cors', '--bucket', 'cors-cli')).stdout)).toEqual(config);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

describe('preflight', () => {
  it('answers a matching preflight without credentials', async () => {
    const r = await preflight(`/${Bucket}/hello.txt`, { Origin: APP, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'X-Amz-Date, Content-Type, Authorization' });
    expect(r.status).toBe(200);
    expect(Object.fromEntries([...r.headers].filter(([n]) => n.startsWith('access-control-') || n === 'vary'))).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, PUT, HEAD',
      'access-control-allow-headers': 'x-amz-date, content-type, authorization',
      'access-control-expose-headers': 'ETag, x-amz-server-side-encryption',
      'access-control-max-age': '600',
      vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    });
  });

  it('finds the bucket of a virtual-hosted request', async () => {
    const { port } = new URL(svc.endpoint);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const r = httpRequest({ host: '127.0.0.1', port, method: 'OPTIONS', path: '/hello.txt', headers: { Host: `${Bucket}.localhost:${port}`, Origin: APP, 'Access-Control-Request-Method': 'PUT' } }, (res) => {
        res.resume();
        resolve(res.headers['access-control-allow-origin'] === APP ? res.statusCode : -1);
      });
      r.on('error', reject);
      r.end();
    });
    expect(status).toBe(200);
  });

  it('matches a wildcard origin and answers * for the any-origin rule', async () => {
    const sub = await preflight(`/${Bucket}/x`, { Origin: 'https://a.example.org', 'Access-Control-Request-Method': 'HEAD' });
    expect(sub.headers.get('access-control-allow-origin')).toBe('https://a.example.org');
    const any = await preflight(`/${Bucket}/x`, { Origin: 'https://elsewhere.test', 'Access-Control-Request-Method': 'GET' });
    expect(any.status).toBe(200);
    expect(any.headers.get('access-control-allow-origin')).toBe('*');
    expect(any.headers.has('access-control-allow-credentials')).toBe(false);
  });

  it('refuses what no rule allows with S3 CORS errors', async () => {
    const method = await preflight(`/${Bucket}/x`, { Origin: 'https://elsewhere.test', 'Access-Control-Request-Method': 'PUT' });
    expect(method.status).toBe(403);
    const body = await method.text();
    expect(body).toContain('<Code>AccessForbidden</Code>');
    expect(body).toContain('<Method>PUT</Method><ResourceType>OBJECT</ResourceType>');
    expect(method.headers.has('access-control-allow-origin')).toBe(false);
    const header = await preflight(`/${Bucket}`, { Origin: APP, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-custom' });
    // Rule 1 does not allow the header x-custom, rule 2 allows no headers at all.
    expect([header.status, await errorCode(header)]).toEqual([403, 'AccessForbidden']);
  });

  it('tells a missing Origin, bucket or configuration apart', async () => {
    const noOrigin = await preflight(`/${Bucket}/x`, { 'Access-Control-Request-Method': 'GET' });
    expect([noOrigin.status, await errorCode(noOrigin)]).toEqual([400, 'BadRequest']);
    const noMethod = await preflight(`/${Bucket}/x`, { Origin: APP });
    expect([noMethod.status, await errorCode(noMethod)]).toEqual([400, 'BadRequest']);
    const noConfig = await preflight('/cors-none/x', { Origin: APP, 'Access-Control-Request-Method': 'GET' });
    expect(noConfig.status).toBe(403);
    expect(await noConfig.text()).toContain('CORS is not enabled for this bucket.');
    const noBucket = await preflight('/no-such-bucket', { Origin: APP, 'Access-Control-Request-Method': 'GET' });
    expect(noBucket.status).toBe(403);
    expect(await noBucket.text()).toContain('Bucket not found');
  });
});

describe('actual responses', () => {
  it('carry the matching rule, errors included; other origins get none', async () => {
    const url = await getSignedUrl(svc.client, new GetObjectCommand({ Bucket, Key: 'hello.txt' }));
    const ok = await fetch(url, { headers: { Origin: APP } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello');
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-expose-headers')).toBe('ETag, x-amz-server-side-encryption');

    const missing = await fetch(`${svc.endpoint}/${Bucket}/absent`, { headers: { Origin: APP } });
    expect(missing.status).toBe(403); // unsigned: AccessDenied, still readable by the page
    expect(missing.headers.get('access-control-allow-origin')).toBe(APP);

    const foreign = await fetch(url, { method: 'GET', headers: { Origin: 'https://evil.test' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBe('*'); // rule 2 allows GET from anywhere
    const put = await fetch(`${svc.endpoint}/${Bucket}/x`, { method: 'PUT', body: 'x', headers: { Origin: 'https://evil.test' } });
    expect(put.headers.has('access-control-allow-origin')).toBe(false);
    const none = await fetch(url, { headers: {} });
    expect(none.headers.has('access-control-allow-origin')).toBe(false);
  });
});
