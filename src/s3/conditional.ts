// If-* preconditions of GetObject/HeadObject, evaluated in RFC 9110 §13.2.2 order. That order is what gives
// the two combinations the S3 docs spell out: If-Match true + If-Unmodified-Since false → 200 (If-Match
// present means If-Unmodified-Since is not evaluated), and If-None-Match false + If-Modified-Since true → 304.

export interface Validators {
  /** Quoted, as sent in the ETag header. */
  etag: string;
  lastModified: Date;
}

export type PreconditionResult = 'ok' | 'not-modified' | 'precondition-failed';

export function checkPreconditions(headers: Headers, v: Validators): PreconditionResult {
  const ifMatch = present(headers, 'if-match');
  const ifNoneMatch = present(headers, 'if-none-match');
  const ifUnmodifiedSince = httpDate(headers, 'if-unmodified-since');
  const ifModifiedSince = httpDate(headers, 'if-modified-since');
  const modified = wholeSeconds(v.lastModified);

  if (ifMatch !== null) {
    if (!matchesAny(ifMatch, v.etag)) return 'precondition-failed';
  } else if (ifUnmodifiedSince !== null && modified > ifUnmodifiedSince) {
    return 'precondition-failed';
  }

  if (ifNoneMatch !== null) {
    if (matchesAny(ifNoneMatch, v.etag)) return 'not-modified';
  } else if (ifModifiedSince !== null && modified <= ifModifiedSince) {
    return 'not-modified';
  }
  return 'ok';
}

function present(headers: Headers, name: string): string | null {
  const value = headers.get(name)?.trim();
  return value ? value : null;
}

/** Seconds since the epoch; an unparsable date is ignored, as RFC 9110 requires. */
function httpDate(headers: Headers, name: string): number | null {
  const value = present(headers, name);
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

// HTTP dates carry whole seconds, so the stored time is compared at that precision.
const wholeSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** `*` or a comma-separated list of entity tags, compared weakly; quotes are optional (clients often drop them). */
function matchesAny(list: string, etag: string): boolean {
  const ours = opaqueTag(etag);
  return list.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || opaqueTag(tag) === ours;
  });
}

const opaqueTag = (tag: string) => tag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
