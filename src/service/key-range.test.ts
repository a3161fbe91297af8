import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefixEnd } from './key-range';

/** Code point order, as D1 compares keys: UTF-8 bytes, lone surrogates stored as U+FFFD. */
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const compare = (a: string, b: string) => Buffer.compare(utf8(a), utf8(b));

// Strings rich in the edge cases: U+10FFFF, lone surrogates, the code points around them.
const edgy = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\u{10FFFF}', '\u{10FFFE}', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uD7FF', '\uE000', '\uFFFF', 'a', '/'),
    fc.integer({ min: 0, max: 0x10ffff }).map((p) => String.fromCodePoint(p)),
  ),
  maxLength: 6,
});

describe('prefixEnd', () => {
  it('bounds exactly the keys that start with the prefix, for any strings', () => {
    fc.assert(
      fc.property(edgy, edgy, (prefix, rest) => {
        const end = prefixEnd(prefix);
        for (const key of [prefix + rest, rest, rest + prefix]) {
          const starts = utf8(key).subarray(0, utf8(prefix).length).equals(utf8(prefix));
          const inRange = compare(key, prefix) >= 0 && (end === undefined || compare(key, end) < 0);
          expect(inRange).toBe(starts);
        }
      }),
      { seed: 1, numRuns: 5000 },
    );
  });

  it('has no upper bound for a prefix of only U+10FFFF, and steps past a trailing one', () => {
    expect(prefixEnd('\u{10FFFF}\u{10FFFF}')).toBeUndefined();
    expect(prefixEnd('a\u{10FFFF}')).toBe('b');
    expect(prefixEnd('photos/')).toBe('photos0');
  });
});
