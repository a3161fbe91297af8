// D1 round trips each request waits for (x-edge-sse-d1-round-trips, on with D1_ROUND_TRIPS_HEADER):
// D1's primary may be far from the edge location serving a request, so every trip is latency.
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketEncryptionCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService } from './helpers/service';

let svc: Service;
let s3: S3Client;
/** Round trips of the last answer the client received. */
let lastTrips: number | null = null;

beforeAll(async () => {
  svc = await startService({ D1_ROUND_TRIPS_HEADER: 'true' });
  s3 = svc.client;
  s3.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const response = out.response as { headers: Record<string, string> };
      lastTrips = Number(response.headers['x-edge-sse-d1-round-trips']);
      return out;
    },
    { step: 'deserialize', name: 'd1RoundTrips' },
  );
  await s3.send(new CreateBucketCommand({ Bucket: 'trips-s3' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'trips-kms' }));
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: 'trips-kms',
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }] },
    }),
  );
});
afterAll(() => svc?.stop());

async function trips(send: () => Promise<unknown>): Promise<number> {
  lastTrips = null;
  await send();
  return lastTrips!;
}

const customerKey = randomBytes(32);
const ssec = {
  SSECustomerAlgorithm: 'AES256',
  SSECustomerKey: customerKey.toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(customerKey).digest('base64'),
};

describe.each([
  { mode: 'SSE-S3', bucket: 'trips-s3', extra: {} },
  { mode: 'SSE-KMS with a bucket key', bucket: 'trips-kms', extra: {} },
  { mode: 'SSE-C', bucket: 'trips-s3', extra: ssec },
])('$mode', ({ bucket, extra }) => {
  it('PUT, GET and HEAD each wait for 1 round trip (warm isolate)', async () => {
    const put = () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'round trips', ...extra }));
    await put(); // warms the isolate: a bucket key is made or opened once
    const counts = {
      PUT: await trips(put),
      GET: await trips(async () => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', ...extra }))).Body!.transformToString()),
      HEAD: await trips(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k', ...extra }))),
    };
    expect(counts).toEqual({ PUT: 1, GET: 1, HEAD: 1 });
  });
});
