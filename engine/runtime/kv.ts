/**
 * Deno KV access (`Deno.openKv`), the only place that looks for it. Deno KV exists under Deno with
 * `--unstable-kv` and on Deno Deploy; elsewhere {@linkcode kvSupport} says why not and what to do.
 * @module
 */

/** A KV key: a list of parts. */
export type KvKey = readonly (string | number | bigint | boolean | Uint8Array)[];

/** One stored entry; `versionstamp` is null when the key is absent. */
export interface KvEntry<T = unknown> {
  key: KvKey;
  value: T | null;
  versionstamp: string | null;
}

/** An atomic operation: checks, then mutations, committed together. */
export interface KvAtomic {
  /** Fails the commit unless the key's versionstamp equals `versionstamp` (null: key absent). */
  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomic;
  /** Writes a value. */
  set(key: KvKey, value: unknown): KvAtomic;
  /** Deletes a key. */
  delete(key: KvKey): KvAtomic;
  /** Commits; `ok` is false when a check failed. */
  commit(): Promise<{ ok: boolean }>;
}

/** The subset of `Deno.Kv` sluice uses. */
export interface Kv {
  /** Reads one key. */
  get<T = unknown>(key: KvKey): Promise<KvEntry<T>>;
  /** Reads up to 10 keys at once (a Deno KV limit). */
  getMany<T = unknown>(keys: KvKey[]): Promise<KvEntry<T>[]>;
  /** Writes one key. */
  set(key: KvKey, value: unknown): Promise<unknown>;
  /** Lists the keys under a prefix. */
  list<T = unknown>(
    selector: { prefix: KvKey },
    options?: { batchSize?: number; limit?: number },
  ): AsyncIterable<KvEntry<T>>;
  /** Starts an atomic operation. */
  atomic(): KvAtomic;
  /** Closes the database. */
  close(): void;
}

/** Whether Deno KV can be opened here, and if not, what to do. */
export type KvSupport = { available: true } | { available: false; hint: string };

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/**
 * Tells whether `Deno.openKv` exists in this process.
 *
 * @example
 * ```ts
 * import { kvSupport } from "./kv.ts";
 * const s = kvSupport();
 * if (!s.available) console.log(s.hint);
 * ```
 */
export function kvSupport(): KvSupport {
  if (typeof g.Deno?.openKv === "function") return { available: true };
  if (g.Deno) return { available: false, hint: "run deno with --unstable-kv (Deno KV is still unstable)" };
  return { available: false, hint: "Deno KV exists only under Deno; use a sqlite state directory instead" };
}

/**
 * Opens Deno KV at `path` (a file, a remote `https://` KV URL, or the default database when omitted).
 *
 * @throws Error when {@linkcode kvSupport} says it is not available (the caller wraps it with a hint)
 * @example
 * ```ts
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import path from "node:path";
 * import { openKv } from "./kv.ts";
 * const dir = await mkdtemp(path.join(tmpdir(), "kv-"));
 * const kv = await openKv(path.join(dir, "example.kv"));
 * await kv.set(["hello"], "world");
 * kv.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export async function openKv(path?: string): Promise<Kv> {
  const support = kvSupport();
  if (!support.available) throw new Error(`Deno KV is not available: ${support.hint}`);
  return (await g.Deno.openKv(path)) as Kv;
}
