/**
 * The run lease on a state store: one run at a time delivers from a state. A run takes the lease before
 * its first item and renews it while it runs; a second run on the same state is refused at once (or waits
 * with `--wait-lock`). A lease left by a killed run is taken over at once when its holder's pid is gone
 * on this host, and after it expires otherwise. Built on the store's atomic
 * {@linkcode StateStore.claimLease}, so every adapter gets the same behaviour.
 * @module
 */
import { processAlive, processIdentity } from "../runtime/process_identity.ts";
import { type LeaseRecord, type StateStore, StateStoreError } from "./store.ts";

/** How long a lease lasts without renewal (a run renews it every third of this). */
export const DEFAULT_LEASE_TTL_MS = 30_000;
/** How often a waiting run looks whether the lease got free. */
const WAIT_POLL_MS = 250;

/** Options of {@linkcode acquireLease}. */
export interface AcquireLeaseOptions {
  /** How long to wait for the holder to finish (`--wait-lock`); default 0: refuse at once. */
  waitMs?: number;
  /** Lease lifetime without renewal (default {@linkcode DEFAULT_LEASE_TTL_MS}). */
  ttlMs?: number;
  /** Stops the wait (a signal while waiting). */
  signal?: AbortSignal;
  /** Called when a renewal finds the lease held by another run (it expired while this run stalled). */
  onLost?: (holder: LeaseRecord) => void;
  /** Told about a dead holder's lease being taken over. */
  log?: (message: string) => void;
}

/**
 * A lease this process holds; renewed on a timer until {@linkcode HeldLease.release}.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "./memory_store.ts";
 * import { acquireLease } from "./lease.ts";
 * const store = new MemoryStore();
 * const lease = await acquireLease(store);
 * await lease.release();
 * ```
 */
export interface HeldLease {
  /** The lease as written. */
  readonly record: LeaseRecord;
  /** Stops renewing and drops the lease. Idempotent. */
  release(): Promise<void>;
}

/**
 * Who holds a lease, for messages: `pid 4242 on host mail-box since 2026-12-06T20:00:00.000Z`.
 *
 * @example
 * ```ts
 * describeLeaseHolder({ token: "t", pid: 7, host: "h", since: "2026-01-01T00:00:00.000Z", expiresAt: "2026-01-01T00:00:30.000Z" });
 * // "pid 7 on host h since 2026-01-01T00:00:00.000Z"
 * ```
 */
export function describeLeaseHolder(l: LeaseRecord): string {
  return `pid ${l.pid} on host ${l.host} since ${l.since}`;
}

/**
 * Takes the store's lease for this run, waiting up to `waitMs` for a live holder, taking over a dead
 * one, and renews it every `ttlMs / 3` until released.
 *
 * @throws StateStoreError E_STATE_LEASED when another run holds it (the message names pid, host and
 *   since when; the hint names `--wait-lock`)
 * @example
 * ```ts
 * import { MemoryStore } from "./memory_store.ts";
 * const store = new MemoryStore();
 * const lease = await acquireLease(store, { waitMs: 0 });
 * await lease.release();
 * ```
 */
export async function acquireLease(store: StateStore, options: AcquireLeaseOptions = {}): Promise<HeldLease> {
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const me = processIdentity();
  const token = crypto.randomUUID();
  const since = new Date().toISOString();
  const record = (now: number): LeaseRecord => ({
    token,
    pid: me.pid,
    host: me.host,
    since,
    expiresAt: new Date(now + ttlMs).toISOString(),
  });
  const deadline = Date.now() + (options.waitMs ?? 0);
  let told = false;
  for (;;) {
    let holder = await store.claimLease(record(Date.now()));
    // By pid only on a host known by name: `localhost` is also what a process that may not read its
    // host name calls itself, on any machine.
    if (
      holder.token !== token && holder.host === me.host && me.host !== "localhost" && holder.pid !== me.pid &&
      processAlive(holder.pid) === false
    ) {
      options.log?.(`taking over the lease of a run that is gone (${describeLeaseHolder(holder)})`);
      holder = await store.claimLease(record(Date.now()), { replace: holder.token });
    }
    if (holder.token === token) return startRenewal(store, holder, record, ttlMs, options.onLost);
    if (Date.now() >= deadline || options.signal?.aborted) {
      throw new StateStoreError(
        "E_STATE_LEASED",
        `${store.description} is in use by another run: ${describeLeaseHolder(holder)}`,
        "let that run finish, or start this one with --wait-lock DURATION (e.g. --wait-lock 10m) to wait " +
          `for it; a lease left by a killed run frees itself at ${holder.expiresAt} (at once on its own host)`,
      );
    }
    if (!told) {
      told = true;
      options.log?.(`waiting for the state's lease: in use by ${describeLeaseHolder(holder)}`);
    }
    await pause(Math.min(WAIT_POLL_MS, Math.max(1, deadline - Date.now())), options.signal);
  }
}

function startRenewal(
  store: StateStore,
  held: LeaseRecord,
  record: (now: number) => LeaseRecord,
  ttlMs: number,
  onLost?: (holder: LeaseRecord) => void,
): HeldLease {
  let released = false;
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = store.claimLease(record(Date.now())).then((holder) => {
      if (!released && holder.token !== held.token) {
        released = true;
        clearInterval(timer);
        onLost?.(holder);
      }
    }, () => {/* a failed renewal is retried at the next tick; expiry is 3 ticks away */});
  }, Math.max(10, Math.floor(ttlMs / 3)));
  return {
    record: held,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await renewing;
      await store.releaseLease(held.token);
    },
  };
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
