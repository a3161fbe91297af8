import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from './redact';

describe('redactSecrets', () => {
  it('replaces the values of secret-bearing headers and query parameters, and nothing else', () => {
    const canonical = [
      'PUT',
      '/b/k',
      'X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE&x-id=PutObject',
      'host:example.com',
      'x-amz-copy-source-server-side-encryption-customer-key:c2VjcmV0LWNvcHkta2V5',
      'x-amz-server-side-encryption-customer-key:c2VjcmV0LWtleQ==',
      'x-amz-server-side-encryption-customer-key-md5:bWQ1',
      'x-amz-security-token:FwoGZXIvYXdzEXAMPLE',
      '',
      'host;x-amz-server-side-encryption-customer-key',
      'UNSIGNED-PAYLOAD',
    ].join('\n');
    const redacted = redactSecrets(canonical);
    for (const secret of ['FwoGZXIvYXdzEXAMPLE', 'c2VjcmV0LWtleQ==', 'c2VjcmV0LWNvcHkta2V5']) expect(redacted).not.toContain(secret);
    expect(redacted.split('\n')).toEqual([
      'PUT',
      '/b/k',
      `X-Amz-Security-Token=${REDACTED}&x-id=PutObject`,
      'host:example.com',
      `x-amz-copy-source-server-side-encryption-customer-key:${REDACTED}`,
      `x-amz-server-side-encryption-customer-key:${REDACTED}`,
      'x-amz-server-side-encryption-customer-key-md5:bWQ1',
      `x-amz-security-token:${REDACTED}`,
      '',
      'host;x-amz-server-side-encryption-customer-key',
      'UNSIGNED-PAYLOAD',
    ]);
  });
});
