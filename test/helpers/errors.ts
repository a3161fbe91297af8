import { S3ServiceException } from '@aws-sdk/client-s3';

/** The S3 error a client call ends in, as the SDK reports it: error code and HTTP status. */
export async function s3Error(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return { name: e.name, status: e.$metadata.httpStatusCode };
    throw e;
  }
  throw new Error('expected an S3 error');
}
