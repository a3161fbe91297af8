// Standard base64 for the JSON bodies of the KMS protocols (Web APIs only: runs in workerd).

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Throws TypeError when `text` is not base64: the caller decides what a bad field means. */
export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
