import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** The whole body of a GetObject, with any extra request fields (Range, SSE-C key, PartNumber…). */
export async function getBytes(client: S3Client, Bucket: string, Key: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return Buffer.from(await got.Body!.transformToByteArray());
}
