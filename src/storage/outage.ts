// Storage outages as one clear, retryable S3 answer. The worker's D1 and R2 bindings are wrapped
// (withOutageMarks) so that whatever one of their calls rejects with is known to come from storage;
// the endpoint answers an error storageOutage recognises with a 503 (SlowDown when the store says it
// is overloaded, src/s3/errors.ts), which SDKs retry with backoff. What D1 answers to a statement itself (an SQLite
// error: a constraint, bad SQL, a failed guard) or a type error is a bug here, not an outage, and
// stays a 500 InternalError. Damaged data is found above this layer and stays a 500 too.

const fromStorage = new WeakSet<object>();
/** The binding object behind a wrapper: D1's batch() takes only its own statements. */
const TARGET = Symbol('binding');
/** Methods whose (sync or resolved) result is a binding object of its own: a statement, a session, an upload. */
const WRAPPED_RESULTS = new Set<PropertyKey>(['prepare', 'bind', 'withSession', 'createMultipartUpload', 'resumeMultipartUpload']);

const unwrap = (v: unknown): unknown => (v !== null && typeof v === 'object' ? ((v as Record<symbol, unknown>)[TARGET] ?? v) : v);

/**
 * `e` marked as coming from storage. The bindings' calls are marked by withOutageMarks; an R2
 * body's stream fails later, in whoever reads it, which marks what it fails with here.
 */
export function storageError(e: unknown): Error {
  const error = e instanceof Error ? e : new Error(String(e));
  fromStorage.add(error);
  return error;
}

function marked(e: unknown): never {
  throw storageError(e);
}

function wrap<T extends object>(binding: T): T {
  return new Proxy(binding, {
    get(target, name) {
      if (name === TARGET) return target;
      const value = Reflect.get(target, name, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const wrapResult = (r: unknown) => (WRAPPED_RESULTS.has(name) && r !== null && typeof r === 'object' ? wrap(r) : r);
        // What a call throws at once (bad arguments) is a bug, left unmarked; only rejections are marked.
        const result = (value as (...a: unknown[]) => unknown).apply(target, args.map((a) => (Array.isArray(a) ? a.map(unwrap) : unwrap(a))));
        return result instanceof Promise ? result.then(wrapResult, marked) : wrapResult(result);
      };
    },
  });
}

const wrapped = new WeakMap<object, object>();

/** `env` with its D1 and R2 bindings marking what their calls reject with (the same object for the same env). */
export function withOutageMarks<E extends { DB: D1Database; BLOBS: R2Bucket; AUDIT: R2Bucket }>(env: E): E {
  let made = wrapped.get(env) as E | undefined;
  if (!made) wrapped.set(env, (made = { ...env, DB: wrap(env.DB), BLOBS: wrap(env.BLOBS), AUDIT: wrap(env.AUDIT) }));
  return made;
}

/** A storage call that failed: how the store put it (an S3 error code) and what it said (for the log only). */
export interface StorageOutage {
  code: 'ServiceUnavailable' | 'SlowDown';
  cause: string;
}

/** The outage an error from a storage call means; null for anything else (a bug: 500). */
export function storageOutage(e: unknown): StorageOutage | null {
  if (!(e instanceof Error) || !fromStorage.has(e) || e instanceof TypeError || e instanceof RangeError) return null;
  if (/SQLITE_|D1_TYPE_ERROR|D1_COLUMN_NOTFOUND|D1_SESSION_ERROR/.test(e.message)) return null;
  const cause = `storage: ${e.name}: ${e.message}`;
  // D1: "D1 DB is overloaded. Requests queued for too long."; R2: 10058, too many requests.
  return { code: /overloaded|\(10058\)|too many requests/i.test(e.message) ? 'SlowDown' : 'ServiceUnavailable', cause };
}
