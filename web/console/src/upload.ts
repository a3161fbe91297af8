// Uploads from the browser: one PutObject for small files, otherwise a multipart upload whose parts
// go up a few at a time. A failed part stops the run; start() again resumes it, sending only the parts
// not yet acknowledged (the uploaded ones stay on the server under the same upload id).
import { type S3, base64, escapeXml, sha256, text } from './s3';
import { type SseChoice, partHeaders, writeHeaders } from './sse';

const MiB = 1024 * 1024;
/** S3's smallest part (all but the last). */
const MIN_PART = 5 * MiB;
/** Parts kept under ~64 MiB: two in flight stay well within a tab's memory and a Worker's body limit. */
const MAX_PART = 64 * MiB;
/**
 * Aim for at most 40 parts: a GET on the Workers Free plan reads objects of about 45 parts (one R2
 * request per part), so fewer, larger parts keep objects up to 2.5 GiB readable there.
 */
const TARGET_PARTS = 40;
const PARALLEL_PARTS = 2;

/** Part size for a file: 5 MiB at least, larger for big files, and never more than 10,000 parts. */
export function partSize(size: number): number {
  const even = Math.ceil(size / TARGET_PARTS / MiB) * MiB;
  return Math.max(MIN_PART, Math.min(MAX_PART, even), Math.ceil(size / 10_000 / MiB) * MiB);
}

export interface Progress {
  sent: number;
  total: number;
  partsDone: number;
  parts: number;
}

export class FileUpload {
  readonly partSize: number;
  readonly parts: number;
  /** Acknowledged parts: number → ETag and SHA-256 checksum (what Complete lists). */
  private readonly done = new Map<number, { etag: string; checksum: string }>();
  private uploadId: string | null = null;
  private running = false;

  constructor(
    private readonly s3: S3,
    readonly bucket: string,
    readonly key: string,
    private readonly file: Blob,
    private readonly sse: SseChoice,
    private readonly onProgress: (p: Progress) => void,
  ) {
    this.partSize = partSize(file.size);
    this.parts = file.size <= this.partSize ? 1 : Math.ceil(file.size / this.partSize);
  }

  get multipart(): boolean {
    return this.parts > 1;
  }

  progress(): Progress {
    let sent = 0;
    for (const n of this.done.keys()) sent += Math.min(this.partSize, this.file.size - (n - 1) * this.partSize);
    return { sent, total: this.file.size, partsDone: this.done.size, parts: this.parts };
  }

  /** Runs (or resumes) the upload to completion; throws the first failure, keeping finished parts. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      if (!this.multipart) await this.putWhole();
      else await this.putParts();
    } finally {
      this.running = false;
    }
  }

  /** Abandons a multipart upload: the server drops its parts. */
  async abort(): Promise<void> {
    if (this.uploadId) await this.s3.send('DELETE', { bucket: this.bucket, key: this.key, query: { uploadId: this.uploadId } });
    this.uploadId = null;
    this.done.clear();
  }

  private contentType(): Record<string, string> {
    return { 'content-type': this.file.type || 'application/octet-stream' };
  }

  private async putWhole(): Promise<void> {
    const body = new Uint8Array(await this.file.arrayBuffer());
    const headers = { ...this.contentType(), ...writeHeaders(this.sse), 'x-amz-checksum-sha256': base64(await sha256(body)) };
    await this.s3.send('PUT', { bucket: this.bucket, key: this.key, headers, body });
    this.done.set(1, { etag: '', checksum: '' });
    this.onProgress(this.progress());
  }

  private async putParts(): Promise<void> {
    if (!this.uploadId) {
      const headers = { ...this.contentType(), ...writeHeaders(this.sse), 'x-amz-checksum-algorithm': 'SHA256' };
      const created = await this.s3.xml('POST', { bucket: this.bucket, key: this.key, query: { uploads: '' }, headers });
      this.uploadId = text(created, 'UploadId');
    }
    const pending = Array.from({ length: this.parts }, (_, i) => i + 1).filter((n) => !this.done.has(n));
    let failure: unknown = null;
    const worker = async () => {
      for (let n = pending.shift(); n !== undefined && failure === null; n = pending.shift()) {
        try {
          await this.putPart(n);
          this.onProgress(this.progress());
        } catch (e) {
          failure ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_PARTS }, worker));
    if (failure !== null) throw failure;
    await this.complete();
  }

  private async putPart(n: number): Promise<void> {
    const start = (n - 1) * this.partSize;
    const body = new Uint8Array(await this.file.slice(start, start + this.partSize).arrayBuffer());
    const checksum = base64(await sha256(body));
    const response = await this.s3.send('PUT', {
      bucket: this.bucket,
      key: this.key,
      query: { partNumber: String(n), uploadId: this.uploadId! },
      headers: { ...partHeaders(this.sse), 'x-amz-checksum-sha256': checksum },
      body,
    });
    this.done.set(n, { etag: response.headers.get('etag') ?? '', checksum });
  }

  private async complete(): Promise<void> {
    const parts = [...this.done.entries()]
      .sort(([a], [b]) => a - b)
      .map(([n, p]) => `<Part><PartNumber>${n}</PartNumber><ETag>${escapeXml(p.etag)}</ETag><ChecksumSHA256>${p.checksum}</ChecksumSHA256></Part>`);
    await this.s3.xml('POST', {
      bucket: this.bucket,
      key: this.key,
      query: { uploadId: this.uploadId! },
      headers: { 'content-type': 'application/xml', ...partHeaders(this.sse) },
      body: `<CompleteMultipartUpload>${parts.join('')}</CompleteMultipartUpload>`,
    });
    this.uploadId = null;
  }
}
