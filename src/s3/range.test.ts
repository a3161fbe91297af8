import { describe, expect, it } from 'vitest';
import { S3Error } from '../error';
import { parseRange } from './range';

const expectUnsatisfiable = (header: string, size: number) => {
  try {
    parseRange(header, size);
  } catch (e) {
    expect(e).toBeInstanceOf(S3Error);
    expect((e as S3Error).code).toBe('InvalidRange');
    expect((e as S3Error).status).toBe(416);
    expect((e as S3Error).details).toEqual({ ActualObjectSize: String(size), RangeRequested: header });
    return;
  }
  throw new Error(`satisfied: ${header} of ${size}`);
};

describe('parseRange', () => {
  it('serves the whole object without a header', () => {
    expect(parseRange(null, 10)).toBeNull();
    expect(parseRange(undefined, 10)).toBeNull();
    expect(parseRange('', 10)).toBeNull();
  });

  it('reads bytes=a-b inclusively', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=2-5', 10)).toEqual({ start: 2, end: 5 });
    expect(parseRange('bytes=0-9', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=9-9', 10)).toEqual({ start: 9, end: 9 });
  });

  it('clamps an end past the object', () => {
    expect(parseRange('bytes=5-100', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=0-99999999999999999999999', 10)).toEqual({ start: 0, end: 9 });
  });

  it('reads open-ended bytes=a-', () => {
    expect(parseRange('bytes=0-', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=7-', 10)).toEqual({ start: 7, end: 9 });
  });

  it('reads suffix bytes=-n, clamping n to the object', () => {
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-10', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=-500', 10)).toEqual({ start: 0, end: 9 });
  });

  it('accepts any case of the unit, surrounding whitespace and leading zeros', () => {
    expect(parseRange('Bytes=1-2', 10)).toEqual({ start: 1, end: 2 });
    expect(parseRange(' bytes = 1 - 2 ', 10)).toEqual({ start: 1, end: 2 });
    expect(parseRange('bytes=01-002', 10)).toEqual({ start: 1, end: 2 });
  });

  it('ignores what S3 cannot use: the whole object is served', () => {
    for (const header of [
      'bytes=5-2', // last < first
      'bytes=0-1,3-4', // several ranges
      'bytes=0-1, 3-4',
      'bytes=-',
      'bytes=',
      'bytes',
      'items=0-1',
      '0-1',
      'bytes=a-b',
      'bytes=1.5-2',
      'bytes=-1-2',
      'bytes=+1-2',
      'bytes=0x1-2',
      'garbage',
    ]) {
      expect(parseRange(header, 10), header).toBeNull();
    }
  });

  it('ignores last < first even when first is past the object', () => {
    expect(parseRange('bytes=20-15', 10)).toBeNull();
  });

  it('rejects ranges that select no byte with 416 InvalidRange', () => {
    expectUnsatisfiable('bytes=10-', 10);
    expectUnsatisfiable('bytes=10-20', 10);
    expectUnsatisfiable('bytes=100-200', 10);
    expectUnsatisfiable('bytes=-0', 10);
  });

  it('on an empty object, rejects first-byte ranges and ignores suffix ranges', () => {
    expectUnsatisfiable('bytes=0-', 0);
    expectUnsatisfiable('bytes=0-0', 0);
    expectUnsatisfiable('bytes=0-100', 0);
    expectUnsatisfiable('bytes=-0', 0);
    expect(parseRange('bytes=-1', 0)).toBeNull();
    expect(parseRange('bytes=1-0', 0)).toBeNull();
  });
});
