// Runs an admin CLI command against a test service, as an operator would, with its exit status.
import { execFile } from 'node:child_process';
import { AwsClient } from 'aws4fetch';
import { ROOT } from './paths';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, type Service } from './service';

export function adminCli(svc: Service, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY };
    execFile(process.execPath, [`${ROOT}tools/admin/main.mjs`, '--endpoint', svc.endpoint, ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The JSON lines of a command's output. */
export const jsonLines = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** A signed GET of /_admin/<path> from the test process (faster than the CLI), its status and JSON. */
export async function adminGet<T = Record<string, unknown>>(svc: Service, path: string): Promise<{ status: number; body: T }> {
  const client = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: 'us-east-1', service: 's3' });
  const response = await client.fetch(`${svc.endpoint}/_admin/${path}`, { headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  return { status: response.status, body: (response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text()) as T };
}
