// Fuzzing with fast-check (fixed seed) straight at the worker over loopback: SigV4 headers and
// presigned queries, aws-chunked framing and trailers, Range, every XML body the service parses,
// bucket and key names, SSE headers. Every answer: no 5xx, no stack trace or key material; no
// request accepted without valid credentials; and where the surface has one, a reference oracle.
import { createHash, randomBytes } from 'node:crypto';
import { crc32c } from '@aws-crypto/crc32c';
import { AwsClient } from 'aws4fetch';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY_ID, MASTER_KEY, REGION, SECRET_ACCESS_KEY, type Service, startService } from '../helpers/service';
import { FULL, recordFigures } from './harness';

const CASES = FULL ? 10_000 : Number(process.env.FUZZ_CASES ?? 300);
const SEED = 20261201;
const LANES = 16;

let svc: Service;
let origin: string;
let signer: AwsClient;
const bucket = 'fuzz';
const ranged = randomBytes(200 * 1024 + 17);
const customerKey = randomBytes(32);
const ssecHeaders = {
  'x-amz-server-side-encryption-customer-algorithm': 'AES256',
  'x-amz-server-side-encryption-customer-key': customerKey.toString('base64'),
  'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(customerKey).digest('base64'),
};
const figures: Record<string, number> = {};

beforeAll(async () => {
  svc = await startService();
  origin = (await svc.mf.ready).origin;
  signer = new AwsClient({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION, service: 's3', retries: 0 });
  const setup = async (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) => {
    const res = await signer.fetch(`${origin}${path}`, { method: 'PUT', ...init });
    if (!res.ok) throw new Error(`setup ${path}: ${res.status} ${await res.text()}`);
  };
  await setup(`/${bucket}`);
  await setup(`/${bucket}-xml`);
  await setup(`/${bucket}/existing`, { body: 'fuzz target' });
  await setup(`/${bucket}/ranged`, { body: ranged });
  await setup(`/${bucket}/ssec`, { body: 'customer keyed', headers: ssecHeaders });
}, 120_000);
afterAll(async () => {
  recordFigures('fuzz', figures);
  await svc?.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  body: Uint8Array;
  text: string;
}

/** A case: what to send, and what must hold of the answer besides the rules every answer obeys. */
interface Case {
  request: () => Promise<Request>;
  /** The request carries valid credentials (else any 2xx/3xx is a forgery accepted). */
  authentic: boolean;
  /** What was fuzzed, for the report. */
  label?: string;
  /** Secrets the case sent, which no answer may contain. */
  secrets?: string[];
  check?: (a: Answer) => Promise<string | null> | string | null;
}

const secrets = [SECRET_ACCESS_KEY, MASTER_KEY.split(':')[1]!, customerKey.toString('base64')];
const internals = /\bat [\w$.<>]+ \(|\.(?:ts|js|mjs):\d+|node_modules|\/work\/|\/tmp\/|InjectedFault|RangeError|TypeError|SyntaxError/;

/** Sends every case (LANES at a time) and checks the rules every answer obeys; returns the first violations. */
async function run(surface: string, cases: Case[]): Promise<string[]> {
  const problems: string[] = [];
  const tally = { cases: 0, unsendable: 0, fiveXX: 0, crashes: 0, forgeries: 0, leaks: 0, wrong: 0 };
  let next = 0;
  const started = Date.now();
  const lane = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      tally.cases++;
      let request: Request;
      try {
        request = await c.request();
      } catch {
        // Not expressible as an HTTP request (a URL no client can build): nothing was sent.
        tally.unsendable++;
        continue;
      }
      let a: Answer;
      try {
        const res = await fetch(request);
        const body = new Uint8Array(await res.arrayBuffer());
        a = { status: res.status, headers: res.headers, body, text: new TextDecoder().decode(body) };
      } catch (e) {
        tally.crashes++;
        problems.push(`${request.method} ${request.url}: no answer (${e instanceof Error ? e.message : e})`);
        continue;
      }
      const where = `${request.method} ${request.url.slice(0, 200)}${c.label ? ` [${c.label}]` : ''} → ${a.status}`;
      const said = `${a.text.slice(0, 300)} ${[...a.headers].map(([k, v]) => `${k}: ${v}`).join('; ')}`;
      const notImplemented = a.status === 501 && (request.method === 'HEAD' || a.text.includes('<Code>NotImplemented</Code>'));
      if (a.status >= 500 && !notImplemented) {
        tally.fiveXX++;
        problems.push(`${where}: ${a.text.slice(0, 200)}`);
      }
      if (!c.authentic && a.status < 400) {
        tally.forgeries++;
        problems.push(`${where}: accepted without valid credentials`);
      }
      if (internals.test(said) || [...secrets, ...(c.secrets ?? [])].some((s) => s.length >= 8 && said.includes(s))) {
        tally.leaks++;
        problems.push(`${where}: answer shows internals or key material: ${said.slice(0, 200)}`);
      }
      const wrong = await c.check?.(a);
      if (wrong) {
        tally.wrong++;
        problems.push(`${where}: ${wrong}`);
      }
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  for (const [k, v] of Object.entries(tally)) figures[`${surface}.${k}`] = v;
  figures[`${surface}.ms`] = Date.now() - started;
  console.log(`fuzz ${surface}: ${JSON.stringify(tally)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return problems.slice(0, 20);
}

const sample = <T>(arb: fc.Arbitrary<T>, salt: number) => fc.sample(arb, { seed: SEED + salt, numRuns: CASES });
const sign = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}, aws: { signQuery?: boolean } = {}) =>
  signer.sign(`${origin}${path}`, { ...init, aws });

/** One edit of a string: replace it, or insert, delete or change one character. */
const edit = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), text: fc.string({ maxLength: 200 }) }),
  fc.record({ op: fc.constantFrom('insert' as const, 'change' as const), at: fc.nat(), char: fc.oneof(fc.constantFrom(' ', ',', '=', '/', '\t', '0', 'a', 'A', '%'), fc.string({ minLength: 1, maxLength: 1 })) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
);
function applyEdit(s: string, e: typeof edit extends fc.Arbitrary<infer T> ? T : never): string {
  if (e.op === 'replace') return e.text;
  const at = e.at % (s.length + (e.op === 'insert' ? 1 : 0) || 1);
  if (e.op === 'insert') return s.slice(0, at) + e.char + s.slice(at);
  if (e.op === 'delete') return s.slice(0, at) + s.slice(at + 1);
  return s.slice(0, at) + e.char + s.slice(at + 1);
}

/**
 * What a SigV4 Authorization header claims (credential, signed headers, signature), with the
 * latitude a verifier may give: whitespace around parts, empty parts, hex case. Two headers with
 * the same claim carry the same signature: accepting either is no forgery.
 */
function authParts(value: string): string | null {
  const m = /^AWS4-HMAC-SHA256[ \t]+(.*)$/.exec(value);
  if (!m) return null;
  const fields = new Map<string, string>();
  for (const part of m[1]!.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const headers = fields.get('SignedHeaders')?.split(';').map((h) => h.trim());
  const signature = fields.get('Signature')?.toLowerCase();
  return fields.size === 3 && headers && signature ? [fields.get('Credential'), headers.join(';'), signature].join('|') : null;
}

const headerValueSafe = (s: string) => /^[\t\x20-\x7e]*$/.test(s) && s.trim() === s;

const crcOf = (data: Uint8Array) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32c(data) >>> 0);
  return b.toString('base64');
};

/**
 * The reference the service is held to, as S3 documents unsigned aws-chunked bodies: hex size lines,
 * data, CRLFs, a final 0 chunk, then trailers: exactly the declared x-amz-checksum-crc32c (right
 * value) or none when none is declared; the decoded length as announced. The data, or why not.
 */
function decodeUnsignedChunked(body: Buffer, declared: boolean, decodedLength: number): Buffer | string {
  const out: Buffer[] = [];
  let at = 0;
  const line = () => {
    const end = body.indexOf('\r\n', at);
    if (end < 0) return null;
    const text = body.subarray(at, end).toString('latin1');
    at = end + 2;
    return text;
  };
  for (;;) {
    const size = line();
    if (size === null || !/^[0-9a-fA-F]{1,8}$/.test(size)) return `bad size line ${JSON.stringify(size)}`;
    const n = parseInt(size, 16);
    if (n === 0) break;
    if (at + n + 2 > body.length || body.subarray(at + n, at + n + 2).toString() !== '\r\n') return 'chunk data not followed by CRLF';
    out.push(body.subarray(at, at + n));
    at += n + 2;
  }
  const trailers: string[] = [];
  for (let t = line(); t !== ''; t = line()) {
    if (t === null) return 'unterminated trailers';
    trailers.push(t);
  }
  if (at !== body.length) return 'bytes after the end';
  const data = Buffer.concat(out);
  if (data.length !== decodedLength) return 'decoded length differs';
  if (!declared) return trailers.length ? 'an undeclared trailer' : data;
  if (trailers.length !== 1 || trailers[0] !== `x-amz-checksum-crc32c:${crcOf(data)}`) return `trailers ${JSON.stringify(trailers)} instead of the declared checksum`;
  return data;
}

describe('fuzzing', () => {
  it(`SigV4 Authorization, date and payload headers: ${CASES} edits, none accepted unless still the same signature`, async () => {
    const original = await sign(`/${bucket}/existing`);
    const names = ['authorization', 'x-amz-date', 'x-amz-content-sha256'] as const;
    const cases = sample(fc.record({ header: fc.constantFrom(...names), edit }), 1).map(({ header, edit: e }): Case => {
      const value = applyEdit(original.headers.get(header)!, e);
      const same = header === 'authorization' ? authParts(value) !== null && authParts(value) === authParts(original.headers.get(header)!) : value === original.headers.get(header);
      return {
        authentic: same,
        label: `${header}: ${JSON.stringify(value)}`,
        request: async () => {
          const headers = new Headers(original.headers);
          if (headerValueSafe(value)) headers.set(header, value);
          else headers.delete(header);
          return new Request(original.url, { headers });
        },
        check: (a) => (value === original.headers.get(header) && a.status !== 200 ? `the unchanged request was refused (${a.text.slice(0, 100)})` : null),
      };
    });
    expect(await run('sigv4', cases)).toEqual([]);
  }, 600_000);

  it(`presigned queries: ${CASES} edits of the X-Amz-* parameters, none accepted unless unchanged`, async () => {
    const original = new URL((await sign(`/${bucket}/existing?X-Amz-Expires=600`, {}, { signQuery: true })).url);
    const params = [...original.searchParams.keys()];
    const cases = sample(fc.record({ param: fc.constantFrom(...params, 'x-id', 'X-Amz-Security-Token', 'versionId'), edit, drop: fc.boolean() }), 2).map(({ param, edit: e, drop }): Case => {
      const url = new URL(original);
      if (drop && url.searchParams.has(param)) url.searchParams.delete(param);
      else url.searchParams.set(param, applyEdit(url.searchParams.get(param) ?? '', e));
      // The signature's hex case is no part of the claim.
      const claim = (u: URL) => [...u.searchParams].map(([k, v]) => `${k}=${k === 'X-Amz-Signature' ? v.toLowerCase() : v}`).sort().join('&');
      const same = claim(url) === claim(original);
      return { authentic: same, label: `${param}${drop ? ' dropped' : ` = ${JSON.stringify(url.searchParams.get(param))}`}`, request: async () => new Request(url) };
    });
    expect(await run('presigned', cases)).toEqual([]);
  }, 600_000);

  it(`aws-chunked framing and trailers: ${CASES} bodies; valid ones stored exactly, broken ones refused`, async () => {
    const arb = fc.record({
      data: fc.uint8Array({ maxLength: 3000 }),
      cuts: fc.array(fc.nat(3000), { maxLength: 6 }),
      trailer: fc.constantFrom('declared', 'none', 'undeclared', 'declared-missing', 'wrong-value'),
      sizeDelta: fc.option(fc.integer({ min: -3, max: 3 }), { freq: 4 }),
      lengthDelta: fc.option(fc.integer({ min: -2, max: 2 }), { freq: 4 }),
      garbage: fc.option(fc.record({ at: fc.nat(), bytes: fc.string({ minLength: 1, maxLength: 4 }) }), { freq: 4 }),
    });
    const cases = sample(arb, 3).map(({ data, cuts, trailer, sizeDelta, lengthDelta, garbage }, i): Case => {
      const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
      const parts: Buffer[] = [];
      let from = 0;
      for (const p of [...points, data.length].filter((p) => p > from)) {
        const chunk = data.subarray(from, p);
        const size = from === 0 && sizeDelta !== null ? Math.max(0, chunk.length + sizeDelta) : chunk.length;
        parts.push(Buffer.from(`${size.toString(16)}\r\n`), Buffer.from(chunk), Buffer.from('\r\n'));
        from = p;
      }
      const crc = crcOf(data);
      const sent = trailer === 'wrong-value' ? (crc === 'AAAAAA==' ? 'AAAAAQ==' : 'AAAAAA==') : crc;
      parts.push(Buffer.from(trailer === 'none' || trailer === 'declared-missing' ? '0\r\n\r\n' : `0\r\nx-amz-checksum-crc32c:${sent}\r\n\r\n`));
      let body = Buffer.concat(parts);
      if (garbage) {
        const at = garbage.at % (body.length + 1);
        body = Buffer.concat([body.subarray(0, at), Buffer.from(garbage.bytes), body.subarray(at)]);
      }
      const declared = trailer === 'declared' || trailer === 'declared-missing' || trailer === 'wrong-value';
      const decodedLength = Math.max(0, data.length + (lengthDelta ?? 0));
      const expected = decodeUnsignedChunked(body, declared, decodedLength);
      const key = `chunked-${i % LANES}-${i}`;
      return {
        authentic: true,
        request: () =>
          sign(`/${bucket}/${key}`, {
            method: 'PUT',
            body,
            headers: {
              'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
              'content-encoding': 'aws-chunked',
              'x-amz-decoded-content-length': String(decodedLength),
              ...(declared ? { 'x-amz-trailer': 'x-amz-checksum-crc32c' } : {}),
            },
          }),
        check: async (a) => {
          if (typeof expected === 'string') return a.status === 200 ? `accepted a body a decoder refuses (${expected})` : null;
          if (a.status !== 200) return `refused a well-formed aws-chunked body: ${a.text.slice(0, 200)}`;
          const stored = Buffer.from(await (await fetch(await sign(`/${bucket}/${key}`))).arrayBuffer());
          return stored.equals(expected) ? null : `stored ${stored.length} bytes that differ from the ${expected.length} sent`;
        },
      };
    });
    expect(await run('aws-chunked', cases)).toEqual([]);
  }, 600_000);

  it(`Range: ${CASES} headers, each answered as S3 does (200 whole, 206 the exact slice, or 416)`, async () => {
    const size = ranged.length;
    const pos = fc.oneof(fc.nat(size + 10), fc.nat(), fc.constant(0), fc.constant(size - 1), fc.constant(size));
    const range = fc.oneof(
      fc.tuple(pos, pos).map(([a, b]) => `bytes=${a}-${b}`),
      pos.map((a) => `bytes=${a}-`),
      pos.map((n) => `bytes=-${n}`),
      fc.tuple(pos, pos, pos).map(([a, b, c]) => `bytes=${a}-${b},${c}-`),
      fc.string({ maxLength: 40 }).filter(headerValueSafe),
      fc.string({ maxLength: 20 }).filter(headerValueSafe).map((s) => `bytes=${s}`),
    );
    const cases = sample(fc.tuple(range, fc.option(fc.oneof(fc.nat(3), fc.string({ maxLength: 5 })), { freq: 8 })), 4).map(([value, partNumber]): Case => ({
      authentic: true,
      request: () => sign(`/${bucket}/ranged${partNumber === null ? '' : `?partNumber=${encodeURIComponent(String(partNumber))}`}`, { headers: { range: value } }),
      check: (a) => {
        const body = Buffer.from(a.body);
        if (![200, 206, 400, 416].includes(a.status)) return `unexpected status`;
        if (a.status === 200 && partNumber === null && !body.equals(ranged)) return `200 with ${body.length} bytes, not the whole object`;
        if (a.status === 206) {
          const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(a.headers.get('content-range') ?? '');
          if (!m) return `206 without a valid Content-Range (${a.headers.get('content-range')})`;
          const [s, e, total] = m.slice(1).map(Number) as [number, number, number];
          if (total !== size || !body.equals(ranged.subarray(s, e + 1))) return `206 ${s}-${e}/${total} with the wrong bytes`;
        }
        // The forms whose answer S3 defines exactly.
        let m: RegExpExecArray | null;
        if (partNumber !== null) return null;
        if ((m = /^bytes=(\d+)-(\d+)$/.exec(value)) && Number(m[1]) <= Number(m[2])) {
          const [s, e] = [Number(m[1]), Math.min(Number(m[2]), size - 1)];
          if (s >= size) return a.status === 416 ? null : 'an unsatisfiable range not refused with 416';
          return a.status === 206 && a.headers.get('content-range') === `bytes ${s}-${e}/${size}` ? null : `expected bytes ${s}-${e}/${size}`;
        }
        if ((m = /^bytes=(\d+)-$/.exec(value))) return Number(m[1]) < size ? (a.status === 206 ? null : 'expected 206') : a.status === 416 ? null : 'expected 416';
        if ((m = /^bytes=-(\d+)$/.exec(value)) && Number(m[1]) > 0) {
          const s = Math.max(0, size - Number(m[1]));
          return a.status === 206 && a.headers.get('content-range') === `bytes ${s}-${size - 1}/${size}` ? null : `expected the last ${size - s} bytes`;
        }
        return null;
      },
    }));
    expect(await run('range', cases)).toEqual([]);
  }, 600_000);

  it(`XML bodies: ${CASES} documents to every operation that parses one`, async () => {
    const upload = await (await signer.fetch(`${origin}/${bucket}-xml/target?uploads`, { method: 'POST' })).text();
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(upload)![1]!;
    const targets = [
      { method: 'POST', path: `/${bucket}-xml?delete` },
      { method: 'POST', path: `/${bucket}-xml/target?uploadId=${uploadId}` },
      { method: 'PUT', path: `/${bucket}-xml?encryption` },
      { method: 'PUT', path: `/${bucket}-xml-new` },
      { method: 'PUT', path: `/${bucket}-xml/target?acl` },
      { method: 'PUT', path: `/${bucket}-xml?acl` },
      { method: 'POST', path: `/_admin/rewrap` },
    ];
    const names = ['Delete', 'Object', 'Key', 'Quiet', 'VersionId', 'CompleteMultipartUpload', 'Part', 'PartNumber', 'ETag', 'ChecksumCRC32', 'ServerSideEncryptionConfiguration', 'Rule', 'ApplyServerSideEncryptionByDefault', 'SSEAlgorithm', 'KMSMasterKeyID', 'BucketKeyEnabled', 'CreateBucketConfiguration', 'LocationConstraint', 'AccessControlPolicy'];
    const text = fc.oneof(fc.constantFrom('1', '0', 'true', 'AES256', 'aws:kms', '"etag"', 'us-east-1', '&amp;', '&lt;', '&#x10FFFF;', '&#0;', '&xxe;', '<![CDATA[x]]>', ''), fc.string({ maxLength: 30, unit: 'binary' }));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, text, fc.record({ name: fc.oneof(fc.constantFrom(...names), fc.string({ minLength: 1, maxLength: 8 })), children: fc.array(tie('tree'), { maxLength: 4 }) })),
    }));
    type Tree = string | { name: string; children: Tree[] };
    const render = (t: Tree): string => (typeof t === 'string' ? t : `<${t.name}>${t.children.map(render).join('')}</${t.name}>`);
    const doc = fc.oneof(
      tree.map((t) => render(t as Tree)),
      tree.map((t) => `<?xml version="1.0" encoding="UTF-8"?>${render(t as Tree)}`),
      tree.map((t) => `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY a "aaaaaaaaaa">]>${render(t as Tree)}`),
      fc.string({ maxLength: 300, unit: 'binary' }),
    );
    const cases = sample(fc.tuple(fc.constantFrom(...targets), doc), 5).map(([t, body]): Case => ({
      authentic: true,
      request: () => sign(t.path, { method: t.method, body }),
      check: (a) => (/root:x:0:0/.test(a.text) ? 'an external entity was resolved' : null),
    }));
    expect(await run('xml', cases)).toEqual([]);
  }, 600_000);

  it(`bucket and key names: ${CASES} names; a stored key reads back under the same name`, async () => {
    const special = fc.constantFrom('/', '//', '.', '..', '%', '+', ' ', '?', '#', '&', '\u0000', '\u007f', '\uFFFF', '\u{10FFFF}', 'é', '😀', '\\');
    const unit = fc.oneof(special, fc.constantFrom('a', 'b', '0', '-', '_'), fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }));
    const keyArb = fc.oneof(fc.string({ minLength: 1, maxLength: 40, unit }), fc.string({ minLength: 1000, maxLength: 1100, unit: fc.constantFrom('a', '/', 'é') }));
    const bucketArb = fc.oneof(fc.constant(bucket), fc.string({ minLength: 0, maxLength: 70, unit: fc.constantFrom('a', 'z', '0', '.', '-', '_', 'A', '\u00e9', ' ') }));
    const arb = fc.record({ bucketName: bucketArb, key: keyArb, op: fc.constantFrom('put', 'get', 'head', 'list', 'delete', 'create') });
    const enc = (key: string) => key.split('/').map(encodeURIComponent).join('/');
    const cases = sample(arb, 6).map(({ bucketName, key, op }, i): Case => {
      const path = `/${encodeURIComponent(bucketName)}/${enc(key)}`;
      const body = `body ${i}`;
      return {
        authentic: true,
        request: () =>
          op === 'put' ? sign(path, { method: 'PUT', body })
          : op === 'list' ? sign(`/${encodeURIComponent(bucketName)}?list-type=2&prefix=${encodeURIComponent(key)}&delimiter=${encodeURIComponent([...key].at(-1)!)}`)
          : op === 'create' ? sign(`/${encodeURIComponent(bucketName)}`, { method: 'PUT' })
          : sign(path, { method: op === 'head' ? 'HEAD' : op === 'delete' ? 'DELETE' : 'GET' }),
        check: async (a) => {
          if (op !== 'put' || a.status !== 200) return null;
          const back = await fetch(await sign(path));
          const text = await back.text();
          return back.status === 200 && text === body ? null : `PUT 200 but GET answered ${back.status} ${text.slice(0, 80)}`;
        },
      };
    });
    expect(await run('names', cases)).toEqual([]);
  }, 600_000);

  it(`SSE headers: ${CASES} combinations on PUT, GET, HEAD and copy; an SSE-C object opens only with its key`, async () => {
    const b64 = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('base64'));
    const value = (real: string, ...others: string[]) => fc.option(fc.oneof(fc.constant(real), fc.constantFrom(...others), fc.string({ maxLength: 60 }).filter(headerValueSafe)), { freq: 2 });
    const realMd5 = ssecHeaders['x-amz-server-side-encryption-customer-key-md5'];
    const arb = fc.record({
      target: fc.constantFrom('put', 'get', 'head', 'copy'),
      sse: value('AES256', 'aws:kms', 'aws:kms:dsse', 'aes256'),
      kmsKey: value('test-key', 'arn:aws:kms:us-east-1:000000000000:key/nope'),
      context: value(Buffer.from('{"a":"b"}').toString('base64'), 'e30=', 'not base64'),
      bucketKey: value('true', 'false', 'TRUE'),
      algorithm: value('AES256', 'aws:kms'),
      key: fc.option(fc.oneof(fc.constant(ssecHeaders['x-amz-server-side-encryption-customer-key']), b64(32), b64(16), fc.string({ maxLength: 50 }).filter(headerValueSafe)), { freq: 2 }),
      md5: value(realMd5, '1B2M2Y8AsgTpgAmY7PhCfg=='),
      copyKey: fc.option(fc.oneof(fc.constant(ssecHeaders['x-amz-server-side-encryption-customer-key']), b64(32)), { freq: 2 }),
    });
    const cases = sample(arb, 7).map((c, i): Case => {
      const headers: Record<string, string> = {};
      const set = (name: string, v: string | null) => v !== null && (headers[name] = v);
      const p = 'x-amz-server-side-encryption';
      set(p, c.sse);
      set(`${p}-aws-kms-key-id`, c.kmsKey);
      set(`${p}-context`, c.context);
      set(`${p}-bucket-key-enabled`, c.bucketKey);
      set(`${p}-customer-algorithm`, c.algorithm);
      set(`${p}-customer-key`, c.key);
      set(`${p}-customer-key-md5`, c.md5);
      const path = c.target === 'put' || c.target === 'copy' ? `/${bucket}/sse-${i % LANES}` : `/${bucket}/ssec`;
      if (c.target === 'copy') {
        headers['x-amz-copy-source'] = `/${bucket}/ssec`;
        set('x-amz-copy-source-server-side-encryption-customer-algorithm', c.copyKey && 'AES256');
        set('x-amz-copy-source-server-side-encryption-customer-key', c.copyKey);
      }
      const exactKey = c.key === ssecHeaders[`${p}-customer-key`] && c.algorithm === 'AES256' && (c.md5 === null || c.md5 === realMd5);
      return {
        authentic: true,
        label: JSON.stringify({ ...headers, [`${p}-customer-key`]: c.key && (c.key === ssecHeaders[`${p}-customer-key`] ? 'the key' : 'another'), 'x-amz-copy-source-server-side-encryption-customer-key': c.copyKey && (c.copyKey === ssecHeaders[`${p}-customer-key`] ? 'the key' : 'another') }),
        secrets: [c.key, c.copyKey].filter((k): k is string => k !== null),
        request: () => sign(path, { method: c.target === 'get' ? 'GET' : c.target === 'head' ? 'HEAD' : 'PUT', headers, body: c.target === 'put' ? `sse ${i}` : undefined }),
        check: (a) => {
          if ((c.target === 'get' || c.target === 'head') && a.status === 200 && !exactKey) return 'the SSE-C object was served without exactly its key';
          if (c.target === 'get' && a.status === 200 && a.text !== 'customer keyed') return 'the SSE-C object read back wrong';
          if (c.target === 'copy' && a.status === 200 && c.copyKey !== ssecHeaders[`${p}-customer-key`]) return 'the SSE-C source was copied without its key';
          return null;
        },
      };
    });
    expect(await run('sse', cases)).toEqual([]);
  }, 600_000);
});
