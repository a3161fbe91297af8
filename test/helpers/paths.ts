import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WORKER_BUNDLE = `${ROOT}.build/worker.js`;
