// The whole local service (the workerd process that runs the worker and holds the local R2 and D1
// state) SIGKILLed in the middle of a large upload and of a CompleteMultipartUpload, then started
// again on the same persisted state, several rounds. After each restart every object reads back
// whole as its last committed version, no referenced blob is gone, and GC leaves no orphan.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand, type S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { AwsClient } from 'aws4fetch';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService, testClient } from '../helpers/service';
import { FULL, Model, collectToConvergence, faultControl, outcome, recordFigures, sha256 } from './harness';

const MiB = 1024 * 1024;
const bucket = 'kills';
const dir = mkdtempSync(join(tmpdir(), 'edge-sse-kill-'));
const figures = { kills: 0, restarts: 0, lost: 0, wronglyDeleted: 0, notConverged: 0 };
const model = new Model();

afterAll(() => {
  recordFigures('kill', figures);
  rmSync(dir, { recursive: true, force: true });
});

/** workerd processes this test process started (from /proc: no ps or pgrep needed). */
const workerdPids = (): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // "pid (comm) state ppid …"
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const [comm, rest] = [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), stat.slice(stat.lastIndexOf(')') + 2).split(' ')];
        return comm === 'workerd' && Number(rest[1]) === process.pid && rest[0] !== 'Z';
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);

interface Running {
  svc: Service;
  client: S3Client;
  origin: string;
  pid: number;
}

/** Starts the service on the persisted state, talking to workerd directly (no front to survive it). */
async function start(): Promise<Running> {
  const before = workerdPids();
  const svc = await startService({ FAULT_INJECTION: 'on' }, { persistTo: dir });
  const pid = workerdPids().find((p) => !before.includes(p));
  if (!pid) throw new Error('no workerd process found for the service');
  figures.restarts++;
  const origin = (await svc.mf.ready).origin;
  return { svc, client: testClient(origin), origin, pid };
}

async function kill(r: Running): Promise<void> {
  process.kill(r.pid, 'SIGKILL');
  figures.kills++;
  r.client.destroy();
  await r.svc.stop().catch(() => {});
}

/** After a restart: every key whole as a version it may hold, then GC to convergence, then again. */
async function check(r: Running): Promise<string[]> {
  const problems = await model.verify(r.client);
  const gc = await collectToConvergence(r.svc);
  const after = await model.verify(r.client);
  figures.lost += after.length;
  figures.wronglyDeleted += gc.missing.length;
  if (gc.orphans.length) figures.notConverged++;
  return [...problems, ...after, ...gc.missing.map((id) => `GC deleted referenced ${id}`), ...(gc.orphans.length ? [`${gc.orphans.length} orphans left`] : [])];
}

/** A body of `total` bytes that calls `at` once `trigger` bytes have been pulled from it. */
function streamed(total: number, trigger: number, at: () => void): ReadableStream<Uint8Array> {
  const chunk = randomBytes(MiB);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.length;
      if (sent >= trigger && sent - chunk.length < trigger) at();
      controller.enqueue(new Uint8Array(chunk));
    },
  });
}

describe('SIGKILL and restart', () => {
  it(`keeps every committed object whole through ${FULL ? 3 : 1} rounds of kills mid-upload and mid-Complete`, async () => {
    let r = await start();
    await r.client.send(new CreateBucketCommand({ Bucket: bucket }));
    const first = randomBytes(3 * MiB);
    await r.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'big', Body: first }));
    await r.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'mp', Body: 'before any upload' }));
    model.expect(bucket, 'big', [sha256(first)]);
    model.expect(bucket, 'mp', [sha256('before any upload')]);
    const problems: string[] = [];

    for (let round = 0; round < (FULL ? 3 : 1); round++) {
      // A 40 MiB upload of unknown length (R2 multipart underneath), killed after 12 MiB.
      const signer = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION, service: 's3', retries: 0 });
      const victim = r;
      let killed: Promise<void> | null = null;
      const body = streamed(40 * MiB, 12 * MiB, () => (killed = kill(victim)));
      const upload = await outcome(signer.fetch(`${r.origin}/${bucket}/big`, { method: 'PUT', body, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, duplex: 'half' } as RequestInit).then((res) => res.ok || Promise.reject(new Error(`answered ${res.status}`))));
      await killed;
      expect(upload.ok).toBe(false);
      r = await start();
      problems.push(...(await check(r)).map((p) => `round ${round}, after a kill mid-upload: ${p}`));

      // A Complete killed before its commit (held there), or at an arbitrary moment (then either version is fine).
      const parts = [randomBytes(5 * MiB), randomBytes(1000)];
      const { UploadId } = await r.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp' }));
      const etags: string[] = [];
      for (const [i, Body] of parts.entries()) etags.push((await r.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp', UploadId, PartNumber: i + 1, Body }))).ETag!);
      const held = round % 2 === 0;
      const faults = faultControl(r.svc.mf);
      if (held) await faults.set({ call: 'd1.batch', nth: 1, mode: 'hold' });
      const complete = outcome(
        r.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } })),
      );
      if (held) while ((await faults.log()).held === 0) await new Promise((res) => setTimeout(res, 5));
      else await new Promise((res) => setTimeout(res, 5 + round * 7));
      await kill(r);
      const answer = await complete;
      model.expect(bucket, 'mp', answer.ok ? [sha256(Buffer.concat(parts))] : held ? model.allowed(bucket, 'mp') : [...model.allowed(bucket, 'mp'), sha256(Buffer.concat(parts))]);
      r = await start();
      problems.push(...(await check(r)).map((p) => `round ${round}, after a kill mid-Complete${held ? ' (held before its commit)' : ''}: ${p}`));
    }
    r.client.destroy();
    await r.svc.stop();
    expect(problems).toEqual([]);
  }, 300_000);
});
