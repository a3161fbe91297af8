// Nothing lost: the collector never deletes a blob a row refers to, whatever the trash says; a
// retried CompleteMultipartUpload gets the answer of the Complete that made the object; every part
// attempt has a stream key of its own; SSE-C plaintext checksums go only to holders of the key.
import { createHash, randomBytes } from 'node:crypto';
import {
  ChecksumAlgorithm,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { getBytes } from './helpers/objects';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';

let svc: Service;
let client: S3Client;
let signer: AwsClient;
const bucket = 'safety';
const MINUTE = 60_000;
const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  svc = await startService();
  client = svc.client; // no SDK retries: a retried 500 must not pass as success
  signer = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION, service: 's3', retries: 0 });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => svc?.stop());

const blobOf = async (key: string) => (await svc.db.prepare('SELECT blob_id FROM objects WHERE bucket = ? AND key = ?').bind(bucket, key).first<{ blob_id: string }>())!.blob_id;

describe('the garbage collector', () => {
  it('never deletes a trashed blob that a row still refers to', async () => {
    const body = randomBytes(70_000);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'live', Body: body }));
    const blob = await blobOf('live');
    // As a write whose commit failed ambiguously (it did commit) would once have left it.
    await svc.db.prepare('INSERT INTO blob_trash (blob_id, trashed_at) VALUES (?, ?)').bind(blob, Date.now()).run();
    await svc.collectGarbage(Date.now() + 20 * MINUTE);
    expect(await svc.r2.head(blob)).not.toBeNull();
    expect(await svc.db.prepare('SELECT count(*) AS n FROM blob_trash WHERE blob_id = ?').bind(blob).first('n')).toBe(0);
    expect(sha(await getBytes(client, bucket, 'live'))).toBe(sha(body));
  });

  it('never deletes trashed part blobs of an upload in progress or of a completed object', async () => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp-live' }));
    const part = randomBytes(1000);
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp-live', UploadId, PartNumber: 1, Body: part }));
    await svc.db.prepare('INSERT INTO blob_trash (blob_id, trashed_at) SELECT blob_id, ? FROM upload_parts WHERE upload_id = ?').bind(Date.now(), UploadId).run();
    await svc.collectGarbage(Date.now() + 20 * MINUTE);
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp-live', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
    await svc.db.prepare("INSERT INTO blob_trash (blob_id, trashed_at) SELECT blob_id, ? FROM object_parts WHERE key = 'mp-live'").bind(Date.now()).run();
    await svc.collectGarbage(Date.now() + 20 * MINUTE);
    expect(sha(await getBytes(client, bucket, 'mp-live'))).toBe(sha(part));
  });
});

/** Uploads `parts` and returns the upload id and the Parts list a Complete names. */
async function uploadParts(key: string, parts: Buffer[], extra: Record<string, unknown> = {}, partExtra: Record<string, unknown> = {}) {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }));
  const done = [];
  for (const [i, Body] of parts.entries()) {
    const { ETag, ChecksumCRC32 } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body, ...partExtra }));
    done.push({ PartNumber: i + 1, ETag, ...(ChecksumCRC32 ? { ChecksumCRC32 } : {}) });
  }
  return { UploadId: UploadId!, Parts: done };
}

describe('a retried CompleteMultipartUpload', () => {
  it('gets the same answer as the Complete that made the object', async () => {
    const { UploadId, Parts } = await uploadParts('retried', [randomBytes(5 * MiB), randomBytes(10)]);
    const complete = () => client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'retried', UploadId, MultipartUpload: { Parts } }));
    const first = await complete();
    const again = await complete();
    expect(again.ETag).toBe(first.ETag);
    expect(again.Key).toBe('retried');
    expect(first.ETag).toMatch(/-2"$/);
  });

  it('is NoSuchUpload for other parts, or once the key holds another object', async () => {
    const { UploadId, Parts } = await uploadParts('retried-2', [randomBytes(5 * MiB), randomBytes(10)]);
    const complete = (parts: typeof Parts) => client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'retried-2', UploadId, MultipartUpload: { Parts: parts } }));
    await complete(Parts);
    expect(await s3Error(complete(Parts.slice(0, 1)))).toEqual({ name: 'NoSuchUpload', status: 404 });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'retried-2', Body: 'newer' }));
    expect(await s3Error(complete(Parts))).toEqual({ name: 'NoSuchUpload', status: 404 });
  });
});

describe('part attempts', () => {
  it('each get their own salt, and the last attempt is what the object holds', async () => {
    const key = 'reuploaded';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const salt = async () => (await svc.db.prepare('SELECT hex(salt) AS s FROM upload_parts WHERE upload_id = ?').bind(UploadId).first<{ s: string }>())!.s;
    await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'first attempt' }));
    const first = await salt();
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'second attempt' }));
    const second = await salt();
    expect(first).toMatch(/^[0-9A-F]{32}$/);
    expect(second).toMatch(/^[0-9A-F]{32}$/);
    expect(second).not.toBe(first);
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
    expect((await getBytes(client, bucket, key)).toString()).toBe('second attempt');
    expect(await svc.db.prepare('SELECT hex(salt) AS s FROM object_parts WHERE key = ?').bind(key).first('s')).toBe(second);
  });
});

describe('SSE-C multipart checksums', () => {
  const customerKey = randomBytes(32);
  const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey.toString('base64') } as const;
  const ssecHeaders = {
    'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-amz-server-side-encryption-customer-key': customerKey.toString('base64'),
    'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(customerKey).digest('base64'),
  };
  const base = () => `${svc.endpoint}/${bucket}/ssec-sums`;

  it('are listed and answered only to a caller with the key', async () => {
    const { UploadId, Parts } = await uploadParts('ssec-sums', [randomBytes(5 * MiB), randomBytes(100)], { ...ssec, ChecksumAlgorithm: ChecksumAlgorithm.CRC32 }, { ...ssec, ChecksumAlgorithm: ChecksumAlgorithm.CRC32 });
    const list = async (headers: Record<string, string>) => (await signer.fetch(`${base()}?uploadId=${UploadId}`, { headers })).text();
    expect(await list({})).not.toContain('ChecksumCRC32');
    expect(await list(ssecHeaders)).toContain('<ChecksumCRC32>');
    const xml = `<CompleteMultipartUpload>${Parts.map((p) => `<Part><PartNumber>${p.PartNumber}</PartNumber><ETag>${p.ETag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const without = await signer.fetch(`${base()}?uploadId=${UploadId}`, { method: 'POST', body: xml });
    expect(without.status).toBe(200);
    expect(await without.text()).not.toContain('Checksum');
    const retried = await signer.fetch(`${base()}?uploadId=${UploadId}`, { method: 'POST', body: xml, headers: ssecHeaders });
    expect(retried.status).toBe(200);
    expect(await retried.text()).toContain('<ChecksumCRC32>');
  });

  it('completes with the key sent, authenticating the parts with it', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(100)];
    const { UploadId, Parts } = await uploadParts('ssec-with-key', parts, ssec, ssec);
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'ssec-with-key', UploadId, MultipartUpload: { Parts }, ...ssec }));
    expect(sha(await getBytes(client, bucket, 'ssec-with-key', ssec))).toBe(sha(Buffer.concat(parts)));
    const wrong = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: randomBytes(32).toString('base64') };
    const other = await uploadParts('ssec-wrong-key', parts.slice(1), ssec, ssec);
    expect(await s3Error(client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'ssec-wrong-key', UploadId: other.UploadId, MultipartUpload: { Parts: other.Parts }, ...wrong })))).toEqual({
      name: 'AccessDenied',
      status: 403,
    });
  });
});
