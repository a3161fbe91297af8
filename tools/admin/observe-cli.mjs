#!/usr/bin/env node
// A standalone entry for the commands of tools/admin/audit.mjs until the admin CLI wires them:
//   node tools/admin/observe-cli.mjs [--endpoint URL] audit verify | audit list [filters] | erasure-report --kms-key ID | health
// Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (an administrator's key).
import { parseArgs } from 'node:util';
import { AwsClient } from 'aws4fetch';
import { COMMANDS } from './audit.mjs';

const options = { endpoint: { type: 'string' }, region: { type: 'string' }, ...Object.assign({}, ...Object.values(COMMANDS).map((c) => c.options)) };
let parsed;
try {
  parsed = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options });
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const { values, positionals } = parsed;
const name = [positionals.slice(0, 2).join(' '), positionals[0]].find((n) => COMMANDS[n]);
if (!name) {
  console.error(`usage: admin [--endpoint URL] <${Object.keys(COMMANDS).join(' | ')}> [options]`);
  process.exit(2);
}
const command = COMMANDS[name];
const accessKeyId = process.env.AWS_ACCESS_KEY_ID || process.env.ACCESS_KEY_ID;
const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY || process.env.SECRET_ACCESS_KEY;
if (!accessKeyId || !secretAccessKey) {
  console.error('Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to an administrator key.');
  process.exit(2);
}
const endpoint = (values.endpoint ?? `http://127.0.0.1:${process.env.PORT || 8787}`).replace(/\/$/, '');
const client = new AwsClient({ accessKeyId, secretAccessKey, region: values.region ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1', service: 's3', retries: 2 });

/** A signed GET of /_admin/<path>, its JSON answer; S3 errors thrown in words. */
async function call(path, { acceptStatus = [] } = {}) {
  let response;
  try {
    response = await client.fetch(`${endpoint}/_admin/${path}`, { headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  } catch (e) {
    throw new Error(`cannot reach ${endpoint}: ${e.cause?.message ?? e.message}`);
  }
  if (response.ok || acceptStatus.includes(response.status)) return response.json();
  const text = await response.text();
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  throw new Error(code ? `${code}: ${message}` : `HTTP ${response.status}`);
}

try {
  process.exitCode = await command.run(call, values);
} catch (e) {
  console.error(`${name} failed: ${e.message}`);
  process.exitCode = 1;
}
