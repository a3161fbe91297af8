import type { Server } from 'node:net';

export function startFront(
  target: string,
  options?: { host?: string; port?: number },
): Promise<{ server: Server; origin: string; close(): Promise<void> }>;
