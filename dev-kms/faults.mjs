// Faults the development KMS can be told to show, for tests of timeouts and retries:
// down (the connection is dropped unanswered), slow (answers after delayMs), 5xx (the protocol's own
// server error). `count` limits a fault to the next N requests; none clears it.
const MODES = ['none', 'down', 'slow', '5xx'];
const NONE = Object.freeze({ mode: 'none', delayMs: 0 });

export class Faults {
  #mode = 'none';
  #delayMs = 0;
  #remaining = Infinity;

  set({ mode = 'none', delayMs = 10_000, count } = {}) {
    if (!MODES.includes(mode)) throw new TypeError(`fault mode must be one of ${MODES.join(', ')}`);
    if (!Number.isInteger(delayMs) || delayMs < 0) throw new TypeError('delayMs must be a non-negative integer');
    if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw new TypeError('count must be a positive integer');
    this.#mode = mode;
    this.#delayMs = delayMs;
    this.#remaining = count ?? Infinity;
    return this.current;
  }

  get current() {
    return { mode: this.#mode, delayMs: this.#delayMs, remaining: Number.isFinite(this.#remaining) ? this.#remaining : null };
  }

  /** The fault for the request now arriving, counted against `count`. */
  next() {
    if (this.#mode === 'none') return NONE;
    const fault = { mode: this.#mode, delayMs: this.#delayMs };
    if (--this.#remaining <= 0) this.set();
    return fault;
  }
}
