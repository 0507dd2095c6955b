/**
 * Resources a run shares between its stages (a state store, an image cache, an IMAP owner), created on
 * first use and closed once when the run ends, in reverse order of creation.
 * @module
 */

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
  #items = new Map<string, { value: unknown; close?: (value: unknown) => Promise<void> | void }>();

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

  /** Closes every resource (newest first); the first error is rethrown after all were tried. */
  async closeAll(): Promise<void> {
    const items = [...this.#items.values()].reverse();
    this.#items.clear();
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
