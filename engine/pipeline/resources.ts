/**
 * Resources a run shares between its stages (a state store, an image cache, an IMAP owner), created on
 * first use and closed once when the run ends, in reverse order of creation.
 * @module
 */
import type { WriteFence } from "./write_fence.ts";

/**
 * A keyed registry of shared resources for one run.
 *
 * @example
 * ```ts
 * const r = new RunResources();
 * const cache = r.shared("cache", () => new Map<string, string>());
 * console.log(cache === r.shared("cache", () => new Map())); // true
 * await r.closeAll();
 * ```
 */
export class RunResources {
  /**
   * Set on a cluster's mailbox holder: its sink asks it before each write it cannot take back (see
   * {@linkcode WriteFence}). Undefined in a local run.
   */
  fence: WriteFence | undefined;
  #items = new Map<string, { value: unknown; close?: (value: unknown) => Promise<void> | void }>();
  #health = new Map<string, () => string | undefined>();

  /**
   * The resource named `key`, created by `create` the first time.
   * @param close called once by {@linkcode closeAll}
   */
  shared<T>(key: string, create: () => T, close?: (value: T) => Promise<void> | void): T {
    const found = this.#items.get(key);
    if (found) return found.value as T;
    const value = create();
    this.#items.set(key, { value, close: close as ((value: unknown) => Promise<void> | void) | undefined });
    return value;
  }

  /** Whether `key` was created. */
  has(key: string): boolean {
    return this.#items.has(key);
  }

  /**
   * Lets `/healthz` ask a resource whether it is healthy (the mailbox connection): `check` returns why
   * not, or undefined when it is. A later check under the same `name` replaces it; `closeAll` drops all.
   *
   * @example
   * ```ts
   * const r = new RunResources();
   * r.watchHealth("mailbox", () => "not connected: ECONNREFUSED");
   * console.log(r.unhealthy()); // ["mailbox: not connected: ECONNREFUSED"]
   * ```
   */
  watchHealth(name: string, check: () => string | undefined): void {
    this.#health.set(name, check);
  }

  /** Why the resources that are not healthy are not, as `name: reason` lines; empty when all are. */
  unhealthy(): string[] {
    const reasons: string[] = [];
    for (const [name, check] of this.#health) {
      const reason = check();
      if (reason !== undefined) reasons.push(`${name}: ${reason}`);
    }
    return reasons;
  }

  /** Closes every resource (newest first); the first error is rethrown after all were tried. */
  async closeAll(): Promise<void> {
    const items = [...this.#items.values()].reverse();
    this.#items.clear();
    this.#health.clear();
    let first: unknown;
    for (const item of items) {
      try {
        await item.close?.(await item.value);
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
}
