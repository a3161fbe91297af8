#!/usr/bin/env node
// `npm run admin -- [--endpoint URL] <command> ...`: administration of an edge-sse endpoint (local or
// deployed), signed with the administrator's key from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
// One module per command family (./<family>.mjs exporting `usage` and `run(args, client)`); add a
// family by adding its module to FAMILIES. Exit status: 0 done, 1 failed, 2 usage.
import { AdminClient, AdminError, UsageError } from './client.mjs';

const FAMILIES = {
  user: () => import('./user.mjs'),
  rewrap: () => import('./rewrap.mjs'),
  audit: () => import('./audit.mjs'),
  'erasure-report': () => import('./erasure-report.mjs'),
  health: () => import('./health.mjs'),
};

const GLOBAL_USAGE = `usage: npm run admin -- [--endpoint URL] [--region R] <command> [options]

  --endpoint URL   the edge-sse endpoint (default http://127.0.0.1:8787; also after the command)
  --region R       the region requests are signed for (default $AWS_DEFAULT_REGION or us-east-1)
Credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of an administrator.

commands:`;

/** Takes --endpoint and --region from anywhere in argv; the rest is the command's. */
function globalOptions(argv) {
  const options = { endpoint: process.env.EDGE_SSE_ENDPOINT || 'http://127.0.0.1:8787', region: process.env.AWS_DEFAULT_REGION || process.env.AWS_REGION || 'us-east-1' };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(endpoint|region)(?:=(.*))?$/.exec(argv[i]);
    if (!m) rest.push(argv[i]);
    else if (m[2] !== undefined) options[m[1]] = m[2];
    else if (i + 1 < argv.length) options[m[1]] = argv[++i];
    else throw new UsageError(`--${m[1]} needs a value`);
  }
  return { options, rest };
}

async function usage() {
  const lines = [GLOBAL_USAGE];
  for (const load of Object.values(FAMILIES)) lines.push((await load()).usage.replace(/^/gm, '  '));
  return lines.join('\n');
}

async function main(argv) {
  const { options, rest } = globalOptions(argv);
  const [family, ...args] = rest;
  if (!family || family === 'help' || family === '--help' || family === '-h') {
    console.log(await usage());
    return 0;
  }
  const load = FAMILIES[family];
  if (!load) throw new UsageError(`unknown command "${family}"`);
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new UsageError('set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to an administrator key');
  const client = new AdminClient({ ...options, accessKeyId, secretAccessKey });
  return (await (await load()).run(args, client)) ?? 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`error: ${e.message}\n`);
    console.error(await usage());
    process.exitCode = 2;
  } else if (e instanceof AdminError) {
    console.error(`error: ${e.message}`);
    process.exitCode = 1;
  } else {
    console.error(`error: ${e?.message ?? e}`);
    process.exitCode = 1;
  }
}
