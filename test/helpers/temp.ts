// Temporary directories the tests remove themselves: a run must not leave hundreds of MB in /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  remove(): void;
}

export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `edge-sse-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Builds a Miniflare inside a temporary directory of ours. Miniflare keeps local R2 and D1 under a
 * fresh folder of os.tmpdir() and deletes it on dispose only fire-and-forget, so the folder (GBs
 * after the big-object tests) outlives a test process that exits first; remove() after dispose.
 */
export function inTempDir<T>(prefix: string, make: () => T): { value: T; dir: TempDir } {
  const dir = tempDir(prefix);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir.path; // os.tmpdir() reads it on each call; Miniflare's constructor calls it once
  try {
    return { value: make(), dir };
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}
