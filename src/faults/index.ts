// Fault injection for the fault suite (test/faults, docs/RELIABILITY.md). Inert unless the worker
// has the binding FAULT_INJECTION = "on", which only the suite sets (never wrangler.toml). Then the
// worker's D1 and R2 bindings obey the plan set through an unauthenticated control path:
//   PUT /_faults {"rules": [...]}   set a plan (and clear the call log)
//   GET /_faults                    the calls made since, and how many faults were injected or held
//   POST /_faults/release           let held calls go on
// "_" is not allowed in bucket names, so the path cannot shadow a bucket.
import type { Bindings } from '../env';
import { faultyD1, faultyR2 } from './bindings';
import { FaultState, parsePlan } from './plan';

/** One plan per isolate: the suite runs one worker isolate and sets plans between requests. */
const state = new FaultState();

const enabled = (env: Bindings) => env.FAULT_INJECTION === 'on';

/** The bindings the worker runs on: the real ones, or fault-injecting ones under FAULT_INJECTION. */
export function faultyEnv(env: Bindings): Bindings {
  return enabled(env) ? { ...env, DB: faultyD1(state, env.DB), BLOBS: faultyR2(state, env.BLOBS) } : env;
}

type FetchHandler = (request: Request, env: Bindings, ctx: ExecutionContext) => Response | Promise<Response>;

/** `handler` on faultyEnv's bindings, with the control path in front of it under FAULT_INJECTION. */
export function withFaults(handler: FetchHandler): FetchHandler {
  return async (request, env, ctx) => {
    if (!enabled(env)) return handler(request, env, ctx);
    const { pathname } = new URL(request.url);
    if (pathname === '/_faults' || pathname === '/_faults/release') return control(request, pathname);
    return handler(request, faultyEnv(env), ctx);
  };
}

async function control(request: Request, pathname: string): Promise<Response> {
  if (pathname === '/_faults/release' && request.method === 'POST') state.release();
  else if (request.method === 'PUT') {
    try {
      state.set(parsePlan(await request.json()));
    } catch (e) {
      return Response.json({ error: e instanceof Error ? e.message : String(e) }, { status: 400 });
    }
  } else if (request.method !== 'GET') return Response.json({ error: 'GET, PUT or POST /_faults/release' }, { status: 405 });
  return Response.json(state.current);
}
