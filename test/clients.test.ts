// Other real clients at their default settings, from Debian's packages: boto3, rclone and s3cmd.
// Each test is skipped where its client is not installed; under CI (.ci/run installs them) a missing
// one fails the run.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';
import { ROOT } from './helpers/paths';
import { tempDir } from './helpers/temp';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
let svc: Service;
const temp = tempDir('clients');
const dir = temp.path;
const MiB = 1024 * 1024;

const hasBoto3 = existsSync(PYTHON) && existsSync('/usr/lib/python3/dist-packages/boto3');
const hasRclone = existsSync('/usr/bin/rclone');
const hasS3cmd = existsSync('/usr/bin/s3cmd');

beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.stop();
  temp.remove();
});

it.runIf(process.env.CI === 'true')('has every client installed under CI', () => {
  expect({ boto3: hasBoto3, rclone: hasRclone, s3cmd: hasS3cmd }).toEqual({ boto3: true, rclone: true, s3cmd: true });
});

describe.runIf(hasBoto3)('boto3', () => {
  it('round-trips objects, multipart, SSE-C, SSE-KMS, copies, presigned URLs and listings', async () => {
    const { stdout } = await run(PYTHON, [`${ROOT}test/clients/boto3_roundtrip.py`, svc.endpoint, ACCESS_KEY_ID, SECRET_ACCESS_KEY, dir], {
      env: { PATH: process.env.PATH, HOME: dir, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') },
    });
    expect(stdout.trim().split('\n').at(-1)).toBe('delete_objects/delete_bucket');
  }, 180_000);
});

describe.runIf(hasRclone)('rclone', () => {
  const rclone = (...args: string[]) =>
    run('/usr/bin/rclone', args, {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        RCLONE_CONFIG: join(dir, 'rclone.conf'),
        RCLONE_CONFIG_EDGE_TYPE: 's3',
        RCLONE_CONFIG_EDGE_PROVIDER: 'Other',
        RCLONE_CONFIG_EDGE_ENDPOINT: svc.endpoint,
        RCLONE_CONFIG_EDGE_REGION: 'us-east-1',
        RCLONE_CONFIG_EDGE_ACCESS_KEY_ID: ACCESS_KEY_ID,
        RCLONE_CONFIG_EDGE_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      },
    }).then((r) => r.stdout);

  it('copies a tree up and back, verifies it with check, and multipart-uploads big files', async () => {
    const src = join(dir, 'rclone-src');
    mkdirSync(join(src, 'nested'), { recursive: true });
    const files = { 'a.txt': randomBytes(10), 'nested/b.bin': randomBytes(300_000), 'big.bin': randomBytes(12 * MiB) };
    for (const [name, data] of Object.entries(files)) writeFileSync(join(src, name), data);
    await rclone('mkdir', 'edge:rclone-bucket');
    await rclone('copy', src, 'edge:rclone-bucket/tree', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M');
    expect((await rclone('lsf', '-R', 'edge:rclone-bucket/tree')).split('\n').filter(Boolean).sort()).toEqual(['a.txt', 'big.bin', 'nested/', 'nested/b.bin']);
    await rclone('check', src, 'edge:rclone-bucket/tree');
    const back = join(dir, 'rclone-back');
    await rclone('copy', 'edge:rclone-bucket/tree', back);
    for (const [name, data] of Object.entries(files)) expect(readFileSync(join(back, name)).equals(data)).toBe(true);
    await rclone('purge', 'edge:rclone-bucket');
    expect(await rclone('lsd', 'edge:')).not.toContain('rclone-bucket');
  }, 180_000);
});

describe.runIf(hasS3cmd)('s3cmd', () => {
  const config = join(dir, 's3cfg');
  const s3cmd = (...args: string[]) => run('/usr/bin/s3cmd', ['-c', config, ...args], { env: { PATH: process.env.PATH, HOME: dir } }).then((r) => r.stdout);

  it('makes a bucket, puts (multipart too), lists, gets and removes', async () => {
    const host = new URL(svc.endpoint).host;
    writeFileSync(
      config,
      ['[default]', `access_key = ${ACCESS_KEY_ID}`, `secret_key = ${SECRET_ACCESS_KEY}`, `host_base = ${host}`, `host_bucket = ${host}`, 'use_https = False', 'bucket_location = us-east-1', ''].join('\n'),
    );
    const small = randomBytes(5000);
    const big = randomBytes(20 * MiB);
    writeFileSync(join(dir, 's3cmd-small'), small);
    writeFileSync(join(dir, 's3cmd-big'), big);
    await s3cmd('mb', 's3://s3cmd-bucket');
    await s3cmd('put', join(dir, 's3cmd-small'), 's3://s3cmd-bucket/dir/small');
    await s3cmd('put', join(dir, 's3cmd-big'), 's3://s3cmd-bucket/big');
    const listing = await s3cmd('ls', 's3://s3cmd-bucket/');
    expect(listing).toMatch(/DIR\s+s3:\/\/s3cmd-bucket\/dir\//);
    expect(listing).toMatch(/20971520\s+s3:\/\/s3cmd-bucket\/big/);
    await s3cmd('get', 's3://s3cmd-bucket/big', join(dir, 's3cmd-big.out'));
    expect(readFileSync(join(dir, 's3cmd-big.out')).equals(big)).toBe(true);
    await s3cmd('get', 's3://s3cmd-bucket/dir/small', join(dir, 's3cmd-small.out'));
    expect(readFileSync(join(dir, 's3cmd-small.out')).equals(small)).toBe(true);
    await s3cmd('del', '--recursive', '--force', 's3://s3cmd-bucket/');
    await s3cmd('rb', 's3://s3cmd-bucket');
    expect(await s3cmd('ls')).not.toContain('s3cmd-bucket');
  }, 180_000);
});
