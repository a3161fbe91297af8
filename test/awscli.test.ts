// The aws CLI v2 (Debian's, /usr/bin/aws) with its default settings: mb, cp up and down, ls, rm, rb.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';
import { tempDir } from './helpers/temp';

const AWS = '/usr/bin/aws';
const run = promisify(execFile);
let svc: Service;
const temp = tempDir('cli');
const dir = temp.path;
afterAll(() => temp.remove());

it.runIf(process.env.CI === 'true')('has the aws CLI installed under CI', () => expect(existsSync(AWS)).toBe(true));

async function aws(...args: string[]): Promise<string> {
  const { stdout } = await run(AWS, ['--endpoint-url', svc.endpoint, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      AWS_DEFAULT_REGION: REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    },
  });
  return stdout;
}

describe.runIf(existsSync(AWS))('aws CLI v2', () => {
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(() => svc?.stop());

  it('makes a bucket, copies files up and down, lists and removes them', async () => {
    await aws('s3', 'mb', 's3://cli-bucket');
    const small = randomBytes(1234);
    const larger = randomBytes(5 * 1024 * 1024 + 3);
    writeFileSync(join(dir, 'small.bin'), small);
    writeFileSync(join(dir, 'larger.bin'), larger);
    await aws('s3', 'cp', join(dir, 'small.bin'), 's3://cli-bucket/docs/small.bin');
    await aws('s3', 'cp', join(dir, 'larger.bin'), 's3://cli-bucket/larger.bin');

    const listing = await aws('s3', 'ls', 's3://cli-bucket/');
    expect(listing).toMatch(/PRE docs\//);
    expect(listing).toMatch(/5242883 larger\.bin/);
    expect(await aws('s3', 'ls', '--recursive', 's3://cli-bucket/')).toMatch(/1234 docs\/small\.bin/);

    await aws('s3', 'cp', 's3://cli-bucket/larger.bin', join(dir, 'larger.out'));
    expect(readFileSync(join(dir, 'larger.out')).equals(larger)).toBe(true);
    await aws('s3', 'cp', 's3://cli-bucket/docs/small.bin', join(dir, 'small.out'));
    expect(readFileSync(join(dir, 'small.out')).equals(small)).toBe(true);

    await aws('s3', 'rm', '--recursive', 's3://cli-bucket/');
    expect(await aws('s3', 'ls', 's3://cli-bucket/')).toBe('');
    await aws('s3', 'rb', 's3://cli-bucket');
    expect(await aws('s3', 'ls')).not.toContain('cli-bucket');
  });

  it('round-trips with --sse AES256, --sse aws:kms and --sse-c keys', async () => {
    await aws('s3', 'mb', 's3://cli-sse');
    const data = randomBytes(200_000);
    writeFileSync(join(dir, 'sse.bin'), data);
    await aws('s3', 'cp', '--sse', 'AES256', join(dir, 'sse.bin'), 's3://cli-sse/s3.bin');
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'cli-sse', '--key', 's3.bin'));
    expect(head.ServerSideEncryption).toBe('AES256');

    await aws('s3', 'cp', '--sse', 'aws:kms', '--sse-kms-key-id', 'test-key', join(dir, 'sse.bin'), 's3://cli-sse/kms.bin');
    const kmsHead = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'cli-sse', '--key', 'kms.bin'));
    expect([kmsHead.ServerSideEncryption, kmsHead.SSEKMSKeyId]).toEqual(['aws:kms', 'test-key']);
    await aws('s3', 'cp', 's3://cli-sse/kms.bin', join(dir, 'kms.out'));
    expect(readFileSync(join(dir, 'kms.out')).equals(data)).toBe(true);
    const unknown = await aws('s3', 'cp', '--sse', 'aws:kms', '--sse-kms-key-id', 'nope', join(dir, 'sse.bin'), 's3://cli-sse/x.bin').catch((e: { stderr: string }) => e.stderr);
    expect(unknown).toMatch(/KMS\.NotFoundException/);

    const key = 'k'.repeat(32);
    await aws('s3', 'cp', '--sse-c', 'AES256', '--sse-c-key', key, join(dir, 'sse.bin'), 's3://cli-sse/c.bin');
    await aws('s3', 'cp', '--sse-c', 'AES256', '--sse-c-key', key, 's3://cli-sse/c.bin', join(dir, 'c.out'));
    expect(readFileSync(join(dir, 'c.out')).equals(data)).toBe(true);
    const denied = await aws('s3', 'cp', '--sse-c', 'AES256', '--sse-c-key', 'x'.repeat(32), 's3://cli-sse/c.bin', join(dir, 'c2.out')).catch(
      (e: { stderr: string }) => e.stderr,
    );
    expect(denied).toMatch(/403|Forbidden|AccessDenied/);
  });

  it('copies 100 MiB up and down with multipart, with and without SSE-C', async () => {
    await aws('s3', 'mb', 's3://cli-multipart');
    const big = randomBytes(100 * 1024 * 1024);
    writeFileSync(join(dir, 'big.bin'), big);
    await aws('s3', 'cp', join(dir, 'big.bin'), 's3://cli-multipart/big.bin');
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'cli-multipart', '--key', 'big.bin'));
    expect(head.ETag).toMatch(/-13"$/);
    await aws('s3', 'cp', 's3://cli-multipart/big.bin', join(dir, 'big.out'));
    expect(readFileSync(join(dir, 'big.out')).equals(big)).toBe(true);

    const key = 'q'.repeat(32);
    await aws('s3', 'cp', '--sse-c', 'AES256', '--sse-c-key', key, join(dir, 'big.bin'), 's3://cli-multipart/big-c.bin');
    await aws('s3', 'cp', '--sse-c', 'AES256', '--sse-c-key', key, 's3://cli-multipart/big-c.bin', join(dir, 'big-c.out'));
    expect(readFileSync(join(dir, 'big-c.out')).equals(big)).toBe(true);
  }, 300_000);

  it('reports S3 errors the CLI understands', async () => {
    const err = await aws('s3api', 'head-object', '--bucket', 'missing-bucket', '--key', 'k').catch((e: { stderr: string }) => e.stderr);
    expect(err).toMatch(/404/);
  });
});
