// One KMS call over HTTP: a timeout on every attempt (body included) and bounded retries for
// transient faults only: network errors, timeouts, 5xx and 429. Any other answer goes back to the
// backend, which knows its protocol's errors; a 4xx is never retried.
import { KmsError } from './kms';

/** How a backend reaches its KMS: global fetch, an mtls_certificates binding's fetch, or a test's router. */
export type Fetcher = (request: Request) => Promise<Response>;

export interface CallPolicy {
  /** Per attempt, until the whole answer has arrived. */
  timeoutMs: number;
  /** Attempts in all, the first included. */
  attempts: number;
  /** Pause before the second attempt; it doubles before each later one. */
  backoffMs: number;
}

export const DEFAULT_CALL_POLICY: CallPolicy = { timeoutMs: 3000, attempts: 3, backoffMs: 100 };

export interface KmsAnswer {
  status: number;
  body: string;
}

/** `build` makes a fresh request for each attempt (a body is read once; a signature carries a time). */
export async function callKms(fetcher: Fetcher, build: () => Promise<Request>, policy: CallPolicy, what: string): Promise<KmsAnswer> {
  let fault = '';
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    if (attempt > 1) await sleep(policy.backoffMs * 2 ** (attempt - 2));
    const request = await build();
    try {
      const answer = await exchange(fetcher, request, policy.timeoutMs);
      if (!isTransient(answer.status)) return answer;
      fault = `HTTP ${answer.status}`;
    } catch (e) {
      fault = e instanceof Error ? e.message : String(e);
    }
  }
  throw new KmsError('unavailable', `${what}: KMS unavailable after ${policy.attempts} attempts (last: ${fault})`);
}

function isTransient(status: number): boolean {
  return status >= 500 || status === 429;
}

async function exchange(fetcher: Fetcher, request: Request, timeoutMs: number): Promise<KmsAnswer> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Raced as well as signalled: a fetcher that ignores the signal must not hold the request.
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${timeoutMs} ms`));
      controller.abort();
    }, timeoutMs);
  });
  const answer = (async () => {
    const response = await fetcher(new Request(request, { signal: controller.signal }));
    return { status: response.status, body: await response.text() };
  })();
  try {
    return await Promise.race([answer, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
