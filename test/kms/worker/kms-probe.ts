// A worker that runs one KMS round trip in workerd with the backend named by ?backend=, so tests see
// the backends on Web APIs only and reaching the KMS the way a deployed worker does.
import type { KeyBinding } from '../../../src/crypto/keys';
import { type KmsEnv, kmsFromEnv } from '../../../src/kms/config';
import { KmsError } from '../../../src/kms/kms';

const object: KeyBinding = { mode: 'SSE-KMS', bucket: 'b', key: 'k' };

export default {
  async fetch(request: Request, env: KmsEnv): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const backend = query.get('backend') ?? 'builtin';
    // Only KES goes through the mtls_certificates binding (unless ?mtls=none stands in a plain fetch for it).
    const mtls = query.get('mtls') === 'none' ? { fetch: (r: Request) => fetch(r) } : env.KMS_MTLS;
    const kms = kmsFromEnv({ ...env, KMS_BACKEND: backend, KMS_MTLS: backend === 'kes' ? mtls : undefined });
    try {
      const dataKey = await kms.generateDataKey(kms.defaultKeyId, object);
      const plaintext = await kms.decryptDataKey(dataKey.keyId, dataKey.sealed, object);
      return Response.json({ keyId: dataKey.keyId, roundTrip: plaintext.every((byte, i) => byte === dataKey.plaintext[i]) });
    } catch (e) {
      if (e instanceof KmsError) return Response.json({ kind: e.kind, message: e.message }, { status: 502 });
      throw e;
    }
  },
};
