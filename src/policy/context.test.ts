import { describe, expect, it } from 'vitest';
import { requestContext } from './context';

describe('requestContext', () => {
  it('carries aws:SecureTransport, the SSE headers and the listing parameters that were sent', () => {
    const headers = new Headers({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'k1' });
    const context = requestContext(headers, new URL('https://s3.example.com/b?list-type=2&prefix=home%2F&max-keys=10'), new Date(0));
    expect(Object.fromEntries(context)).toEqual({
      'aws:securetransport': ['true'],
      'aws:currenttime': ['1970-01-01T00:00:00.000Z'],
      'aws:epochtime': ['0'],
      's3:x-amz-server-side-encryption': ['aws:kms'],
      's3:x-amz-server-side-encryption-aws-kms-key-id': ['k1'],
      's3:prefix': ['home/'],
      's3:max-keys': ['10'],
    });
    expect(requestContext(new Headers(), new URL('http://127.0.0.1/b')).get('aws:securetransport')).toEqual(['false']);
  });
});
