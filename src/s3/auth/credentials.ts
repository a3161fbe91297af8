// The access keys of CREDENTIALS. A key with an empty secret would sign with a secret anyone can
// guess: such a configuration is refused as a whole, every request answering 500 until it is fixed.
import { S3Error } from '../../error';

let parsed: { config: string; keys: Map<string, string> | S3Error } | null = null;

/** "AKID:SECRET" pairs separated by commas, whitespace or newlines; throws when one is unusable. */
export function parseCredentials(config: string | undefined): Map<string, string> {
  if (parsed?.config !== (config ?? '')) parsed = { config: config ?? '', keys: parse(config ?? '') };
  if (parsed.keys instanceof S3Error) throw parsed.keys;
  return parsed.keys;
}

function parse(config: string): Map<string, string> | S3Error {
  const pairs = new Map<string, string>();
  for (const entry of config.split(/[\s,]+/).filter(Boolean)) {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) {
      // Logged once per configuration, naming the access key (never a secret).
      console.error(`CREDENTIALS: the entry for access key "${colon > 0 ? entry.slice(0, colon) : '(none)'}" has no secret (expected AKID:SECRET); every request is refused`);
      return new S3Error('InternalError', 'The service is misconfigured: CREDENTIALS holds an access key without a secret.');
    }
    pairs.set(entry.slice(0, colon), entry.slice(colon + 1));
  }
  return pairs;
}
