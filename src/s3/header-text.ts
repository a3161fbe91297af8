// Non-ASCII header values. S3 clients send metadata and Content-Disposition filenames as UTF-8 bytes
// and sign those bytes. workerd usually hands them over decoded as UTF-8 but, seen locally, some
// values arrive as byte strings (one code unit per byte, as the Fetch standard has it); answers are
// encoded as UTF-8 either way, so values are read as UTF-8 text whichever way they came.

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text a header value carries: a byte string's bytes decoded as UTF-8. A value that is not a
 * byte string (decoded already) or whose bytes are not UTF-8 is kept as received.
 */
export function headerText(value: string): string {
  if (!/[\x80-\xff]/.test(value) || /[^\x00-\xff]/.test(value)) return value;
  try {
    return utf8.decode(Uint8Array.from(value, (c) => c.charCodeAt(0)));
  } catch {
    return value;
  }
}
