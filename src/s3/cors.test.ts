import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CorsRule, matchRule, wildcardMatch } from './cors';

const rule = (r: Partial<CorsRule>): CorsRule => ({ allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: [], exposeHeaders: [], ...r });

const noStar = fc.string().filter((s) => !s.includes('*'));

describe('CORS rules', () => {
  it('a single wildcard matches exactly the strings with that head and tail', () => {
    fc.assert(
      fc.property(noStar, fc.string(), noStar, (head, middle, tail) => {
        expect(wildcardMatch(`${head}*${tail}`, head + middle + tail)).toBe(true);
        expect(wildcardMatch(head + tail, head + middle + tail)).toBe(middle === '');
      }),
    );
    expect(wildcardMatch('https://*.example.com', 'https://example.com')).toBe(false);
    expect(wildcardMatch('ab*ba', 'aba')).toBe(false); // head and tail may not overlap
  });

  it('picks the first rule allowing origin, method and every requested header', () => {
    const rules = [rule({ allowedOrigins: ['https://a.test'], allowedMethods: ['PUT'], allowedHeaders: ['X-Amz-*'] }), rule({ id: 'any' })];
    expect(matchRule(rules, 'https://a.test', 'PUT', ['x-amz-date'])).toBe(rules[0]);
    expect(matchRule(rules, 'https://a.test', 'PUT', ['x-amz-date', 'content-type'])).toBeNull();
    expect(matchRule(rules, 'https://b.test', 'GET', [])).toBe(rules[1]);
    expect(matchRule(rules, 'https://b.test', 'GET', ['range'])).toBeNull();
  });
});
