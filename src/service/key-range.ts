// Key ranges for listings. D1 compares keys as UTF-8 bytes, i.e. in code point order, and stores a
// lone surrogate as U+FFFD; the bounds here follow the same order.

const MAX_CODE_POINT = 0x10ffff;
const REPLACEMENT = 0xfffd;

/**
 * The smallest string above every string that starts with `prefix`, or undefined when there is none
 * (the prefix is empty or all U+10FFFF: every later key starts with it).
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => {
    const point = c.codePointAt(0)!;
    return point >= 0xd800 && point <= 0xdfff ? REPLACEMENT : point;
  });
  while (points.length) {
    const last = points.pop()!;
    // The next code point, stepping over the surrogates (no UTF-8 string holds them).
    if (last < MAX_CODE_POINT) return String.fromCodePoint(...points, last === 0xd7ff ? 0xe000 : last + 1);
  }
  return undefined;
}
