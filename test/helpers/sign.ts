// A SigV4 signer for requests the SDKs do not make: header values sent as UTF-8 bytes, and
// aws-chunked bodies with chunk and trailer signatures built by AWS's "Transferring Payload in
// Multiple Chunks" rules. Canonical requests come from src/s3/auth/sigv4.ts (checked against AWS's
// test vectors); the chunk chain is built here independently of the server's verifier.
import { canonicalRequest, EMPTY_SHA256, hmacHex, sha256Hex, signingKey, stringToSign } from '../../src/s3/auth/sigv4';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY } from './service';

const amzDate = (d: Date) => d.toISOString().replace(/[-:]|\.\d{3}/g, '');

/** Signatures of an aws-chunked body, each over the previous one, from the request's own signature. */
export class ChunkChain {
  constructor(
    private readonly key: CryptoKey,
    private readonly datetime: string,
    private readonly scope: string,
    private previous: string,
  ) {}

  async chunk(data: Uint8Array): Promise<string> {
    const toSign = `AWS4-HMAC-SHA256-PAYLOAD\n${this.datetime}\n${this.scope}\n${this.previous}\n${EMPTY_SHA256}\n${await sha256Hex(data)}`;
    return (this.previous = await hmacHex(this.key, toSign));
  }

  async trailer(canonicalTrailers: string): Promise<string> {
    const toSign = `AWS4-HMAC-SHA256-TRAILER\n${this.datetime}\n${this.scope}\n${this.previous}\n${await sha256Hex(canonicalTrailers)}`;
    return (this.previous = await hmacHex(this.key, toSign));
  }
}

/** Headers (Authorization included) signing `method url` over every header given. */
export async function signRequest(method: string, url: string, headers: Record<string, string>, payloadHash = 'UNSIGNED-PAYLOAD') {
  const datetime = amzDate(new Date());
  const date = datetime.slice(0, 8);
  const all: Record<string, string> = { ...headers, host: new URL(url).host, 'x-amz-date': datetime, 'x-amz-content-sha256': payloadHash };
  const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
  const canonical = canonicalRequest({ method, url, headers: Object.entries(all), signedHeaders: names, payloadHash });
  const scope = `${date}/${REGION}/s3/aws4_request`;
  const key = await signingKey(SECRET_ACCESS_KEY, date, REGION, 's3');
  const signature = await hmacHex(key, await stringToSign(datetime, scope, canonical));
  all.authorization = `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return { headers: all, chain: new ChunkChain(key, datetime, scope, signature) };
}

/**
 * An aws-chunked body: each chunk `hex-size[;chunk-signature=sig]\r\n data \r\n`, the final empty
 * chunk, then the trailing headers (signed with `x-amz-trailer-signature` when `chain` is given).
 */
export async function awsChunked(chunks: Uint8Array[], chain: ChunkChain | null, trailers: Record<string, string> | null): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const data of [...chunks, new Uint8Array(0)]) {
    const signature = chain ? `;chunk-signature=${await chain.chunk(data)}` : '';
    parts.push(Buffer.from(`${data.length.toString(16)}${signature}\r\n`), Buffer.from(data), Buffer.from(data.length ? '\r\n' : ''));
  }
  if (trailers) {
    const lines = Object.entries(trailers).map(([name, value]) => `${name}:${value}\n`).join('');
    parts.push(Buffer.from(lines.replace(/\n/g, '\r\n')));
    if (chain) parts.push(Buffer.from(`x-amz-trailer-signature:${await chain.trailer(lines)}\r\n`));
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}
