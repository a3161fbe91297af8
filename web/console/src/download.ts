// Downloads: a presigned GET the browser saves itself (any size, streamed to disk); SSE-C objects need
// their key in headers, which a link cannot carry, so they are fetched into memory and saved from there.
import type { S3 } from './s3';
import { customerKeyHeaders } from './sse';

const fileName = (key: string) => key.split('/').filter(Boolean).at(-1) ?? 'download';

function save(href: string, name: string): void {
  const link = Object.assign(document.createElement('a'), { href, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
}

export async function download(s3: S3, bucket: string, key: string, customerKey: Uint8Array | null): Promise<void> {
  const name = fileName(key);
  if (!customerKey) {
    const disposition = `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;
    save(await s3.presignGet(bucket, key, { 'response-content-disposition': disposition }), name);
    return;
  }
  const response = await s3.send('GET', { bucket, key, headers: customerKeyHeaders(customerKey) });
  const url = URL.createObjectURL(await response.blob());
  save(url, name);
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
