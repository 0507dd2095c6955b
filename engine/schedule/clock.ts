/**
 * Time as the scheduler sees it: {@linkcode realClock} in production, {@linkcode ManualClock} in tests
 * (time moves only when the test says so, so no test waits for a minute boundary).
 * @module
 */

/**
 * Reads the time and waits for a moment.
 *
 * @example
 * ```ts
 * import { type Clock, realClock } from "./clock.ts";
 * const clock: Clock = realClock;
 * await clock.sleepUntil(new Date(clock.now().getTime() + 10));
 * ```
 */
export interface Clock {
  /** The current time. */
  now(): Date;
  /** Resolves at `when`, or as soon as `signal` aborts (never rejects: check `signal.aborted`). */
  sleepUntil(when: Date, signal?: AbortSignal): Promise<void>;
}

/** setTimeout cannot wait longer than this (about 24.8 days); longer sleeps wait in legs. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The wall clock, with `setTimeout` sleeps that are cleared on abort (no timer is left behind).
 *
 * @example
 * ```ts
 * import { realClock } from "./clock.ts";
 * const stop = new AbortController();
 * const nap = realClock.sleepUntil(new Date(Date.now() + 60_000), stop.signal);
 * stop.abort();
 * await nap; // resolves at once
 * ```
 */
export const realClock: Clock = {
  now: () => new Date(),
  async sleepUntil(when: Date, signal?: AbortSignal): Promise<void> {
    for (
      let left = when.getTime() - Date.now();
      left > 0 && !signal?.aborted;
      left = when.getTime() - Date.now()
    ) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, MAX_TIMER_MS));
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  },
};

interface Sleeper {
  when: number;
  wake: () => void;
}

/**
 * A clock for tests: `now()` stands still until {@linkcode ManualClock.advance} moves it. Sleepers wake
 * in deadline order, each at its own deadline, and the woken code gets a turn of the event loop
 * before the next one wakes, so a loop that sleeps again from where it woke sees every tick.
 *
 * @example
 * ```ts
 * import { ManualClock } from "./clock.ts";
 * const clock = new ManualClock("2026-01-01T00:00:00Z");
 * const woke: string[] = [];
 * clock.sleepUntil(new Date("2026-01-01T00:01:00Z")).then(() => woke.push(clock.now().toISOString()));
 * await clock.advance(5 * 60_000);
 * woke; // ["2026-01-01T00:01:00.000Z"]
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];
  #watchers: Array<{ count: number; resolve: () => void }> = [];

  /**
   * Creates a clock stopped at `start`; time moves only through `advance`/`advanceTo`.
   *
   * @param start the initial time (default: the epoch)
   */
  constructor(start: Date | number | string = 0) {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  sleepUntil(when: Date, signal?: AbortSignal): Promise<void> {
    if (when.getTime() <= this.#now || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        when: when.getTime(),
        wake: () => {
          signal?.removeEventListener("abort", sleeper.wake);
          this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
          resolve();
        },
      };
      signal?.addEventListener("abort", sleeper.wake, { once: true });
      this.#sleepers.push(sleeper);
      this.#notify();
    });
  }

  /** How many sleeps are pending. */
  get sleepers(): number {
    return this.#sleepers.length;
  }

  /** The earliest pending wake-up, or undefined. */
  nextWake(): Date | undefined {
    if (this.#sleepers.length === 0) return undefined;
    return new Date(Math.min(...this.#sleepers.map((s) => s.when)));
  }

  /** Resolves once at least `count` sleeps are pending (the code under test is waiting on the clock). */
  whenSleeping(count = 1): Promise<void> {
    if (this.#sleepers.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push({ count, resolve }));
  }

  /** Moves time forward by `ms`, waking every sleeper that falls due on the way, in order. */
  advance(ms: number): Promise<void> {
    return this.advanceTo(new Date(this.#now + ms));
  }

  /**
   * Moves time forward to `target` (never back), waking due sleepers in order. Work already started
   * (a promise just resolved) settles first, so `advance(0)` is a way to let it.
   */
  async advanceTo(target: Date): Promise<void> {
    const end = target.getTime();
    await settle();
    for (;;) {
      const due = this.#sleepers.filter((s) => s.when <= end).sort((a, b) => a.when - b.when)[0];
      if (!due) break;
      this.#now = Math.max(this.#now, due.when);
      due.wake();
      await settle();
    }
    this.#now = Math.max(this.#now, end);
  }

  #notify(): void {
    const ready = this.#watchers.filter((w) => this.#sleepers.length >= w.count);
    this.#watchers = this.#watchers.filter((w) => this.#sleepers.length < w.count);
    for (const w of ready) w.resolve();
  }
}

/** One macrotask turn: every queued microtask runs, so woken code reaches its next real wait. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
