/**
 * The state store of a run: opened once per state location per run, under the run's exclusive lease
 * (taken before the first item, renewed while the run goes on, released when it ends), and shared by
 * every stage through the run's resources.
 * @module
 */
import { openStore, type StateStore } from "../state/mod.ts";
import { acquireLease, type AcquireLeaseOptions, type HeldLease } from "../state/lease.ts";
import type { RunResources } from "./resources.ts";

/** Where state lives when neither the pipeline nor the stage says. */
export const DEFAULT_STATE = "./.sluice";

/** Options of {@linkcode openRunState}: how the lease is taken. */
export type RunStateOptions = Pick<AcquireLeaseOptions, "waitMs" | "signal" | "onLost" | "log" | "ttlMs">;

/**
 * The run's store at `location`, opened and leased on first use; closing `resources` releases the lease
 * and closes the store.
 *
 * @throws StateStoreError when the store cannot be opened (damaged, newer schema...) or another run
 *   holds its lease (E_STATE_LEASED)
 * @example
 * ```ts
 * import { RunResources } from "./resources.ts";
 * const resources = new RunResources();
 * const store = await openRunState(resources, "memory:");
 * await resources.closeAll();
 * ```
 */
export function openRunState(
  resources: RunResources,
  location: string = DEFAULT_STATE,
  options: RunStateOptions = {},
): Promise<StateStore> {
  // The shared value never rejects (closing the run's resources awaits it); each user gets the error.
  const opened = resources.shared(`state:${location}`, async (): Promise<Opened> => {
    // WAL with synchronous=NORMAL: a crash of sluice (kill -9, OOM) loses no commit, so the "sending"
    // marks written before each batch let the next run settle what the crash left in doubt. Only a power
    // cut can roll back the last commits, marks included (those entries would be delivered once more).
    // FULL costs an fsync per commit on the event loop: measured ~380 against ~50,000 single records a
    // second; the marks add one commit per batch (~0.04 ms with NORMAL, ~0.35 ms with FULL).
    // SQLite's automatic checkpoint (every 1000 WAL pages) runs inside a commit, on the event loop: in W3
    // it made the slowest commits 5-11 ms (1-2 ms without). Up to 16384 pages (64 MB) wait for the close.
    let store: StateStore | undefined;
    try {
      store = await openStore(location, { durability: "normal", walCheckpointPages: 16_384 });
      return { store, lease: await acquireLease(store, options) };
    } catch (error) {
      await store?.close();
      return { error };
    }
  }, async (value) => {
    const held = await value;
    if (!("store" in held)) return;
    try {
      await held.lease.release();
    } finally {
      await held.store.close();
    }
  });
  return opened.then((held) => "store" in held ? held.store : Promise.reject(held.error));
}

type Opened = { store: StateStore; lease: HeldLease } | { error: unknown };

/**
 * Gives the run `store` as its state at `location`, without taking the run lease: for a run that is part
 * of a cluster job, whose submitter holds the lease for the whole job. Closing `resources` closes `store`.
 *
 * @example
 * ```ts
 * import { RunResources } from "./resources.ts";
 * import { MemoryStore } from "../state/mod.ts";
 * const resources = new RunResources();
 * provideRunState(resources, "memory:", Promise.resolve(new MemoryStore()));
 * await openRunState(resources, "memory:"); // the store given, no lease taken
 * await resources.closeAll();
 * ```
 */
export function provideRunState(resources: RunResources, location: string, store: Promise<StateStore>): void {
  const noLease: HeldLease = {
    record: { token: "", pid: 0, host: "", since: "", expiresAt: "" },
    release: () => Promise.resolve(),
  };
  resources.shared(
    `state:${location}`,
    (): Promise<Opened> => store.then((s) => ({ store: s, lease: noLease }), (error) => ({ error })),
    async (value) => {
      const held = await value;
      if ("store" in held) await held.store.close();
    },
  );
}
