// Runs `npm run recover` as an operator would (Node 22, no import of the tool), and builds the
// objects the recovery tests read back, through real S3 clients.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/paths';

const run = promisify(execFile);
const NODE22 = `${ROOT}node_modules/node/bin/node`;

export interface Recovered {
  code: number;
  stdout: string;
  stderr: string;
  /** The problem lines, "kind: bucket B key "K": what". */
  problems: string[];
  summary: string;
}

/** `env` is the tool's whole KMS environment: nothing of this process's leaks in. */
export async function recover(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Recovered> {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  const result = await run(NODE22, ['--disable-warning=ExperimentalWarning', `${ROOT}tools/recover/cli.mjs`, ...args], { cwd, env: { ...base, ...env }, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const lines = result.stdout.trim().split('\n');
  return { ...result, problems: lines.filter((l) => /^(damaged|missing|unopenable): /.test(l)), summary: lines.at(-1) ?? '' };
}
