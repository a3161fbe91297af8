// A loopback HTTP front for the local endpoint. workerd's HTTP server never answers
// `Expect: 100-continue`, so SDKs that send it (the JS SDK for bodies over 2 MB) stall for seconds
// before sending the body; Cloudflare's edge answers it in production. Node's server answers it,
// then this streams each request through unchanged: raw path, Host header and body as sent.
import http from 'node:http';

/** Dropped when forwarding: hop-by-hop, and Expect (answered here; never part of a SigV4 signature). */
const HOP_HEADERS = new Set(['expect', 'connection', 'keep-alive', 'proxy-connection', 'upgrade']);

/**
 * Serves on `host:port` (0 = any free port) and forwards to `target` (an origin such as
 * http://127.0.0.1:1234). Resolves with the server and its origin.
 */
export async function startFront(target, { host = '127.0.0.1', port = 0 } = {}) {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_HEADERS.has(name)) headers[name] = value;
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    forward.on('error', () => {
      // workerd may answer (e.g. with an error) without reading the body, then close: let the
      // client finish sending into the void and read the answer, as S3 clients expect.
      req.unpipe(forward);
      req.resume();
      if (!res.headersSent) res.writeHead(502).end();
      else if (!res.writableFinished) res.destroy();
    });
    req.on('error', () => forward.destroy());
    res.on('close', () => {
      if (!res.writableFinished) forward.destroy();
    });
    req.pipe(forward);
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const { port: bound } = server.address();
  return {
    server,
    origin: `http://${host}:${bound}`,
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
