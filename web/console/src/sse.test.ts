import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customerKeyHeaders, customerKeysAllowed, generateCustomerKey, parseCustomerKey } from './sse';

describe('SSE-C keys in the console', () => {
  it('reads back every generated key, and its MD5 header is of the key bytes', () => {
    for (let i = 0; i < 20; i++) {
      const key = parseCustomerKey(generateCustomerKey());
      expect(key.length).toBe(32);
      const headers = customerKeyHeaders(key);
      expect(headers['x-amz-server-side-encryption-customer-key-md5']).toBe(
        createHash('md5').update(key).digest('base64'),
      );
    }
  });

  it('takes 32 plain characters as bytes, as the aws CLI does, and refuses other lengths', () => {
    expect(Buffer.from(parseCustomerKey('0123456789abcdef0123456789abcdef')).toString()).toBe('0123456789abcdef0123456789abcdef');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), (s) => {
        const bytes = new TextEncoder().encode(s.trim()).length;
        if (bytes === 32 || /^[A-Za-z0-9+/]{43}=$/.test(s.trim())) return;
        expect(() => parseCustomerKey(s)).toThrow(/32 bytes/);
      }),
    );
  });

  it('allows keys over https anywhere and over http only to loopback', () => {
    expect(customerKeysAllowed(new URL('https://s3.example.com/'))).toBe(true);
    expect(customerKeysAllowed(new URL('http://127.0.0.1:8787/'))).toBe(true);
    expect(customerKeysAllowed(new URL('http://localhost:8787/'))).toBe(true);
    expect(customerKeysAllowed(new URL('http://[::1]:8787/'))).toBe(true);
    expect(customerKeysAllowed(new URL('http://s3.example.com/'))).toBe(false);
    expect(customerKeysAllowed(new URL('http://127.0.0.1.example.com/'))).toBe(false);
  });
});
