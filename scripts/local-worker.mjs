// How the worker is built and its schema applied outside wrangler (tests and benchmarks run it in
// Miniflare): the esbuild options wrangler would use, and the statements of every migration.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** esbuild options for a Workers module bundle (add entryPoints and outfile/outdir). */
export const WORKER_BUILD_OPTIONS = {
  absWorkingDir: ROOT,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  external: ['node:*', 'cloudflare:*'],
  logLevel: 'warning',
};

/** The statements of every migration, in order, as `wrangler d1 migrations apply` runs them. */
export function migrationStatements() {
  const dir = `${ROOT}migrations/`;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .flatMap((f) =>
      readFileSync(dir + f, 'utf8')
        .replace(/--.*$/gm, '')
        .split(/;\s*$/m)
        .map((s) => s.trim())
        .filter(Boolean),
    );
}
