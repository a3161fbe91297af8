import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PRE_FILE_BYTES, formBoundary, readPostForm } from './form-data';

const BOUNDARY = '----edge-sse-boundary';
const encoder = new TextEncoder();

function body(fields: [string, string][], file: Uint8Array | null, after = ''): Uint8Array {
  let text = '';
  for (const [name, value] of fields) text += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = encoder.encode(text + (file ? `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a b.txt"\r\nContent-Type: text/plain\r\n\r\n` : ''));
  const tail = encoder.encode(file ? `\r\n--${BOUNDARY}${after}--\r\n` : `--${BOUNDARY}--\r\n`);
  const out = new Uint8Array(head.length + (file?.length ?? 0) + tail.length);
  out.set(head);
  if (file) out.set(file, head.length);
  out.set(tail, head.length + (file?.length ?? 0));
  return out;
}

/** The bytes as a stream cut at the given offsets, as a network delivers them. */
function chunked(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces = [0, ...points, bytes.length].flatMap((p, i, all) => (i === 0 ? [] : [bytes.slice(all[i - 1], p)])).filter((p) => p.length);
  return new ReadableStream({
    start(controller) {
      for (const p of pieces) controller.enqueue(p);
      controller.close();
    },
  });
}

const readAll = (s: ReadableStream<Uint8Array>) => new Response(s).arrayBuffer().then((b) => new Uint8Array(b));

describe('readPostForm', () => {
  it('finds the fields and the exact file bytes however the body is cut', async () => {
    // File bytes drawn from the boundary's own characters, so near-delimiters are common.
    const fileBytes = fc.array(fc.constantFrom(13, 10, 45, 0x2d, 101, 100, 0), { maxLength: 300 }).map((a) => Uint8Array.from(a));
    await fc.assert(
      fc.asyncProperty(fileBytes, fc.array(fc.nat(400), { maxLength: 8 }), fc.string({ maxLength: 20 }), async (file, cuts, value) => {
        const form = await readPostForm(chunked(body([['key', 'k'], ['x-amz-meta-v', value]], file), cuts), BOUNDARY);
        expect(form.fields).toEqual([{ name: 'key', value: 'k' }, { name: 'x-amz-meta-v', value }]);
        expect(form.file!.filename).toBe('a b.txt');
        expect(await readAll(form.file!.stream)).toEqual(file);
      }),
    );
  });

  it('ignores fields after the file, reports a form without one', async () => {
    const form = await readPostForm(chunked(body([['key', 'k']], encoder.encode('data'), '\r\nContent-Disposition: form-data; name="late"\r\n\r\nx\r\n--' + BOUNDARY), []), BOUNDARY);
    expect(new TextDecoder().decode(await readAll(form.file!.stream))).toBe('data');
    expect(await readPostForm(chunked(body([['key', 'k']], null), []), BOUNDARY)).toEqual({ fields: [{ name: 'key', value: 'k' }], file: null });
  });

  it('errors the file stream when the body ends before the boundary', async () => {
    const whole = body([], encoder.encode('the file'));
    const form = await readPostForm(chunked(whole.subarray(0, whole.length - 10), []), BOUNDARY);
    await expect(readAll(form.file!.stream)).rejects.toMatchObject({ code: 'MalformedPOSTRequest' });
  });

  it('refuses oversized fields before the file and bodies that are not forms', async () => {
    await expect(readPostForm(chunked(body([['policy', 'x'.repeat(MAX_PRE_FILE_BYTES + 1)]], encoder.encode('f')), []), BOUNDARY)).rejects.toMatchObject({ code: 'MaxPostPreDataLengthExceededError' });
    await expect(readPostForm(chunked(encoder.encode('key=value'), []), BOUNDARY)).rejects.toMatchObject({ code: 'MalformedPOSTRequest' });
  });
});

describe('formBoundary', () => {
  it('reads quoted and bare boundaries of multipart/form-data only', () => {
    expect(formBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(formBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b"')).toBe('a b');
    expect(formBoundary('application/x-www-form-urlencoded')).toBeNull();
    expect(formBoundary('multipart/form-data')).toBeNull();
    expect(formBoundary(null)).toBeNull();
  });
});
