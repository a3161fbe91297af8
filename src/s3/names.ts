// Bucket names follow the AWS rules for general purpose buckets; object keys only have a size limit.
import { S3Error } from '../error';

const BUCKET_NAME_SHAPE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/; // 3-63 chars, starts and ends alphanumeric
const IP_ADDRESS_SHAPE = /^\d+\.\d+\.\d+\.\d+$/;
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
// Suffixes of access point aliases, Multi-Region Access Points, directory and table buckets.
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

export function validateBucketName(name: string): void {
  const valid =
    BUCKET_NAME_SHAPE.test(name) &&
    !name.includes('..') &&
    !IP_ADDRESS_SHAPE.test(name) &&
    !RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix)) &&
    !RESERVED_SUFFIXES.some((suffix) => name.endsWith(suffix));
  if (!valid) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
}

export const MAX_KEY_BYTES = 1024;

/** Keys are any UTF-8 of 1 to 1024 bytes. */
export function validateObjectKey(key: string): void {
  if (key === '') throw new S3Error('InvalidArgument', 'An object key must not be empty.');
  const size = new TextEncoder().encode(key).length;
  if (size > MAX_KEY_BYTES) {
    throw new S3Error('KeyTooLongError', 'Your key is too long', {
      Size: String(size),
      MaxSizeAllowed: String(MAX_KEY_BYTES),
    });
  }
}
