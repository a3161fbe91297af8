// The signed-in key: in sessionStorage only (gone when the tab closes), never in localStorage or a cookie.
import type { Credentials } from './s3';

const SLOT = 'edge-sse.credentials';

export function loadCredentials(): Credentials | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SLOT) ?? 'null') as Credentials | null;
    return saved?.accessKeyId && saved.secretAccessKey ? saved : null;
  } catch {
    return null;
  }
}

export const saveCredentials = (credentials: Credentials): void => sessionStorage.setItem(SLOT, JSON.stringify(credentials));

export const clearCredentials = (): void => sessionStorage.removeItem(SLOT);
