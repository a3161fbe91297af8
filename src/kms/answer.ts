// Reading the JSON answers of a KMS: a field missing or of the wrong type is a protocol mismatch.
import { fromBase64 } from './base64';
import type { KmsAnswer } from './http';
import { KmsError } from './kms';

export type JsonObject = Record<string, unknown>;

/** The answer's JSON object, or null when the body is not one (error bodies may be anything). */
export function jsonOf(answer: KmsAnswer): JsonObject | null {
  try {
    const value: unknown = JSON.parse(answer.body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
  } catch {
    return null;
  }
}

export function objectField(json: JsonObject | null, name: string, what: string): JsonObject {
  const value = json?.[name];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw mismatch(name, what);
  return value as JsonObject;
}

export function stringField(json: JsonObject | null, name: string, what: string): string {
  const value = json?.[name];
  if (typeof value !== 'string') throw mismatch(name, what);
  return value;
}

export function bytesField(json: JsonObject | null, name: string, what: string): Uint8Array {
  try {
    return fromBase64(stringField(json, name, what));
  } catch {
    throw mismatch(name, what);
  }
}

function mismatch(name: string, what: string): KmsError {
  return new KmsError('rejected', `${what}: the KMS answer has no valid "${name}"`);
}
