// The encryption context sent to external KMSes: its names, its order, its exact bytes.
import { describe, expect, it } from 'vitest';
import { canonicalContext, encryptionContext } from '../../src/kms/context';
import { KmsError } from '../../src/kms/kms';

const binding = { mode: 'SSE-KMS' as const, bucket: 'photos', key: 'a/b.jpg' };
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('encryption context', () => {
  it('names the object and mode, canonical JSON sorted by name', () => {
    expect(text(canonicalContext(encryptionContext(binding)))).toBe('{"edge-sse:bucket":"photos","edge-sse:key":"a/b.jpg","edge-sse:mode":"SSE-KMS"}');
  });

  it("merges the client's pairs in name order, integer-like names included", () => {
    const context = encryptionContext(binding, { z: '1', '10': 'ten', '9': 'nine', é: 'accent' });
    expect(context.map(([name]) => name)).toEqual(['10', '9', 'edge-sse:bucket', 'edge-sse:key', 'edge-sse:mode', 'z', 'é']);
    expect(text(canonicalContext(context))).toMatch(/^\{"10":"ten","9":"nine","edge-sse:bucket"/);
  });

  it('escapes as JSON does, so a value cannot forge another pair', () => {
    const context = encryptionContext({ ...binding, key: 'x","edge-sse:mode":"SSE-C' });
    expect(JSON.parse(text(canonicalContext(context)))).toEqual({ 'edge-sse:bucket': 'photos', 'edge-sse:key': 'x","edge-sse:mode":"SSE-C', 'edge-sse:mode': 'SSE-KMS' });
  });

  it('keeps the edge-sse: names for the service', () => {
    expect(() => encryptionContext(binding, { 'edge-sse:key': 'other' })).toThrow(KmsError);
  });
});
