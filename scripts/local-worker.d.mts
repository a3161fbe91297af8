import type { BuildOptions } from 'esbuild';

export const WORKER_BUILD_OPTIONS: BuildOptions;
export function migrationStatements(): string[];
