import { describe, expect, it } from 'vitest';
import { S3Error } from '../../error';
import { parseCredentials } from './credentials';

const failure = (config: string) => {
  try {
    parseCredentials(config);
  } catch (e) {
    return e instanceof S3Error ? `${e.code}: ${e.message}` : String(e);
  }
  return 'accepted';
};

describe('parseCredentials', () => {
  it('reads AKID:SECRET pairs separated by commas or newlines', () => {
    expect([...parseCredentials('AK1:s1, AK2:s2:with-colon\nAK3:s3')]).toEqual([
      ['AK1', 's1'],
      ['AK2', 's2:with-colon'],
      ['AK3', 's3'],
    ]);
  });

  it('refuses a configuration with a key that has no secret, saying so without any secret', () => {
    for (const config of ['AK1:s1,AK2:', 'AK1:', 'AK1:secret-one AK2']) {
      const message = failure(config);
      expect(message).toBe('InternalError: The service is misconfigured: CREDENTIALS holds an access key without a secret.');
      expect(message).not.toContain('s1');
    }
  });
});
