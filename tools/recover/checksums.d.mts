export function createHasher(algorithm: string): { update(bytes: Uint8Array): void; digest(): Buffer };
