// `npm run recover` on the persisted local state of a service that real S3 clients wrote to, in
// every SSE mode: export gives back exactly what was uploaded; damage of each kind is named by
// verify and never exported; a `wrangler d1 export` of the database is a valid source.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY_ID, MASTER_KEY, SECRET_ACCESS_KEY, type Service, startService } from '../helpers/service';
import { storedStream } from '../helpers/objects';
import { ROOT } from '../helpers/paths';
import { recover } from './helpers';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const bucket = 'recovery';
const SECOND_MASTER = `second:${Buffer.alloc(32, 9).toString('base64')}`;
const MASTER_KEYS = `${MASTER_KEY},${SECOND_MASTER}`;
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const ssec = (key: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64') }) as const;
const copySourceSsec = (key: Buffer) => ({ CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: key.toString('base64') }) as const;

let dir: string;
let state: string;
let svc: Service;
let stopped = false;
let envFile: string;
let ssecKeys: string;
/** What each object should export as. */
const expected = new Map<string, Buffer>();

async function put(key: string, body: Buffer, extra: Record<string, unknown> = {}) {
  await svc.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }));
  expected.set(key, body);
}

async function multipart(key: string, sizes: number[], extra: Record<string, unknown> = {}) {
  const { UploadId } = await svc.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }));
  const bodies = sizes.map((n) => randomBytes(n));
  const parts = [];
  for (let i = 0; i < bodies.length; i++) {
    const r = await svc.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: bodies[i], ...extra }));
    parts.push({ ETag: r.ETag, PartNumber: i + 1, ChecksumCRC32: r.ChecksumCRC32 });
  }
  await svc.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts }, ...extra }));
  expected.set(key, Buffer.concat(bodies));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edge-sse-recover-'));
  // Laid out as a checkout after `npm run dev`: wrangler.toml, .dev.vars and .wrangler/state/v3.
  state = join(dir, '.wrangler', 'state', 'v3');
  copyFileSync(`${ROOT}wrangler.toml`, join(dir, 'wrangler.toml'));
  svc = await startService({ MASTER_KEY: MASTER_KEYS }, { persistTo: state });
  envFile = join(dir, '.dev.vars');
  writeFileSync(envFile, `MASTER_KEY=${MASTER_KEYS}\n`);
  ssecKeys = join(dir, 'ssec-keys.json');
  writeFileSync(ssecKeys, JSON.stringify({ [`${bucket}/ssec/*`]: keyA.toString('base64'), [`${bucket}/ssec/rotated`]: keyB.toString('base64') }));
  const c = svc.client;
  await c.send(new CreateBucketCommand({ Bucket: bucket }));
  // Re-wrapped under the second master key (the admin re-wrap moves every KMS-sealed row there).
  await put('rewrapped', randomBytes(4000), { ServerSideEncryption: 'aws:kms' });
  const admin = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: 'us-east-1', service: 's3' });
  const rewrap = await admin.fetch(`${svc.endpoint}/_admin/rewrap`, { method: 'POST', body: JSON.stringify({ targetKeyId: 'second' }) });
  expect(rewrap.status).toBe(200);
  await put('s3/small.txt', Buffer.from('hello, recovery'), { ContentType: 'text/plain', Metadata: { owner: 'ops' }, ChecksumAlgorithm: 'SHA256' });
  await put('s3/empty', Buffer.alloc(0));
  await put('s3/three-packages', randomBytes(2 * 65536 + 17), { ChecksumAlgorithm: 'CRC32C' });
  await put('kms/context', randomBytes(70_000), { ServerSideEncryption: 'aws:kms', SSEKMSEncryptionContext: Buffer.from('{"team":"blue"}').toString('base64') });
  await put('kms/second-key', randomBytes(1000), { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'second' });
  await put('ssec/single', randomBytes(100_000), ssec(keyA));
  await multipart('mp/s3', [5 * MiB, 5 * MiB + 3, 12_345], { ChecksumAlgorithm: 'CRC32' });
  await multipart('ssec/mp', [5 * MiB + 1, 777], ssec(keyA));
  // Copies: to another key (re-encrypted) and SSE-C key rotation (re-sealed).
  await c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copies/of-small', CopySource: `${bucket}/s3/small.txt` }));
  expected.set('copies/of-small', expected.get('s3/small.txt')!);
  await put('ssec/rotated', randomBytes(3000), ssec(keyA));
  await c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'ssec/rotated', CopySource: `${bucket}/ssec/rotated`, ...copySourceSsec(keyA), ...ssec(keyB) }));
  // Keys that are no plain file path: a folder marker, and a key that is also another key's folder.
  await put('folder/', Buffer.alloc(0));
  await put('nest', Buffer.from('a file'));
  await put('nest/child', Buffer.from('under it'));
  // Bucket keys: another bucket whose default is SSE-KMS with BucketKeyEnabled.
  await c.send(new CreateBucketCommand({ Bucket: 'bucket-keys' }));
  await c.send(
    new PutBucketEncryptionCommand({
      Bucket: 'bucket-keys',
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }] },
    }),
  );
  await c.send(new PutObjectCommand({ Bucket: 'bucket-keys', Key: 'under-bucket-key', Body: Buffer.from('sealed under a bucket key') }));
  // The aws CLI's own multipart upload (8 MiB chunks of a 9 MiB file: uneven parts).
  const file = join(dir, 'cli-upload.bin');
  writeFileSync(file, randomBytes(9 * MiB));
  const awsConfig = join(dir, 'aws-config');
  writeFileSync(awsConfig, '[default]\ns3 =\n  multipart_threshold = 8MB\n  multipart_chunksize = 8MB\n');
  await exec('/usr/bin/aws', ['--endpoint-url', svc.endpoint, 's3', 'cp', file, `s3://${bucket}/cli/multipart.bin`, '--sse', 'AES256'], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: awsConfig },
  });
  expected.set('cli/multipart.bin', readFileSync(file));
}, 180_000);

afterAll(async () => {
  try {
    if (!stopped) await svc?.stop();
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

const sources = () => ['--state', state, '--env-file', envFile, '--ssec-keys', ssecKeys];

describe('npm run recover', () => {
  it('verifies every object of every SSE mode, and exports each as uploaded with its sidecar', async () => {
    // In the checkout, with no options but the SSE-C keys: the local state and .dev.vars.
    const verified = await recover(['verify', '--ssec-keys', ssecKeys], {}, dir);
    expect(verified.problems).toEqual([]);
    expect(verified.summary).toMatch(/^verified 16 objects \(\d+ bytes\): 0 damaged, 0 missing, 0 unopenable$/);
    expect(verified.code).toBe(0);

    const out = join(dir, 'export');
    const exported = await recover(['export', '--out', out, ...sources()]);
    expect(exported.problems).toEqual([]);
    expect(exported.code).toBe(0);
    const encoded = new Map([
      ['folder/', 'folder%2F'],
      ['nest/child', 'nest%2Fchild'],
    ]);
    for (const [key, body] of expected) {
      const got = readFileSync(join(out, bucket, encoded.get(key) ?? key));
      expect(createHash('sha256').update(got).digest('hex'), key).toBe(createHash('sha256').update(body).digest('hex'));
    }
    expect(readFileSync(join(out, 'bucket-keys', 'under-bucket-key'), 'utf8')).toBe('sealed under a bucket key');
    expect(JSON.parse(readFileSync(join(out, '_meta', bucket, 'nest/child.json'), 'utf8'))).toMatchObject({ key: 'nest/child', file: join(out, bucket, 'nest%2Fchild') });
    const sidecar = JSON.parse(readFileSync(join(out, '_meta', bucket, 's3/small.txt.json'), 'utf8'));
    expect(sidecar).toMatchObject({
      key: 's3/small.txt',
      size: 15,
      headers: { 'content-type': 'text/plain' },
      userMetadata: { owner: 'ops' },
      checksum: { algorithm: 'SHA256', type: 'FULL_OBJECT' },
      sse: { mode: 'SSE-S3', kmsKeyId: 'test-key' },
    });
    expect(JSON.parse(readFileSync(join(out, '_meta', bucket, 'kms/context.json'), 'utf8')).sse).toEqual({ mode: 'SSE-KMS', kmsKeyId: 'test-key', context: { team: 'blue' } });
    expect(JSON.parse(readFileSync(join(out, '_meta', bucket, 'rewrapped.json'), 'utf8')).sse.kmsKeyId).toBe('second');

    // Resumable: a second run finds everything in place.
    const again = await recover(['export', '--out', out, ...sources()]);
    expect(again.summary).toBe(`exported 0 objects to ${out} (16 already there): 0 damaged, 0 missing, 0 unopenable`);
  });

  it('checked multipart objects with per-attempt part salts and a parts manifest MAC', async () => {
    const row = await svc.db.prepare('SELECT length(parts_mac) AS mac FROM objects WHERE bucket = ? AND key = ?').bind(bucket, 'mp/s3').first<{ mac: number }>();
    const salts = await svc.db.prepare('SELECT count(*) AS n FROM object_parts WHERE bucket = ? AND key = ? AND length(salt) = 16').bind(bucket, 'mp/s3').first<{ n: number }>();
    expect([row?.mac, salts?.n]).toEqual([32, 3]);
  });

  it('lists buckets, objects, sizes, modes and KMS key ids', async () => {
    const listed = await recover(['list', '--state', state]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('bucket bucket-keys');
    expect(listed.stdout).toMatch(/recovery\t"kms\/second-key"\t1000\tSSE-KMS\tsecond\t-\t/);
    expect(listed.stdout).toMatch(/recovery\t"mp\/s3"\t10498108\tSSE-S3\ttest-key\t3\t/);
    expect(listed.summary).toMatch(/^16 objects \(\d+ bytes\); 0 multipart uploads in progress/);
  });

  it('counts objects it has no key for as unopenable: a wrong master key, SSE-C keys not given', async () => {
    const wrong = join(dir, 'wrong.vars');
    writeFileSync(wrong, `MASTER_KEY=test-key:${Buffer.alloc(32, 1).toString('base64')},second:${Buffer.alloc(32, 2).toString('base64')}\n`);
    const verified = await recover(['verify', '--state', state, '--env-file', wrong, '--bucket', bucket, '--prefix', 's3/small']);
    expect(verified.problems).toEqual([`unopenable: bucket ${bucket} key "s3/small.txt": sealed data key does not open under master key 'test-key' (wrong MASTER_KEY, or a damaged row)`]);
    expect(verified.code).toBe(1);
    const noSsec = await recover(['verify', '--state', state, '--env-file', envFile, '--bucket', bucket, '--prefix', 'ssec/']);
    expect(noSsec.summary).toMatch(/: 0 damaged, 0 missing, 3 unopenable$/);
    expect(noSsec.problems[0]).toBe(`unopenable: bucket ${bucket} key "ssec/mp": SSE-C object: no customer key for it in --ssec-keys`);
  });
});

describe('damage', () => {
  const blobOf = async (key: string) => (await svc.db.prepare('SELECT blob_id FROM objects WHERE bucket = ? AND key = ?').bind(bucket, key).first<{ blob_id: string }>())!.blob_id;
  const damage = new Map<string, string>();

  beforeAll(async () => {
    for (const name of ['flipped', 'truncated', 'missing', 'moved', 'donor']) await put(`damage/${name}`, randomBytes(150_000));
    await put('damage/inline-flipped', randomBytes(3000));
    await multipart('damage/part-row', [5 * MiB, 1000]);
    await multipart('damage/parts-hidden', [5 * MiB, 1000]);

    const flipped = await blobOf('damage/flipped');
    const bytes = Buffer.from(await (await svc.r2.get(flipped))!.arrayBuffer());
    bytes[70_000] ^= 0x01;
    await svc.r2.put(flipped, bytes);
    damage.set('damage/flipped', `damaged: bucket ${bucket} key "damage/flipped": blob ${flipped}: package 1: authentication failed`);

    // A small object's stream is in its row (inline_data), and is checked the same way.
    const flippedInline = (await storedStream(svc, bucket, 'damage/inline-flipped'))!;
    flippedInline[100] ^= 0x01;
    await svc.db.prepare('UPDATE objects SET inline_data = ? WHERE bucket = ? AND key = ?').bind(flippedInline, bucket, 'damage/inline-flipped').run();
    damage.set('damage/inline-flipped', `damaged: bucket ${bucket} key "damage/inline-flipped": inline stream: package 0: authentication failed`);

    const truncated = await blobOf('damage/truncated');
    const whole = Buffer.from(await (await svc.r2.get(truncated))!.arrayBuffer());
    await svc.r2.put(truncated, whole.subarray(0, 2 * 65566));
    damage.set('damage/truncated', `damaged: bucket ${bucket} key "damage/truncated": blob ${truncated} is 131132 bytes, a 150000-byte stream is 150090`);

    const missing = await blobOf('damage/missing');
    await svc.r2.delete(missing);
    damage.set('damage/missing', `missing: bucket ${bucket} key "damage/missing": blob ${missing} is missing`);

    const donor = await blobOf('damage/donor');
    await svc.db.prepare('UPDATE objects SET blob_id = ? WHERE bucket = ? AND key = ?').bind(donor, bucket, 'damage/moved').run();
    damage.set('damage/moved', `damaged: bucket ${bucket} key "damage/moved": blob ${donor}: package 0: authentication failed`);

    await svc.db.prepare('DELETE FROM object_parts WHERE bucket = ? AND key = ? AND ordinal = 2').bind(bucket, 'damage/part-row').run();
    damage.set('damage/part-row', `damaged: bucket ${bucket} key "damage/part-row": part list: parts_count is 2, 1 part rows`);

    // The same with the object's row made to agree: only the parts manifest MAC tells.
    await svc.db.prepare('DELETE FROM object_parts WHERE bucket = ?1 AND key = ?2 AND ordinal = 2').bind(bucket, 'damage/parts-hidden').run();
    await svc.db.prepare('UPDATE objects SET parts_count = 1, size = ?3 WHERE bucket = ?1 AND key = ?2').bind(bucket, 'damage/parts-hidden', 5 * MiB).run();
    damage.set(
      'damage/parts-hidden',
      `damaged: bucket ${bucket} key "damage/parts-hidden": part list: parts_mac does not match the part rows (a part row was removed, added, reordered or changed)`,
    );
  });

  it('names each damaged object and what failed, and exports none of them', async () => {
    const verified = await recover(['verify', ...sources(), '--prefix', 'damage/']);
    expect(verified.problems).toEqual([...damage.keys()].sort().map((k) => damage.get(k)));
    expect(verified.summary).toBe(`verified 8 objects (${5 * 150_000 + 3000 + 2 * 5 * MiB + 1000} bytes): 6 damaged, 1 missing, 0 unopenable`);
    expect(verified.code).toBe(1);

    const out = join(dir, 'export-damaged');
    const exported = await recover(['export', '--out', out, ...sources(), '--prefix', 'damage/']);
    expect(exported.code).toBe(1);
    expect(exported.summary).toBe(`exported 1 objects to ${out} (0 already there): 6 damaged, 1 missing, 0 unopenable`);
    for (const key of damage.keys()) {
      expect(existsSync(join(out, bucket, key)), key).toBe(false);
      expect(existsSync(join(out, '_meta', bucket, `${key}.json`)), key).toBe(false);
    }
    expect(readFileSync(join(out, bucket, 'damage/donor')).equals(expected.get('damage/donor')!)).toBe(true);
    expect(existsSync(join(out, '_meta', '.tmp'))).toBe(false);
  });

  it('reads the same from a `wrangler d1 export` of the local database', async () => {
    // wrangler opens the same state: the service lets go of it first.
    await svc.stop();
    stopped = true;
    const sql = join(dir, 'd1.sql');
    await exec(`${ROOT}node_modules/.bin/wrangler`, ['d1', 'export', 'DB', '--local', '--output', sql], {
      cwd: dir,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', PATH: `${ROOT}node_modules/node/bin:${process.env.PATH}` },
    });
    const verified = await recover(['verify', '--db', sql, ...sources()]);
    expect(verified.problems).toEqual([...damage.keys()].sort().map((k) => damage.get(k)));
    expect(verified.summary).toMatch(/^verified 24 objects \(\d+ bytes\): 6 damaged, 1 missing, 0 unopenable$/);
  }, 120_000);
});
