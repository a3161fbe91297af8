// The HTTP Range header of GetObject/HeadObject, read the way S3 reads it:
// - a single range only: `bytes=a-b`, `bytes=a-`, `bytes=-n`; an end past the object clamps to its last byte;
// - what S3 cannot use is ignored and the whole object is served (200): other units, several ranges
//   (AWS answers `bytes=0-1,3-4` with 200 and the full body), a-b with a > b, any other syntax;
// - a range that selects no byte is unsatisfiable (416 InvalidRange): a start at or past the end, `bytes=-0`,
//   and so any `bytes=a-…` on an empty object (AWS rejects `bytes=0-` on a 0-byte object);
// - a suffix range on an empty object is ignored (200, empty body): RFC 9110 counts it satisfiable, yet a
//   206 would have no byte to carry.
import { S3Error } from '../error';

/** Inclusive byte offsets. */
export interface ByteRange {
  start: number;
  end: number;
}

const SINGLE_BYTE_RANGE = /^bytes\s*=\s*(\d*)\s*-\s*(\d*)$/i;

/** The bytes to serve, or null for the whole object; throws InvalidRange when nothing can be served. */
export function parseRange(header: string | null | undefined, size: number): ByteRange | null {
  if (header == null) return null;
  const match = SINGLE_BYTE_RANGE.exec(header.trim());
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '') {
    if (last === '') return null;
    const suffixLength = Number(last);
    if (suffixLength === 0) throw unsatisfiable(header, size);
    if (size === 0) return null;
    return { start: Math.max(0, size - suffixLength), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Infinity : Number(last);
  if (end < start) return null;
  if (start >= size) throw unsatisfiable(header, size);
  return { start, end: Math.min(end, size - 1) };
}

function unsatisfiable(header: string, size: number): S3Error {
  return new S3Error(
    'InvalidRange',
    'The requested range is not satisfiable',
    { ActualObjectSize: String(size), RangeRequested: header },
    { 'Content-Range': `bytes */${size}` },
  );
}
