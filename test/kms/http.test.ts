// The call policy of every external KMS request: which faults are retried, how often, how long.
import { describe, expect, it } from 'vitest';
import { type CallPolicy, type Fetcher, callKms } from '../../src/kms/http';
import { KmsError } from '../../src/kms/kms';

const policy: CallPolicy = { timeoutMs: 100, attempts: 3, backoffMs: 1 };
const build = async () => new Request('https://kms.invalid/v1/key/generate/k', { method: 'POST', body: '{}' });

/** A fetcher that plays `script` (a status, or 'throw', or 'hang'), and counts its calls. */
function scripted(...script: Array<number | 'throw' | 'hang'>): Fetcher & { calls: number } {
  const fetcher = Object.assign(
    async (request: Request) => {
      await request.text(); // every attempt carries its own body
      const step = script[Math.min(fetcher.calls++, script.length - 1)];
      if (step === 'throw') throw new TypeError('fetch failed: connection refused');
      if (step === 'hang') return new Promise<Response>(() => {}); // ignores the abort signal, too
      return new Response(`{"status":${step}}`, { status: step });
    },
    { calls: 0 },
  );
  return fetcher;
}

async function unavailable(fetcher: Fetcher): Promise<KmsError> {
  const e = await callKms(fetcher, build, policy, 'test').catch((error: unknown) => error);
  expect(e).toBeInstanceOf(KmsError);
  expect((e as KmsError).kind).toBe('unavailable');
  return e as KmsError;
}

describe('callKms', () => {
  it('returns the first answer that is not transient, 4xx included, without retrying it', async () => {
    for (const status of [200, 400, 403, 404]) {
      const fetcher = scripted(status);
      expect((await callKms(fetcher, build, policy, 'test')).status).toBe(status);
      expect(fetcher.calls).toBe(1);
    }
  });

  it('retries 5xx, 429 and network errors, then succeeds', async () => {
    const fetcher = scripted(503, 'throw', 200);
    expect(await callKms(fetcher, build, policy, 'test')).toEqual({ status: 200, body: '{"status":200}' });
    expect(fetcher.calls).toBe(3);
    const throttled = scripted(429, 200);
    expect((await callKms(throttled, build, policy, 'test')).status).toBe(200);
  });

  it('stops after the configured attempts and says why', async () => {
    const fetcher = scripted(500);
    expect((await unavailable(fetcher)).message).toMatch(/after 3 attempts \(last: HTTP 500\)/);
    expect(fetcher.calls).toBe(3);
  });

  it('times each attempt out, even when the fetcher ignores the abort signal', async () => {
    const fetcher = scripted('hang');
    const started = Date.now();
    expect((await unavailable(fetcher)).message).toMatch(/no answer within 100 ms/);
    expect(fetcher.calls).toBe(3);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
