// D1 and R2 bindings that obey a FaultState: every call is recorded and may fail before or after
// it is made, hang, be slowed down or held. Used only when FAULT_INJECTION is "on" (index.ts).
import type { CallKind, FaultState } from './plan';

export class InjectedFault extends Error {
  constructor(call: string, when: string) {
    super(`injected fault: ${call} ${when}`);
    this.name = 'InjectedFault';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes `call` through `real` as the plan decides. */
async function apply<T>(state: FaultState, call: CallKind, detail: string, real: () => Promise<T>, onDrop?: () => void): Promise<T> {
  const decision = state.decide(call, detail);
  switch (decision.mode) {
    case 'pass':
      return real();
    case 'fail-before':
      onDrop?.();
      throw new InjectedFault(call, 'failed before it was made');
    case 'fail-after':
      await real();
      throw new InjectedFault(call, 'failed after it was made');
    case 'hang':
      await sleep(decision.ms);
      onDrop?.();
      throw new InjectedFault(call, `timed out after ${decision.ms} ms`);
    case 'slow':
      await sleep(decision.ms);
      return real();
    case 'hold':
      // Polled, not awaited on a promise another request resolves: workerd keeps I/O per request.
      while (!state.isReleased) await sleep(5);
      return real();
    case 'cut':
      return cutBody(await real(), call, decision.bytes);
  }
}

/** An R2 object (parsePlan allows cut on r2.get only) whose body fails after `bytes` bytes. */
function cutBody<T>(value: T, call: string, bytes: number): T {
  const object = value as R2ObjectBody | null;
  if (!object) return value;
  // Native, so readers keep their BYOB reads; fed by hand to stop where the plan says.
  const { readable, writable } = new IdentityTransformStream();
  const pump = async () => {
    const reader = object.body.getReader();
    const writer = writable.getWriter();
    for (let sent = 0; ; ) {
      const { value: chunk, done } = await reader.read();
      if (done) return writer.close();
      const kept = chunk.subarray(0, bytes - sent);
      if (kept.length) await writer.write(kept);
      sent += kept.length;
      if (sent === bytes) {
        await reader.cancel();
        return writer.abort(new InjectedFault(call, `body cut after ${bytes} bytes`));
      }
    }
  };
  pump().catch(() => {});
  const read = () => new Response(readable);
  const overrides: Record<PropertyKey, unknown> = { body: readable, arrayBuffer: () => read().arrayBuffer(), text: () => read().text(), blob: () => read().blob() };
  return new Proxy(object, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop];
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as T;
}

/** Statements keep their real counterpart so batch() can hand the real ones to D1. */
const realStatements = new WeakMap<object, D1PreparedStatement>();

function faultyStatement(state: FaultState, real: D1PreparedStatement, sql: string): D1PreparedStatement {
  const statement = {
    bind: (...values: unknown[]) => faultyStatement(state, real.bind(...values), sql),
    first: (column?: string) => apply(state, 'd1.first', sql, () => (column === undefined ? real.first() : real.first(column))),
    run: () => apply(state, 'd1.run', sql, () => real.run()),
    all: () => apply(state, 'd1.all', sql, () => real.all()),
    raw: (options?: { columnNames?: boolean }) => apply(state, 'd1.raw', sql, () => real.raw(options as { columnNames: true })),
  } as unknown as D1PreparedStatement;
  realStatements.set(statement, real);
  return statement;
}

export function faultyD1(state: FaultState, db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => faultyStatement(state, target.prepare(sql), sql);
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) =>
          apply(state, 'd1.batch', `${statements.length} statements`, () => target.batch(statements.map((s) => realStatements.get(s) ?? s)));
      }
      if (prop === 'exec') return (sql: string) => apply(state, 'd1.exec', sql, () => target.exec(sql));
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Cancels a stream body a failed put never read, as a dropped connection to R2 would. */
const dropBody = (value: unknown) => () => {
  if (value instanceof ReadableStream) value.cancel(new Error('injected R2 failure')).catch(() => {});
};

function faultyUpload(state: FaultState, upload: R2MultipartUpload): R2MultipartUpload {
  return {
    key: upload.key,
    uploadId: upload.uploadId,
    uploadPart: (n: number, value: Parameters<R2MultipartUpload['uploadPart']>[1], options?: R2UploadPartOptions) =>
      apply(state, 'r2.uploadPart', `${upload.key} #${n}`, () => upload.uploadPart(n, value, options), dropBody(value)),
    complete: (parts: R2UploadedPart[]) => apply(state, 'r2.complete', upload.key, () => upload.complete(parts)),
    abort: () => apply(state, 'r2.abort', upload.key, () => upload.abort()),
  } as R2MultipartUpload;
}

export function faultyR2(state: FaultState, r2: R2Bucket): R2Bucket {
  const bucket: Partial<R2Bucket> = {
    head: (key) => apply(state, 'r2.head', key, () => r2.head(key)),
    get: ((key: string, options?: R2GetOptions) => apply(state, 'r2.get', key, () => r2.get(key, options))) as R2Bucket['get'],
    put: ((key: string, value: Parameters<R2Bucket['put']>[1], options?: R2PutOptions) =>
      apply(state, 'r2.put', key, () => r2.put(key, value, options), dropBody(value))) as R2Bucket['put'],
    delete: (keys) => apply(state, 'r2.delete', Array.isArray(keys) ? keys.join(' ') : keys, () => r2.delete(keys)),
    list: (options) => apply(state, 'r2.list', options?.prefix ?? '', () => r2.list(options)),
    createMultipartUpload: (key, options) => apply(state, 'r2.createMultipartUpload', key, async () => faultyUpload(state, await r2.createMultipartUpload(key, options))),
    resumeMultipartUpload: (key, uploadId) => faultyUpload(state, r2.resumeMultipartUpload(key, uploadId)),
  };
  return bucket as R2Bucket;
}
