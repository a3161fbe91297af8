import { describe, expect, it } from 'vitest';
import { S3Error } from '../error';
import { validateBucketName, validateObjectKey } from './names';

const thrown = (f: () => void): S3Error | undefined => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(S3Error);
    return e as S3Error;
  }
  return undefined;
};
const codeOf = (f: () => void) => thrown(f)?.code ?? 'ok';

describe('validateBucketName', () => {
  it('accepts valid general purpose bucket names', () => {
    for (const name of [
      'abc',
      'a'.repeat(63),
      'my-bucket',
      'my.bucket.name',
      '123',
      '1-2.3',
      'docexamplebucket1',
      'log-delivery-march-2020',
      'my-hosted-content',
      'xn-one-dash',
      'sthree',
      'a-s3alias-b',
      'bucket.mrap.x',
      '192.168.5',
      '1.2.3.4.5',
    ]) {
      expect(codeOf(() => validateBucketName(name)), name).toBe('ok');
    }
  });

  it('rejects invalid names with InvalidBucketName', () => {
    for (const name of [
      '',
      'ab',
      'a'.repeat(64),
      'My-Bucket',
      'my_bucket',
      'my bucket',
      'bücket',
      '-bucket',
      'bucket-',
      '.bucket',
      'bucket.',
      'my..bucket',
      '192.168.5.4',
      '999.999.999.999',
      'xn--bucket',
      'sthree-bucket',
      'sthree-configurator',
      'amzn-s3-demo-bucket',
      'bucket-s3alias',
      'bucket--ol-s3',
      'bucket.mrap',
      'bucket--x-s3',
      'bucket--table-s3',
    ]) {
      expect(codeOf(() => validateBucketName(name)), name).toBe('InvalidBucketName');
    }
  });

  it('reports the bucket name with status 400', () => {
    const error = thrown(() => validateBucketName('Bad'));
    expect(error?.status).toBe(400);
    expect(error?.details).toEqual({ BucketName: 'Bad' });
  });
});

describe('validateObjectKey', () => {
  it('accepts keys up to 1024 UTF-8 bytes, whatever they contain', () => {
    for (const key of ['a', ' ', 'a/b/c', '../x', '\r\n\u0001', 'k'.repeat(1024), 'é'.repeat(512), '😀'.repeat(256)]) {
      expect(codeOf(() => validateObjectKey(key)), key).toBe('ok');
    }
  });

  it('rejects keys over 1024 UTF-8 bytes with KeyTooLongError', () => {
    for (const key of ['k'.repeat(1025), 'é'.repeat(513), '😀'.repeat(256) + 'x']) {
      expect(codeOf(() => validateObjectKey(key))).toBe('KeyTooLongError');
    }
    expect(thrown(() => validateObjectKey('é'.repeat(513)))?.details).toEqual({ Size: '1026', MaxSizeAllowed: '1024' });
  });

  it('rejects an empty key with InvalidArgument', () => {
    expect(codeOf(() => validateObjectKey(''))).toBe('InvalidArgument');
  });
});
