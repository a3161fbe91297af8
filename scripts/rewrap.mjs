#!/usr/bin/env node
// `npm run rewrap -- --endpoint URL [--key-id ID] [--all] [--batch N] [--cursor C]`: re-wraps the
// KMS-sealed key material of every object, upload and bucket key under --key-id (default: the KMS's
// default key) without rewriting object data, one batch per request to POST /_admin/rewrap, printing
// progress. Safe to run while traffic flows; stopped, it resumes from the last printed cursor.
// Credentials: ACCESS_KEY_ID / SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
import { parseArgs } from 'node:util';
import { AwsClient } from 'aws4fetch';

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string', default: `http://127.0.0.1:${process.env.PORT || 8787}` },
    'key-id': { type: 'string' },
    all: { type: 'boolean', default: false },
    batch: { type: 'string', default: '100' },
    cursor: { type: 'string' },
    region: { type: 'string', default: process.env.AWS_DEFAULT_REGION || 'us-east-1' },
  },
});
const accessKeyId = process.env.ACCESS_KEY_ID || process.env.AWS_ACCESS_KEY_ID;
const secretAccessKey = process.env.SECRET_ACCESS_KEY || process.env.AWS_SECRET_ACCESS_KEY;
if (!accessKeyId || !secretAccessKey) {
  console.error('Set ACCESS_KEY_ID and SECRET_ACCESS_KEY (or the AWS_ equivalents).');
  process.exit(2);
}
const client = new AwsClient({ accessKeyId, secretAccessKey, region: values.region, service: 's3', retries: 3 });

const totals = { examined: 0, rewrapped: 0, skipped: 0 };
let cursor = values.cursor ?? null;
do {
  const response = await client.fetch(`${values.endpoint.replace(/\/$/, '')}/_admin/rewrap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    body: JSON.stringify({ targetKeyId: values['key-id'] ?? null, all: values.all, cursor, limit: Number(values.batch) }),
  });
  if (!response.ok) {
    console.error(`rewrap failed (${response.status}): ${await response.text()}`);
    if (cursor) console.error(`resume with --cursor '${cursor}'`);
    process.exit(1);
  }
  const report = await response.json();
  for (const k of Object.keys(totals)) totals[k] += report[k];
  cursor = report.cursor;
  console.log(`examined ${totals.examined}, re-wrapped ${totals.rewrapped}, skipped ${totals.skipped}${cursor ? `; cursor '${cursor}'` : '; done'}`);
} while (cursor);
