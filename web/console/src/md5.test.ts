import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { md5 } from './md5';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('md5', () => {
  it('matches RFC 1321 test vectors', () => {
    const of = (s: string) => hex(md5(new TextEncoder().encode(s)));
    expect(of('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(of('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(of('12345678901234567890123456789012345678901234567890123456789012345678901234567890')).toBe('57edf4a22be3c955ac49da2e2107b67a');
  });

  it('agrees with node:crypto on any input, across block boundaries', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(hex(md5(bytes))).toBe(createHash('md5').update(bytes).digest('hex'));
      }),
    );
  });
});
