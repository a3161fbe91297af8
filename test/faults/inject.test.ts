// Injected faults at every storage step of PUT, multipart upload and Complete, copy, self-copy
// re-sealing, re-wrap, delete, abort and GC, and the KMS down or slow mid-request. Each operation is
// first traced (which D1 and R2 calls it makes, in order); then each call in turn fails before or
// after it is made, or hangs. After each fault: every object reads back whole as a version it may
// hold, that version survives GC, no referenced blob is gone from R2, and GC leaves no orphan.
// A fault answers 503 (retryable) wherever it happens; D1 or R2 down answers 503 to every request.
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultMode } from '../../src/faults/plan';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService } from '../helpers/service';
import { ABSENT, FULL, Model, collectToConvergence, faultControl, outcome, readVersion, recordFigures, sha256 } from './harness';

let svc: Service;
let client: S3Client;
let faults: ReturnType<typeof faultControl>;
const bucket = 'faults';
const model = new Model();
const MiB = 1024 * 1024;

beforeAll(async () => {
  svc = await startService({ FAULT_INJECTION: 'on', KMS_CACHE_TTL_SECONDS: '0' }, { kms: { backend: 'kes', devKms: { keyIds: ['key-one', 'key-two'] } } });
  client = svc.client;
  faults = faultControl(svc.mf);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-source', Body: 'the copy source' }));
  model.expect(bucket, 'copy-source', [sha256('the copy source')]);
}, 120_000);
afterAll(async () => {
  await svc?.stop();
});

const put = async (Key: string, body: Uint8Array | string, extra: Record<string, unknown> = {}) => {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body, ...extra }));
  return sha256(body);
};

/** One faultable operation: `setup` runs without faults and declares what the keys hold; `act` is faulted. */
interface Operation {
  setup(): Promise<void>;
  act(): Promise<unknown>;
  /** The model after `act`, given whether it succeeded (a failure may still have committed). */
  settle(ok: boolean): Promise<void> | void;
}

/** A PUT of `nextSize` random bytes over an object of `oldSize`: after it, the key holds one of the two, whole. */
function overwrite(key: string, oldSize: number, nextSize: number): Operation {
  const old = randomBytes(oldSize);
  const next = randomBytes(nextSize);
  return {
    setup: async () => model.expect(bucket, key, [await put(key, old)]),
    act: () => put(key, next),
    settle: (ok) => model.expect(bucket, key, ok ? [sha256(next)] : [sha256(old), sha256(next)]),
  };
}

const operations: Record<string, () => Operation> = {
  // Over INLINE_MAX_BYTES (4096): a blob replacing a blob.
  put: () => overwrite('put', 5000, 6000),
  // An object kept in its row replacing a blob: the commit is the only write.
  'put small over a blob': () => overwrite('put-small', 5000, 300),
  'put sse-kms'() {
    const next = randomBytes(2000);
    const sse = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-one', BucketKeyEnabled: true } as const;
    return {
      setup: async () => model.expect(bucket, 'put-kms', [await put('put-kms', randomBytes(10), sse)]),
      act: () => put('put-kms', next, sse),
      settle: (ok) => model.expect(bucket, 'put-kms', ok ? [sha256(next)] : [...model.allowed(bucket, 'put-kms'), sha256(next)]),
    };
  },
  multipart() {
    const parts = FULL ? [randomBytes(5 * MiB), randomBytes(1000)] : [randomBytes(1000)];
    const whole = sha256(Buffer.concat(parts));
    let uploadId: string | undefined;
    let etags: string[] = [];
    const complete = () =>
      client.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'multipart', UploadId: uploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
      );
    return {
      setup: async () => model.expect(bucket, 'multipart', [await put('multipart', 'before the upload')]),
      act: async () => {
        uploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'multipart' }))).UploadId;
        for (const [i, Body] of parts.entries()) {
          etags.push((await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'multipart', UploadId: uploadId, PartNumber: i + 1, Body }))).ETag!);
        }
        await complete();
      },
      settle: async (ok) => {
        if (!ok && etags.length === parts.length) {
          // Complete failed: an SDK retries it. The retry must succeed, whether or not the first attempt committed.
          const retry = await outcome(complete());
          if (!retry.ok) completeRetries.push(`retried Complete answered ${retry.code} ${retry.status}`);
          ok = retry.ok;
        }
        model.expect(bucket, 'multipart', ok ? [whole] : [...model.allowed(bucket, 'multipart'), whole]);
        etags = [];
      },
    };
  },
  abort() {
    let uploadId: string | undefined;
    return {
      setup: async () => {
        model.expect(bucket, 'abort', [await put('abort', 'kept through the abort')]);
        uploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'abort' }))).UploadId;
        await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'abort', UploadId: uploadId, PartNumber: 1, Body: 'part' }));
      },
      act: () => client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'abort', UploadId: uploadId })),
      settle: () => {},
    };
  },
  copy() {
    return {
      setup: async () => model.expect(bucket, 'copy', [await put('copy', randomBytes(100))]),
      act: () => client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/copy-source` })),
      settle: (ok) => model.expect(bucket, 'copy', ok ? [sha256('the copy source')] : [...model.allowed(bucket, 'copy'), sha256('the copy source')]),
    };
  },
  're-seal (self-copy)'() {
    return {
      setup: async () => model.expect(bucket, 'reseal', [await put('reseal', randomBytes(100))]),
      act: () => client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'reseal', CopySource: `${bucket}/reseal`, MetadataDirective: 'REPLACE', Metadata: { at: String(Date.now()) } })),
      settle: () => {},
    };
  },
  rewrap() {
    const target = (rewraps++ % 2 === 0) ? 'key-two' : 'key-one';
    return {
      setup: async () => model.expect(bucket, 'rewrap', [await put('rewrap', randomBytes(100), { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-one' })]),
      act: async () => {
        const res = await signer.fetch(`${svc.endpoint}/_admin/rewrap`, { method: 'POST', body: JSON.stringify({ targetKeyId: target, all: true }) });
        if (!res.ok) throw new Error(`rewrap answered ${res.status}: ${await res.text()}`);
      },
      settle: () => {},
    };
  },
  delete() {
    return {
      setup: async () => model.expect(bucket, 'delete', [await put('delete', randomBytes(100))]),
      act: () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'delete' })),
      settle: (ok) => model.expect(bucket, 'delete', ok ? [ABSENT] : [...model.allowed(bucket, 'delete'), ABSENT]),
    };
  },
  'delete objects'() {
    const keys = ['multi-a', 'multi-b'];
    return {
      setup: async () => {
        for (const k of keys) model.expect(bucket, k, [await put(k, randomBytes(50))]);
      },
      act: async () => {
        const r = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
        if (r.Errors?.length) throw new Error(`DeleteObjects errors: ${r.Errors.map((e) => e.Code).join(', ')}`);
      },
      settle: (ok) => keys.forEach((k) => model.expect(bucket, k, ok ? [ABSENT] : [...model.allowed(bucket, k), ABSENT])),
    };
  },
  gc() {
    const next = randomBytes(5000);
    return {
      setup: async () => {
        await put('gc', randomBytes(5000));
        model.expect(bucket, 'gc', [await put('gc', next)]);
        await svc.r2.put(`blobs/orphan-${Date.now()}`, 'left by a crashed write');
      },
      act: () => collectToConvergence(svc, 2),
      settle: () => {},
    };
  },
};

let signer: AwsClient;
let rewraps = 0;
const completeRetries: string[] = [];

/** Modes tried at a call: reads can only fail; writes can also fail after taking effect, or hang. */
function modesFor(call: string): FaultMode[] {
  const read = /^(d1\.(first|all|raw)|r2\.(get|head|list)) /.test(call);
  if (read) return FULL ? ['fail-before'] : [];
  if (!FULL) return ['fail-after'];
  return /^(d1\.batch|r2\.put) /.test(call) ? ['fail-before', 'fail-after', 'hang'] : ['fail-before', 'fail-after'];
}

const totals = { faults: 0, survived: 0, lost: 0, wronglyDeleted: 0, notConverged: 0, uncleanAnswers: 0 };

describe('injected D1 and R2 faults', () => {
  beforeAll(() => {
    signer = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION, service: 's3', retries: 0 });
  });
  afterAll(() => recordFigures('inject', { ...totals, completeRetryFailures: completeRetries.length }));

  // The short run (npm test) keeps the operations whose commit points the issue names.
  const names = FULL ? Object.keys(operations) : ['put', 'multipart', 'copy', 'delete', 'gc'];
  it.each(names)('%s: every step, every fault', async (name) => {
    const trace = operations[name]!();
    await trace.setup();
    await faults.set();
    await trace.act();
    const { calls } = await faults.clear();
    await trace.settle(true);
    const problems: string[] = [];
    // Each kind of call is faulted once in the short run, twice in the full one (a re-wrap makes
    // the same UPDATE for every row, a GC the same DELETE for every page).
    const kinds = new Map<string, number>();
    for (const [i, call] of calls.entries()) {
      const kind = call.replace(/blobs\/\S+/g, 'blobs/…');
      const seen = kinds.get(kind) ?? 0;
      if (seen >= (FULL ? 2 : 1)) continue;
      kinds.set(kind, seen + 1);
      for (const mode of modesFor(call)) {
        const op = operations[name]!();
        await op.setup();
        await faults.set({ nth: i + 1, mode, ms: 100 });
        const result = await outcome(op.act());
        const { injected } = await faults.clear();
        // The call may not come again (under load, background calls shift the count): the operation
        // still ran, so the model learns its outcome before the next one is checked against it.
        if (!injected) {
          await op.settle(result.ok);
          continue;
        }
        totals.faults++;
        const where = `${name}: ${mode} at call ${i + 1} (${call})`;
        // A fault may only ever surface as an S3 error that tells the client to retry: a 503.
        if (!result.ok && result.status !== 503 && name !== 'gc' && name !== 'rewrap') {
          totals.uncleanAnswers++;
          problems.push(`${where}: answered ${result.code}`);
        }
        await op.settle(result.ok);
        const before = await model.verify(client);
        const gc = await collectToConvergence(svc);
        const after = await model.verify(client);
        totals.lost += after.length;
        totals.wronglyDeleted += gc.missing.length;
        if (gc.orphans.length) totals.notConverged++;
        if (!before.length && !after.length && !gc.missing.length && !gc.orphans.length) totals.survived++;
        for (const w of before) problems.push(`${where}: before GC ${w}`);
        for (const w of after) problems.push(`${where}: after GC ${w}`);
        if (gc.missing.length) problems.push(`${where}: GC deleted referenced blobs ${gc.missing.join(' ')}`);
        if (gc.orphans.length) problems.push(`${where}: ${gc.orphans.length} orphans left after ${gc.runs} GC runs`);
      }
    }
    expect(problems).toEqual([]);
  }, 600_000);

  it('a retried Complete after an ambiguous failure answers 200', () => {
    expect(completeRetries).toEqual([]);
  });
});

describe('D1 or R2 down outside a write commit', () => {
  const Key = 'outage';
  type Answer = Awaited<ReturnType<typeof outcome>>;
  const sdk = (p: Promise<unknown>) => outcome(p);
  /** HEAD answers carry no body, so no error code: only their status is compared. */
  const head = async (p: Promise<unknown>): Promise<Answer> => {
    const a = await outcome(p);
    return a.ok ? a : { ...a, code: '(HEAD)' };
  };
  const requests: Record<string, () => Promise<Answer>> = {
    GetObject: () => sdk(client.send(new GetObjectCommand({ Bucket: bucket, Key })).then((r) => r.Body!.transformToByteArray())),
    HeadObject: () => head(client.send(new HeadObjectCommand({ Bucket: bucket, Key }))),
    GetObjectAttributes: () => sdk(client.send(new GetObjectAttributesCommand({ Bucket: bucket, Key, ObjectAttributes: ['ObjectSize'] }))),
    ListObjectsV2: () => sdk(client.send(new ListObjectsV2Command({ Bucket: bucket }))),
    ListBuckets: () => sdk(client.send(new ListBucketsCommand({}))),
    HeadBucket: () => head(client.send(new HeadBucketCommand({ Bucket: bucket }))),
    DeleteObject: () => sdk(client.send(new DeleteObjectCommand({ Bucket: bucket, Key }))),
    DeleteObjects: () => sdk(client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key }] } }))),
    CreateBucket: () => sdk(client.send(new CreateBucketCommand({ Bucket: 'made-while-down' }))),
    // A browser's CORS preflight: unauthenticated, answered from the bucket's rules in D1.
    CorsPreflight: async () => {
      const res = await fetch(`${svc.endpoint}/${bucket}/${Key}`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } });
      const code = /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1] ?? '';
      return res.ok ? { ok: true } : { ok: false, code, status: res.status };
    },
  };

  /** Each request's answer while every call to `store` fails. */
  async function answersWhileDown(store: 'd1' | 'r2', names: string[]): Promise<Record<string, Answer>> {
    await faults.set({ call: store, mode: 'fail-before' });
    const answers: Record<string, Answer> = {};
    try {
      for (const name of names) answers[name] = await requests[name]!();
    } finally {
      await faults.clear();
    }
    return answers;
  }
  const unavailable = (name: string) => ({ ok: false, code: name.startsWith('Head') ? '(HEAD)' : 'ServiceUnavailable', status: 503 });

  it('answers every request with 503 ServiceUnavailable while D1 is down, changing nothing', async () => {
    model.expect(bucket, Key, [await put(Key, randomBytes(100))]);
    const names = Object.keys(requests);
    expect(await answersWhileDown('d1', names)).toEqual(Object.fromEntries(names.map((n) => [n, unavailable(n)])));
    expect(await model.verify(client)).toEqual([]);
    expect(await outcome(client.send(new HeadBucketCommand({ Bucket: 'made-while-down' })))).toMatchObject({ ok: false, status: 404 });
  });

  it('answers a read with 503 ServiceUnavailable while R2 is down; what needs only D1 still works', async () => {
    // Over INLINE_MAX_BYTES: its bytes are in R2.
    model.expect(bucket, Key, [await put(Key, randomBytes(5000))]);
    const answers = await answersWhileDown('r2', ['GetObject', 'HeadObject', 'ListObjectsV2']);
    expect(answers).toEqual({ GetObject: unavailable('GetObject'), HeadObject: { ok: true }, ListObjectsV2: { ok: true } });
    expect(await model.verify(client)).toEqual([]);
  });

  it('serves an object kept in its row while R2 is down', async () => {
    const body = randomBytes(100);
    model.expect(bucket, Key, [await put(Key, body)]);
    await faults.set({ call: 'r2', mode: 'fail-before' });
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    } finally {
      await faults.clear();
    }
  });
});

describe('R2 cut mid-body', () => {
  // Over the small-read limit: streamed, so the answer starts before the last package is read.
  const size = 3 * MiB;
  /** Each R2 read's body fails after `bytes` bytes while `act` runs. */
  async function whileCut<T>(bytes: number, act: () => Promise<T>): Promise<T> {
    await faults.set({ call: 'r2.get', mode: 'cut', bytes });
    try {
      return await act();
    } finally {
      await faults.clear();
    }
  }
  const getAll = (Key: string) => client.send(new GetObjectCommand({ Bucket: bucket, Key })).then((r) => r.Body!.transformToByteArray());

  it('aborts a GET whose R2 body fails after the answer started, and answers 503 when it fails before', async () => {
    const Key = 'cut-get';
    model.expect(bucket, Key, [await put(Key, randomBytes(size))]);
    // 1.5 MiB in: the first packages authenticated and went out; the client must not see a whole body.
    const late = await whileCut(1.5 * MiB, () => outcome(getAll(Key)));
    expect(late.ok).toBe(false);
    // 100 bytes in: not one package; nothing has been answered yet, so the answer is an S3 error.
    expect(await whileCut(100, () => outcome(getAll(Key)))).toEqual({ ok: false, code: 'ServiceUnavailable', status: 503 });
    // A small object, read whole into memory before the answer: the same 503.
    model.expect(bucket, 'cut-small', [await put('cut-small', randomBytes(100_000))]);
    expect(await whileCut(50_000, () => outcome(getAll('cut-small')))).toEqual({ ok: false, code: 'ServiceUnavailable', status: 503 });
    expect(await model.verify(client)).toEqual([]);
  });

  it('answers a CopyObject and an UploadPartCopy whose source read is cut with 503, writing nothing', async () => {
    const source = 'cut-source';
    const target = 'cut-target';
    model.expect(bucket, source, [await put(source, randomBytes(size))]);
    model.expect(bucket, target, [await put(target, randomBytes(5000))]);
    const copy = await whileCut(1.5 * MiB, () => outcome(client.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: `${bucket}/${source}` }))));
    expect(copy).toEqual({ ok: false, code: 'ServiceUnavailable', status: 503 });
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: target }));
    const part = await whileCut(1.5 * MiB, () =>
      outcome(client.send(new UploadPartCopyCommand({ Bucket: bucket, Key: target, UploadId, PartNumber: 1, CopySource: `${bucket}/${source}` }))),
    );
    expect(part).toEqual({ ok: false, code: 'ServiceUnavailable', status: 503 });
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: target, UploadId }));
    expect(await model.verify(client)).toEqual([]);
    expect(await collectToConvergence(svc)).toMatchObject({ missing: [], orphans: [] });
  });
});

describe('KMS down or slow mid-request', () => {
  const kms = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-one' } as const;

  it('fails cleanly with 503 while the KMS is down, changing nothing, and serves again once it is back', async () => {
    const before = await put('kms-target', randomBytes(100), kms);
    model.expect(bucket, 'kms-target', [before]);
    svc.devKms!.faults.set({ mode: 'down' });
    const answers = [
      await outcome(put('kms-target', randomBytes(10), kms)),
      await outcome(client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'kms-target', CopySource: `${bucket}/copy-source`, ...kms }))),
      await outcome(client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'kms-target', ...kms }))),
      await outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'kms-target', Body: 'x' }))),
    ];
    const read = await readVersion(client, bucket, 'kms-target');
    svc.devKms!.faults.set({ mode: 'none' });
    totals.faults += answers.length + 1;
    expect(answers).toEqual(answers.map(() => ({ ok: false, code: 'ServiceUnavailable', status: 503 })));
    expect(read).toMatch(/^error: ServiceUnavailable/); // reads need the KMS too, and say so with a 503
    expect(await model.verify(client)).toEqual([]);
    const gc = await collectToConvergence(svc);
    expect(gc).toMatchObject({ missing: [], orphans: [] });
  }, 120_000);

  it('completes every request while the KMS is slow (under its timeout)', async () => {
    svc.devKms!.faults.set({ mode: 'slow', delayMs: 200 });
    try {
      const next = randomBytes(100);
      expect(await outcome(put('kms-target', next, kms))).toEqual({ ok: true });
      model.expect(bucket, 'kms-target', [sha256(next)]);
      expect(await model.verify(client)).toEqual([]);
    } finally {
      svc.devKms!.faults.set({ mode: 'none' });
    }
  }, 120_000);
});
