// Bundles the worker once per test run, as wrangler would, for the Miniflare instances the tests start.
import { build } from 'esbuild';
import { WORKER_BUNDLE } from '../helpers/paths';

export default async function setup(): Promise<void> {
  await build({
    entryPoints: ['src/index.ts'],
    outfile: WORKER_BUNDLE,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['node:*', 'cloudflare:*'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}
