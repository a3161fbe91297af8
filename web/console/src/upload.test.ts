import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partSize } from './upload';

const MiB = 1024 * 1024;

describe('partSize', () => {
  it('uses 5 MiB parts for files up to 200 MiB (a 12 MiB file is 3 parts)', () => {
    expect(partSize(12 * MiB)).toBe(5 * MiB);
    expect(partSize(200 * MiB)).toBe(5 * MiB);
  });

  it('keeps every size S3 accepts within 10,000 parts of at least 5 MiB, whole MiB each', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 * 1024 * 1024 * MiB }), (size) => {
        const part = partSize(size);
        expect(part).toBeGreaterThanOrEqual(5 * MiB);
        expect(part % MiB).toBe(0);
        expect(Math.ceil(size / part)).toBeLessThanOrEqual(10_000);
      }),
    );
  });
});
