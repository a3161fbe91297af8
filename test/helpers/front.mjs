// A loopback front for the bare Miniflare the tests run the worker in. Miniflare's own HTTP server
// never answers `Expect: 100-continue`, so SDKs that send it (the JS SDK for bodies over 2 MB) stall
// for seconds before sending the body, and it holds an answer given before the body was read until
// the client has sent it all. `wrangler dev`, which `npm run dev` serves, answers both itself
// (test/dev-endpoint.test.ts), as Cloudflare's edge does. This front reads each request head,
// answers 100-continue itself, drops the Expect header (S3 ignores expectations it does not know),
// and otherwise splices the client and workerd sockets: raw path, Host header, body and answer pass
// byte for byte, without an HTTP parser or copy per request.
//
// When workerd answers before it has read a body and closes its side, the rest of the client's body
// is read and dropped here, so the client finishes sending and reads that answer (its S3 error)
// instead of a reset; then the client connection closes too. When workerd closes a connection
// that owes nothing, the client's stays open and its next request goes over a new one.
import net from 'node:net';

/** Request heads larger than this are refused (431), as most HTTP servers do. */
const MAX_HEAD = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Serves on `host:port` (0 = any free port) and forwards to `target` (an origin such as
 * http://127.0.0.1:1234). Resolves with the server and its origin.
 */
export async function startFront(target, { host = '127.0.0.1', port = 0 } = {}) {
  const upstream = new URL(target);
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    splice(client, () => net.connect({ host: upstream.hostname, port: Number(upstream.port) }));
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const { port: bound } = server.address();
  return {
    server,
    origin: `http://${host}:${bound}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Relays one client connection to workerd, request by request. Answers are followed (framing only)
 * so that workerd closing an idle connection just means the next request opens another, while a
 * close with an answer missing or cut short closes the client connection too.
 */
function splice(client, connect) {
  client.setNoDelay(true);
  let worker = null;
  let answers = null;
  /** workerd closed with an answer owed or a body arriving: bodies are dropped, then the client closes. */
  let workerGone = false;
  let head = Buffer.alloc(0);
  /** The body framing of the request being relayed, or null between requests. */
  let body = null;

  const workerClosed = (socket) => {
    if (worker !== socket) return;
    worker = null;
    if (answers.idle && !body) return;
    workerGone = true;
    client.resume();
    if (!body) client.end();
  };
  const toWorker = (bytes) => {
    if (workerGone || bytes.length === 0) return;
    if (!worker.write(bytes)) {
      client.pause();
      worker.once('drain', () => client.resume());
    }
  };
  const openWorker = () => {
    const socket = connect();
    worker = socket;
    answers = answerTracker();
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      answers.consume(chunk);
      if (!client.write(chunk)) {
        socket.pause();
        client.once('drain', () => socket.resume());
      }
    });
    socket.on('end', () => workerClosed(socket));
    socket.on('close', () => workerClosed(socket));
    // An answer already relayed stays relayed; what workerd could not take is dropped.
    socket.on('error', () => {});
  };

  client.on('data', (chunk) => {
    while (chunk.length > 0) {
      if (body) {
        const taken = body.consume(chunk);
        toWorker(chunk.subarray(0, taken));
        chunk = chunk.subarray(taken);
        if (body.done) {
          body = null;
          if (workerGone) return void client.end();
        }
        continue;
      }
      if (workerGone) return;
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) {
        if (head.length > MAX_HEAD) refuse(client, 431, 'Request Header Fields Too Large');
        return;
      }
      const request = parseHead(head.subarray(0, end + 2).toString('latin1'));
      chunk = head.subarray(end + HEAD_END.length);
      head = Buffer.alloc(0);
      if (!request) return void refuse(client, 400, 'Bad Request');
      if (request.expectContinue) client.write('HTTP/1.1 100 Continue\r\n\r\n');
      if (!worker) openWorker();
      answers.expect(request.method);
      toWorker(Buffer.from(request.forwarded, 'latin1'));
      body = request.chunked ? chunkedBody() : lengthBody(request.length);
      if (body.done) body = null;
    }
  });
  client.on('end', () => (worker && !workerGone ? worker.end() : client.end()));
  client.on('error', () => worker?.destroy());
  client.on('close', () => worker?.destroy());
}

/** Follows the answers on one workerd connection: idle when every request sent has its whole answer. */
function answerTracker() {
  const methods = [];
  let head = Buffer.alloc(0);
  let body = null;
  const answered = () => {
    body = null;
    methods.shift();
  };
  return {
    get idle() {
      return methods.length === 0 && head.length === 0 && !body;
    },
    expect(method) {
      methods.push(method);
    },
    consume(chunk) {
      while (chunk.length > 0) {
        if (body) {
          const taken = body.consume(chunk);
          chunk = chunk.subarray(taken);
          if (body.done) answered();
          continue;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf(HEAD_END);
        if (end < 0) return;
        const text = head.subarray(0, end).toString('latin1');
        chunk = head.subarray(end + HEAD_END.length);
        head = Buffer.alloc(0);
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]);
        if (status >= 100 && status < 200) continue; // interim: the answer follows
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1];
        if (methods[0] === 'HEAD' || status === 204 || status === 304) answered();
        else if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(text)) body = chunkedBody();
        else if (length !== undefined) body = lengthBody(Number(length));
        else body = { done: false, consume: (c) => c.length }; // ends when the connection does
        if (body?.done) answered();
      }
    },
  };
}

function refuse(client, status, reason) {
  client.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

/**
 * The head without its Expect headers, and how the body is framed; null when it is not HTTP/1.x.
 * `text` ends with the CRLF of the last header line.
 */
function parseHead(text) {
  const lines = text.split('\r\n');
  if (!/^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(lines[0])) return null;
  let expectContinue = false;
  let length = 0;
  let chunked = false;
  const kept = [lines[0]];
  for (const line of lines.slice(1, -1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'expect') {
      // Answered here (100-continue) or ignored, as S3 ignores expectations it does not know.
      expectContinue ||= value.toLowerCase() === '100-continue';
      continue;
    }
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) return null;
      length = Number(value);
    }
    if (name === 'transfer-encoding') chunked = /(^|,)\s*chunked\s*$/i.test(value);
    kept.push(line);
  }
  return { method: lines[0].split(' ')[0], forwarded: `${kept.join('\r\n')}\r\n\r\n`, expectContinue, length, chunked };
}

/** A body of `length` bytes: consume(chunk) says how many bytes of `chunk` belong to it. */
function lengthBody(length) {
  let left = length;
  return {
    get done() {
      return left === 0;
    },
    consume(chunk) {
      const taken = Math.min(left, chunk.length);
      left -= taken;
      return taken;
    },
  };
}

/** A chunked body (RFC 9112 §7.1): chunk sizes, data, and trailer lines up to the empty line. */
function chunkedBody() {
  let state = 'size'; // size | data | data-end | trailer
  let line = '';
  let left = 0;
  let done = false;
  return {
    get done() {
      return done;
    },
    consume(chunk) {
      let at = 0;
      while (at < chunk.length && !done) {
        if (state === 'data') {
          const n = Math.min(left, chunk.length - at);
          at += n;
          left -= n;
          if (left === 0) state = 'data-end';
          continue;
        }
        const byte = chunk[at++];
        if (byte !== 0x0a) {
          line += String.fromCharCode(byte);
          continue;
        }
        const text = line.replace(/\r$/, '');
        line = '';
        if (state === 'data-end') state = 'size';
        else if (state === 'size') {
          left = parseInt(text, 16) || 0;
          state = left > 0 ? 'data' : 'trailer';
        } else if (text === '') done = true;
      }
      return at;
    },
  };
}
