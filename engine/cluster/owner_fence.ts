/**
 * The fence of a mailbox holder: no two processes ever append the same message, even when a holder's
 * lease runs out under it (a NATS election that outlasts its renewals, a paused process). Three rules,
 * with the owner's lease time to live `T` (`sluice_leases`, 30 s by default):
 *
 * 1. A holder starts an APPEND only while its lease has at least {@linkcode FenceMargins.stopMs} (T/3)
 *    left, counted on its own monotonic clock from when its last successful renewal was sent (the server's
 *    expiry is later still). The check runs right before the command is written.
 * 2. An APPEND still running when only {@linkcode FenceMargins.severMs} (T/6) is left is cut off: the
 *    connection is closed, so nothing of it reaches the server after that.
 * 3. A new holder takes the lease only once the old one expired (create-if-absent) or was released after
 *    its run was over. Before it looks in the mailbox for a message in doubt (its "sending" mark is there,
 *    its delivered record is not), it waits {@linkcode FenceMargins.settleMs} (T/6) from when it took the
 *    lease, or from when it cut off a write of its own: the old holder's last APPEND was over (or cut off)
 *    at least `severMs` before the lease expired, and the server has had `settleMs` more to store it.
 *
 * Every APPEND is preceded by its message's "sending" mark, written before rule 1's check; the mark goes
 * only after the delivered record is written. The new holder reads the marks (from the stream leader, not
 * a replica that may lag) before it reads whether an entry is delivered, both after it took the lease: an
 * entry that has neither had no APPEND started, and none can start any more (rule 1); an entry with a mark
 * and no record is looked for (rule 3) before it is sent; an entry with a record is skipped.
 * @module
 */
import { FencedWrite, type WriteFence } from "../pipeline/write_fence.ts";
import type { Lease } from "./lease.ts";

/**
 * The margins of a fence, in milliseconds.
 *
 * @example
 * ```ts
 * import { fenceMargins } from "./owner_fence.ts";
 * fenceMargins(30_000); // { stopMs: 10000, severMs: 5000, settleMs: 5000 }
 * ```
 */
export interface FenceMargins {
  /** No write starts with less than this left on the lease. */
  stopMs: number;
  /** A write still running with this little left is cut off. */
  severMs: number;
  /** A new holder waits this long after taking the lease (or after a cut) before it looks for doubts. */
  settleMs: number;
}

/**
 * The margins for a lease time to live of `ttlMs`: a third, a sixth and a sixth of it.
 *
 * @example
 * ```ts
 * import { fenceMargins } from "./owner_fence.ts";
 * fenceMargins(6_000).stopMs; // 2000
 * ```
 */
export function fenceMargins(ttlMs: number): FenceMargins {
  return { stopMs: ttlMs / 3, severMs: ttlMs / 6, settleMs: ttlMs / 6 };
}

/**
 * A {@linkcode WriteFence} over a mailbox holder's lease.
 *
 * @example
 * ```ts ignore
 * const fence = new OwnerFence("imap://bob@127.0.0.1:1143", lease, fenceMargins(lease.ttlMs));
 * resources.fence = fence;
 * ```
 */
export class OwnerFence implements WriteFence {
  /** Monotonic time before which nothing in doubt is looked for. */
  #settledAt: number;
  #tripped = 0;

  constructor(
    readonly owner: string,
    readonly lease: Pick<Lease, "remainingMs">,
    readonly margins: FenceMargins,
  ) {
    this.#settledAt = performance.now() + margins.settleMs;
  }

  /** How many writes were refused or cut off. */
  get tripped(): number {
    return this.#tripped;
  }

  /** Whether a write may start now (rule 1). */
  get open(): boolean {
    return this.lease.remainingMs() >= this.margins.stopMs;
  }

  check(): void {
    const left = this.lease.remainingMs();
    if (left < this.margins.stopMs) {
      this.#tripped++;
      throw new FencedWrite(this.owner, left);
    }
  }

  watch(sever: () => void): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let over = false;
    // Looks again at least every second: a renewal moves the deadline on.
    const look = () => {
      if (over) return;
      const left = this.lease.remainingMs() - this.margins.severMs;
      if (left > 0) {
        timer = setTimeout(look, Math.min(left, 1000));
        return;
      }
      over = true;
      this.#tripped++;
      // The cut write may reach the server a moment later: the next look for doubts waits for it too.
      this.#settledAt = Math.max(this.#settledAt, performance.now() + this.margins.settleMs);
      sever();
    };
    look();
    return () => {
      over = true;
      clearTimeout(timer);
    };
  }

  async settled(): Promise<void> {
    for (
      let left = this.#settledAt - performance.now();
      left > 0;
      left = this.#settledAt - performance.now()
    ) {
      await new Promise((resolve) => setTimeout(resolve, left));
    }
  }
}
