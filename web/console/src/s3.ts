// S3 requests from the browser, signed here with aws4fetch (the secret never leaves the page), to the
// origin that served the console. Errors become S3Failure with S3's code and message.
import { AwsClient } from 'aws4fetch';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** An S3 error answer (code and message from its XML body), or the status when there is no body (HEAD). */
export class S3Failure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'S3Failure';
  }
}

export interface S3Call {
  bucket?: string;
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Admin operations live under /_admin/ instead of a bucket. */
  path?: string;
}

const encoder = new TextEncoder();
const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
export const base64 = (bytes: Uint8Array | ArrayBuffer): string => btoa(String.fromCharCode(...new Uint8Array(bytes)));
export const sha256 = (bytes: Uint8Array | ArrayBuffer): Promise<ArrayBuffer> => crypto.subtle.digest('SHA-256', bytes as BufferSource);

/** S3's path for a key: every character but "/" percent-encoded. */
const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

const NO_BODY_MESSAGES: Record<number, string> = {
  400: 'Bad request (an SSE-C object needs its key).',
  403: 'Access denied (an SSE-C object needs the key it was written with).',
  404: 'Not found.',
  405: 'Method not allowed.',
};

export class S3 {
  private readonly aws: AwsClient;
  constructor(
    readonly credentials: Credentials,
    private readonly origin = location.origin,
  ) {
    this.aws = new AwsClient({ ...credentials, service: 's3', retries: 0 });
  }

  url({ bucket, key, query, path }: S3Call): URL {
    const url = new URL(path ?? (bucket ? `/${encodeURIComponent(bucket)}${key !== undefined ? `/${encodeKey(key)}` : ''}` : '/'), this.origin);
    for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
    return url;
  }

  /** Sends a signed request (payload hashed into the signature); throws S3Failure unless 2xx. */
  async send(method: string, call: S3Call = {}): Promise<Response> {
    const body = typeof call.body === 'string' ? encoder.encode(call.body) : call.body;
    const headers = { 'x-amz-content-sha256': hex(await sha256(body ?? new Uint8Array())), ...call.headers };
    const signed = await this.aws.sign(this.url(call).toString(), { method, headers, body: body as BodyInit | undefined });
    const response = await fetch(signed).catch((e: Error) => {
      throw new S3Failure('NetworkError', `The request did not reach the service (${e.message}).`, 0);
    });
    if (!response.ok) throw await failure(response);
    return response;
  }

  /** Sends and parses the XML answer; S3 may answer 200 with an <Error> body (CompleteMultipartUpload). */
  async xml(method: string, call: S3Call = {}): Promise<Document> {
    const response = await this.send(method, call);
    const doc = parseXml(await response.text());
    if (doc.documentElement?.localName === 'Error') throw errorFrom(doc, response.status);
    return doc;
  }

  /** A presigned GET URL, valid for `seconds` (the browser downloads it natively, at any size). */
  async presignGet(bucket: string, key: string, query: Record<string, string>, seconds = 300): Promise<string> {
    const url = this.url({ bucket, key, query: { ...query, 'X-Amz-Expires': String(seconds) } });
    const signed = await this.aws.sign(url.toString(), { method: 'GET', aws: { signQuery: true } });
    return signed.url;
  }
}

export function parseXml(text: string): Document {
  return new DOMParser().parseFromString(text || '<Empty/>', 'application/xml');
}

/** Text of the first descendant element named `name`, or ''. */
export function text(node: Element | Document, name: string): string {
  return node.getElementsByTagName(name)[0]?.textContent ?? '';
}

/** Direct children of `node` named `name`. */
export function children(node: Element, name: string): Element[] {
  return Array.from(node.children).filter((c) => c.localName === name);
}

function errorFrom(doc: Document, status: number): S3Failure {
  return new S3Failure(text(doc, 'Code') || `HTTP ${status}`, text(doc, 'Message') || NO_BODY_MESSAGES[status] || 'The request failed.', status);
}

async function failure(response: Response): Promise<S3Failure> {
  const body = await response.text().catch(() => '');
  const doc = body ? parseXml(body) : null;
  if (doc?.documentElement?.localName === 'Error') return errorFrom(doc, response.status);
  return new S3Failure(`HTTP ${response.status}`, NO_BODY_MESSAGES[response.status] ?? (body.slice(0, 200) || response.statusText || 'The request failed.'), response.status);
}

/** Escapes text for an XML element body. */
export const escapeXml = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
