/**
 * Bounds concurrent requests per host and overall, so a feed list with many entries on one host does not
 * hammer it and a long list does not open hundreds of sockets.
 * @module
 */
import { Semaphore } from "../../engine/kernel/semaphore.ts";

/**
 * Hands out a permit per request: one of the host's (`perHost`) and one of the global (`global`) permits.
 * The host permit is taken first so a request queued behind a busy host holds no global permit.
 *
 * @example
 * ```ts
 * import { HostLimiter } from "./host_limiter.ts";
 * const limiter = new HostLimiter({ perHost: 4, global: 32 });
 * const release = await limiter.acquire("https://example.org/feed.xml");
 * try {
 *   // fetch it
 * } finally {
 *   release();
 * }
 * ```
 */
export class HostLimiter {
  /** Most requests in flight at once to one host (a positive integer, default 4). */
  readonly perHost: number;
  readonly #global: Semaphore;
  readonly #hosts = new Map<string, Semaphore>();

  /**
   * A limiter with no request in flight.
   * @param limits `perHost` (default 4) and `global` (default 32) concurrent requests
   * @throws {RangeError} when `perHost` is not a positive integer
   */
  constructor(limits: { perHost?: number; global?: number } = {}) {
    this.perHost = limits.perHost ?? 4;
    if (!Number.isInteger(this.perHost) || this.perHost < 1) {
      throw new RangeError(`perHost must be a positive integer, got ${this.perHost}`);
    }
    this.#global = new Semaphore(limits.global ?? 32);
  }

  /**
   * Waits for a permit for `url`'s host (`host:port`); returns the function that gives it back (call it
   * exactly once). Rejects with `signal.reason` when `signal` aborts while waiting.
   */
  async acquire(url: string | URL, signal?: AbortSignal): Promise<() => void> {
    const host = new URL(url).host;
    let counter = this.#hosts.get(host);
    if (!counter) this.#hosts.set(host, counter = new Semaphore(this.perHost));
    await counter.acquire({ signal });
    try {
      await this.#global.acquire({ signal });
    } catch (e) {
      this.#releaseHost(host, counter);
      throw e;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#global.release();
      this.#releaseHost(host, counter);
    };
  }

  #releaseHost(host: string, counter: Semaphore): void {
    counter.release();
    // Forget idle hosts so a long-running process does not keep one entry per host ever seen.
    if (counter.available === this.perHost && counter.waiting === 0) this.#hosts.delete(host);
  }
}
