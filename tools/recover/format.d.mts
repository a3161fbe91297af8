export const P: number;
export class FormatError extends Error {}
export function ciphertextSize(n: number): number;
export function plaintextSize(c: number): number | null;
export function decryptStream(chunks: AsyncIterable<Uint8Array>, key: Uint8Array, aad: Uint8Array): AsyncGenerator<Buffer>;
