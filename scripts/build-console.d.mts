export const GENERATED: string;
export function consoleModule(): Promise<string>;
export function writeConsoleModule(): Promise<boolean>;
