import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerText } from './header-text';

const byteString = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('headerText', () => {
  it('reads a byte string of UTF-8 as its text, and leaves decoded text alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(headerText(byteString(text))).toBe(text);
        if (/[^\x00-\xff]/.test(text)) expect(headerText(text)).toBe(text);
      }),
      { seed: 1 },
    );
  });

  it('keeps values whose bytes are not UTF-8 as received', () => {
    expect(headerText('\xe9t\xe9')).toBe('\xe9t\xe9'); // Latin-1 bytes, or already decoded "été"
    expect(headerText('plain')).toBe('plain');
  });
});
