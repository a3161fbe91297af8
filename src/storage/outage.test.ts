import { describe, expect, it } from 'vitest';
import { storageUnavailable } from '../s3/errors';
import { storageOutage, withOutageMarks } from './outage';

/** A D1-shaped binding whose statements reject with `error`, and an R2-shaped one that does too. */
function bindings(error: unknown) {
  const statement = { bind: () => statement, first: () => Promise.reject(error), run: () => Promise.reject(error) };
  const db = { prepare: () => statement, batch: (s: unknown[]) => (s.every((x) => x === statement) ? Promise.reject(error) : Promise.reject(new Error('foreign statement'))) };
  const r2 = { get: () => Promise.reject(error), head: () => Promise.resolve(null) };
  return withOutageMarks({ DB: db as unknown as D1Database, BLOBS: r2 as unknown as R2Bucket, AUDIT: r2 as unknown as R2Bucket });
}

const caught = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);
const codeOf = (e: unknown) => storageOutage(e)?.code ?? 'InternalError';

describe('storageOutage', () => {
  it.each([
    ['D1_ERROR: Network connection lost.', 'ServiceUnavailable'],
    ['D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.', 'ServiceUnavailable'],
    ['D1 DB is overloaded. Requests queued for too long.', 'SlowDown'],
    ['D1_ERROR: UNIQUE constraint failed: buckets.name: SQLITE_CONSTRAINT', 'InternalError'],
    ['D1_ERROR: malformed JSON: SQLITE_ERROR', 'InternalError'],
    ["D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'", 'InternalError'],
  ])('answers a D1 rejection "%s" with %s', async (message, code) => {
    const { DB } = bindings(new Error(message));
    for (const p of [DB.prepare('SELECT 1').bind(1).first(), DB.prepare('x').run(), DB.batch([DB.prepare('a'), DB.prepare('b').bind(2)])]) {
      const e = await caught(p);
      expect([(e as Error).message, codeOf(e)]).toEqual([message, code]);
    }
  });

  it('answers an R2 rejection with 503, SlowDown when R2 says it is rate limiting', async () => {
    expect(codeOf(await caught(bindings(new Error('get: We encountered an internal error. (10001)')).BLOBS.get('k')))).toBe('ServiceUnavailable');
    expect(codeOf(await caught(bindings(new Error('put: Too many requests (10058)')).AUDIT.get('k')))).toBe('SlowDown');
    expect(storageUnavailable(await caught(bindings(new Error('x')).BLOBS.get('k')))?.status).toBe(503);
  });

  it('leaves errors that did not come from a storage call, and type errors, to be 500s', async () => {
    expect(storageOutage(new Error('D1_ERROR: Network connection lost.'))).toBeNull();
    expect(codeOf(await caught(bindings(new TypeError('bad argument')).BLOBS.get('k')))).toBe('InternalError');
  });

  it('keeps results and the wrapped env stable', async () => {
    const env = { DB: {} as D1Database, BLOBS: { head: () => Promise.resolve('found') } as unknown as R2Bucket, AUDIT: {} as R2Bucket };
    expect(withOutageMarks(env)).toBe(withOutageMarks(env));
    expect(await withOutageMarks(env).BLOBS.head('k')).toBe('found');
  });
});
