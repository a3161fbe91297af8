// Bundles the worker once per test run, as wrangler would, for the Miniflare instances the tests start.
import { build } from 'esbuild';
import { WORKER_BUILD_OPTIONS } from '../../scripts/local-worker.mjs';
import { WORKER_BUNDLE } from '../helpers/paths';

export default async function setup(): Promise<void> {
  await build({ ...WORKER_BUILD_OPTIONS, entryPoints: ['src/index.ts'], outfile: WORKER_BUNDLE, sourcemap: 'inline' });
}
