export interface Binding {
  mode: 'SSE-S3' | 'SSE-KMS' | 'SSE-C';
  bucket: string;
  key: string;
  kmsKeyId?: string;
}
export class KeyError extends Error {}
export function bindingBytes(b: Binding): Buffer;
export function deriveKek(master: Uint8Array, label: string, context: Uint8Array): Buffer;
export function unsealKey(kek: Uint8Array, sealed: Uint8Array, binding: Binding): Buffer;
export function sealKey(kek: Uint8Array, dataKey: Uint8Array, binding: Binding, nonce: Uint8Array): Buffer;
export function ssecKeyFingerprint(clientKey: Uint8Array, salt: Uint8Array): Buffer;
export function partKey(dataKey: Uint8Array, partNumber: number, binding: Binding, salt: Uint8Array | null): Buffer;
export function partsMac(dataKey: Uint8Array, binding: Binding, parts: { partNumber: number; size: number; salt: Uint8Array | null }[]): Buffer;
export function encryptionContext(binding: Binding, clientContext?: Record<string, string>): [string, string][];
export function canonicalContext(pairs: [string, string][]): Buffer;
