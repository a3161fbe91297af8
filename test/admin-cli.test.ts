// The admin CLI (`npm run admin -- ...`, tools/admin) end to end against a local service.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error } from './helpers/errors';
import { ROOT } from './helpers/paths';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';

let svc: Service;
const dir = mkdtempSync(join(tmpdir(), 'edge-sse-admin-'));
const adminEnv = { AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY };

/** Runs the CLI; its stdout, stderr and exit status. */
async function admin(args: string[], env: Record<string, string> = adminEnv, input = ''): Promise<{ stdout: string; stderr: string; code: number }> {
  const { PATH, HOME } = process.env;
  const run = promisify(execFile)(process.execPath, [`${ROOT}tools/admin/main.mjs`, ...args], { env: { PATH, HOME, ...env } });
  run.child.stdin!.end(input);
  return run.then(
    (r) => ({ ...r, code: 0 }),
    (e: { stdout: string; stderr: string; code: number }) => e,
  );
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const policyFile = (name: string, policy: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, typeof policy === 'string' ? policy : JSON.stringify(policy));
  return file;
};

beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run admin', () => {
  it('creates, lists, disables, enables and deletes access keys', async () => {
    const file = policyFile('read.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' }] });
    const created = await admin(['--endpoint', svc.endpoint, 'user', 'create', '--name', 'reader', '--policy', file]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const key = JSON.parse(created.stdout) as { accessKeyId: string; secretAccessKey: string };
    expect(key).toMatchObject({ accessKeyId: expect.stringMatching(/^EK[A-Z2-7]{18}$/), secretAccessKey: expect.stringMatching(/^[A-Za-z0-9+/]{40}$/), name: 'reader', status: 'active' });

    const reader = new S3Client({ endpoint: svc.endpoint, region: REGION, forcePathStyle: true, credentials: key });
    expect(await s3Error(reader.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await s3Error(reader.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })))).toEqual({ name: 'NoSuchBucket', status: 404 });

    // --endpoint after the command, too.
    const listed = await admin(['user', 'list', '--endpoint', svc.endpoint]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ accessKeyId: key.accessKeyId, name: 'reader', status: 'active' })]);
    expect(listed.stdout).not.toContain(key.secretAccessKey);

    expect(JSON.parse((await admin(['user', 'disable', key.accessKeyId, `--endpoint=${svc.endpoint}`])).stdout)).toMatchObject({ status: 'disabled' });
    expect(await s3Error(reader.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    expect(JSON.parse((await admin(['user', 'enable', key.accessKeyId, '--endpoint', svc.endpoint])).stdout)).toMatchObject({ status: 'active' });
    expect(await s3Error(reader.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })))).toEqual({ name: 'NoSuchBucket', status: 404 });

    expect(await admin(['user', 'delete', key.accessKeyId, '--endpoint', svc.endpoint])).toMatchObject({ code: 0, stderr: `deleted ${key.accessKeyId}\n` });
    expect(await s3Error(reader.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    expect(await admin(['user', 'delete', key.accessKeyId, '--endpoint', svc.endpoint])).toMatchObject({ code: 1, stderr: `error: NoSuchEntity: There is no access key ${key.accessKeyId}.\n` });
    reader.destroy();

    const fromStdin = await admin(['--endpoint', svc.endpoint, 'user', 'create', '--name', 'piped', '--policy', '-'], adminEnv, readFileSync(file, 'utf8'));
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ name: 'piped', policy: { Statement: [{ Action: 's3:GetObject' }] } });
  });

  it('fails in words with a non-zero exit status', async () => {
    const at = ['--endpoint', svc.endpoint];
    const malformed = await admin([...at, 'user', 'create', '--name', 'x', '--policy', policyFile('bad.json', '{"Statement": {"Effect": "Allow"}}')]);
    expect(malformed).toMatchObject({ code: 1, stdout: '', stderr: 'error: MalformedPolicyDocument: Statement 1 must have exactly one of Action and NotAction.\n' });
    expect(await admin([...at, 'user', 'create', '--name', 'x', '--policy', join(dir, 'missing.json')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: cannot read the policy file/) });
    expect(await admin([...at, 'user', 'create', '--name', 'x'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: user create needs --name NAME --policy FILE/) });
    expect(await admin([...at, 'frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: unknown command "frobnicate"/) });
    expect(await admin([...at, 'user', 'list'], {})).toMatchObject({ code: 2, stderr: expect.stringMatching(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/) });
    expect(await admin([...at, 'user', 'list'], { AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: 'wrong' })).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: SignatureDoesNotMatch: /) });
    const closed = await closedPort();
    expect(await admin(['--endpoint', `http://127.0.0.1:${closed}`, 'user', 'list'])).toMatchObject({ code: 1, stderr: `error: cannot reach http://127.0.0.1:${closed}: ECONNREFUSED\n` });
    expect(await admin(['--endpoint', 'nowhere', 'user', 'list'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: --endpoint nowhere is not a URL/) });

    const user = JSON.parse((await admin([...at, 'user', 'create', '--name', 'all', '--policy', policyFile('all.json', { Statement: { Effect: 'Allow', Action: '*', Resource: '*' } })])).stdout);
    const asUser = { AWS_ACCESS_KEY_ID: user.accessKeyId, AWS_SECRET_ACCESS_KEY: user.secretAccessKey };
    expect(await admin([...at, 'user', 'list'], asUser)).toMatchObject({ code: 1, stderr: 'error: AccessDenied: Access Denied\n' });
    expect(await admin([...at, 'rewrap'], asUser)).toMatchObject({ code: 1, stderr: 'error: AccessDenied: Access Denied\n' });
  });

  it('prints its usage, and npm run admin runs it', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'admin', '--', 'help'], { cwd: ROOT });
    expect(stdout).toMatch(/^usage: npm run admin -- \[--endpoint URL\]/);
    expect(stdout).toMatch(/user create --name NAME --policy FILE/);
    expect(stdout).toMatch(/rewrap \[--key-id ID\]/);
  });
});
