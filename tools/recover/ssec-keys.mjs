// SSE-C keys for recovery, from a JSON file: {"bucket/key": "<base64 of 32 bytes>", "bucket/prefix*": …}.
// An exact name wins over prefixes; of several prefixes the longest. The keys stay in memory only.
import { readFileSync } from 'node:fs';

export function ssecKeyLookup(file) {
  if (!file) return () => null;
  const entries = Object.entries(JSON.parse(readFileSync(file, 'utf8'))).map(([name, value]) => {
    const key = Buffer.from(String(value), 'base64');
    if (key.length !== 32) throw new Error(`${file}: the key for ${name} is not base64 of 32 bytes`);
    return { prefix: name.endsWith('*'), name: name.replace(/\*$/, ''), key };
  });
  return (bucket, key) => {
    const path = `${bucket}/${key}`;
    const exact = entries.find((e) => !e.prefix && e.name === path);
    if (exact) return exact.key;
    const prefixes = entries.filter((e) => e.prefix && path.startsWith(e.name)).sort((a, b) => b.name.length - a.name.length);
    return prefixes[0]?.key ?? null;
  };
}
