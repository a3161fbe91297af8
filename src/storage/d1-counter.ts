// Counts the D1 round trips each request waits for: every statement run (first, all, run, raw),
// every batch and exec. Turned on by the D1_ROUND_TRIPS_HEADER binding, for benchmarks and tests:
// the counting binding is made once per env, so services stay cached as in production, and each
// trip is charged to the request it runs for (an isolate serves requests concurrently).
import { AsyncLocalStorage } from 'node:async_hooks';

export interface TripCount {
  trips: number;
}

const current = new AsyncLocalStorage<TripCount>();
const counted = new WeakMap<object, object>();

/** `fn`, with the D1 round trips it makes through a counting binding added to `count`. */
export function countingTrips<T>(count: TripCount, fn: () => Promise<T>): Promise<T> {
  return current.run(count, fn);
}

/** `env` with its DB binding counting round trips (the same object for the same env). */
export function withCountingD1<E extends { DB: D1Database }>(env: E): E {
  let made = counted.get(env) as E | undefined;
  if (!made) counted.set(env, (made = { ...env, DB: database(env.DB) }));
  return made;
}

const trip = () => {
  const count = current.getStore();
  if (count) count.trips++;
};

const RUNS = new Set<PropertyKey>(['first', 'all', 'run', 'raw']);
/** The statement behind a counting proxy: D1's batch() takes only its own statement objects. */
const TARGET = Symbol('statement');

function statement(s: D1PreparedStatement): D1PreparedStatement {
  return new Proxy(s, {
    get(target, name) {
      if (name === TARGET) return target;
      const value = Reflect.get(target, name, target) as unknown;
      if (typeof value !== 'function') return value;
      if (name === 'bind') return (...args: unknown[]) => statement(target.bind(...args));
      if (RUNS.has(name)) trip();
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

const unwrap = (s: D1PreparedStatement) => (s as unknown as Record<symbol, D1PreparedStatement>)[TARGET] ?? s;

function database<T extends object>(d: T): T {
  return new Proxy(d, {
    get(target, name) {
      const value = Reflect.get(target, name, target) as unknown;
      if (typeof value !== 'function') return value;
      const call = (value as (...a: unknown[]) => unknown).bind(target);
      if (name === 'prepare') return (query: string) => statement(call(query) as D1PreparedStatement);
      if (name === 'withSession') return (...args: unknown[]) => database(call(...args) as object);
      if (name === 'batch') {
        // One trip, however many statements it carries.
        return (statements: D1PreparedStatement[]) => {
          trip();
          return call(statements.map(unwrap));
        };
      }
      if (name === 'exec') trip();
      return call;
    },
  });
}
