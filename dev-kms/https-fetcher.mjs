// A fetch-shaped function (Request → Response) over node:https that trusts the given CA and, for
// KES, presents a client certificate: how Node code (tests, scripts) reaches the development KMS,
// as the worker reaches a real one through fetch or an mtls_certificates binding.
import https from 'node:https';

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** `ca`: PEM to trust; `cert` and `key`: the client certificate to present (optional). */
export function httpsFetcher({ ca, cert, key }) {
  return async (request) => {
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    return new Promise((resolve, reject) => {
      const options = { method: request.method, headers: Object.fromEntries(request.headers), ca, cert, key, signal: request.signal, agent: false };
      const outgoing = https.request(request.url, options, (incoming) => {
        const chunks = [];
        incoming.on('data', (chunk) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const headers = new Headers();
          for (let i = 0; i < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i], incoming.rawHeaders[i + 1]);
          const status = incoming.statusCode ?? 502;
          resolve(new Response(NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks), { status, headers }));
        });
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };
}
