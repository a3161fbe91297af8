import type { Server } from 'node:http';

export function startFront(
  target: string,
  options?: { host?: string; port?: number },
): Promise<{ server: Server; origin: string; close(): Promise<void> }>;
