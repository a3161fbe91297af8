// HTTP/1.1 requests with exact bytes, which fetch cannot send: header values as UTF-8 bytes, bodies
// the SDKs would frame differently. Answers keep the raw header bytes (as latin1 strings).
import http from 'node:http';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Header values are text: each is sent as its UTF-8 bytes. A body given in pieces goes chunked (no Content-Length). */
export function rawRequest(url: string, method: string, headers: Record<string, string>, body?: Uint8Array | string | Uint8Array[]): Promise<RawAnswer> {
  const bytes = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('latin1')]));
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: bytes }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!Array.isArray(body)) return req.end(body);
    for (const piece of body) req.write(piece);
    req.end();
  });
}

/** A header of an answer as the text its UTF-8 bytes spell. */
export const utf8Header = (answer: RawAnswer, name: string) => {
  const value = answer.headers[name];
  return typeof value === 'string' ? Buffer.from(value, 'latin1').toString('utf8') : undefined;
};
