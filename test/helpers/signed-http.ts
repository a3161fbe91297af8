// Requests through node:http with exact control of framing and Expect, SigV4-signed (UNSIGNED-PAYLOAD)
// unless asked otherwise: what the SDKs' own HTTP stacks do not let a test choose.
import http from 'node:http';
import { signRequest } from './sign';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The request went over a connection kept alive from an earlier one. */
  reused: boolean;
}

export interface SendOptions {
  /** One piece goes with Content-Length, pieces go chunked. */
  body?: Buffer | Buffer[];
  /** The Expect header; with 100-continue the body waits for the interim answer. */
  expect?: string;
  agent?: http.Agent;
  /** Host header (and signed host) other than the origin's, e.g. virtual-hosted style. */
  host?: string;
  /** No Authorization: an anonymous request. */
  anonymous?: boolean;
  /** More headers, signed with the rest. */
  headers?: Record<string, string>;
}

export async function send(origin: string, method: string, path: string, { body, expect, agent, host, anonymous = false, headers: extra = {} }: SendOptions = {}): Promise<Answer> {
  const url = new URL(path, origin);
  // Bodiless requests name no framing, as SDKs send them (wrangler dev's proxy drops a Content-Length of 0).
  const framing: Record<string, string> = { ...extra, ...(Array.isArray(body) ? { 'transfer-encoding': 'chunked' } : body ? { 'content-length': String(body.length) } : {}) };
  const headers = anonymous ? framing : (await signRequest(method, `http://${host ?? url.host}${url.pathname}${url.search}`, framing)).headers;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: agent ?? false, headers: { ...headers, ...(expect ? { expect } : {}) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts), reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const write = () => {
      for (const chunk of Array.isArray(body) ? body : body ? [body] : []) req.write(chunk);
      req.end();
    };
    if (expect === '100-continue') req.on('continue', write);
    else write();
  });
}

/** The S3 error code of an answer's body. */
export const errorCode = (a: Answer) => /<Code>([^<]+)<\/Code>/.exec(a.body.toString())?.[1];
