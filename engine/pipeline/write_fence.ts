/**
 * A guard on writes that cannot be taken back (an IMAP APPEND), for a run on a process that holds their
 * target only for a while: a cluster's mailbox holder, whose lease may run out while NATS elects a leader
 * (engine/cluster/owner_fence.ts builds one from the lease). A local run has none.
 * @module
 */
import { SluiceError } from "../errors.ts";

/**
 * What a single-owner sink asks before, during and after its writes.
 *
 * @example
 * ```ts
 * import type { WriteFence } from "./write_fence.ts";
 * const open: WriteFence = { check: () => {}, watch: () => () => {}, settled: () => Promise.resolve() };
 * open.check(); // a write may start
 * ```
 */
export interface WriteFence {
  /**
   * Right before a write starts: throws {@linkcode FencedWrite} when this process may not be the owner by
   * the time the write could be over (nothing was sent; the item is in doubt for whoever holds it next).
   */
  check(): void;
  /**
   * For the time a write runs: `sever` is called (once) when the hold runs out before it is over, and must
   * cut the write off at once (close the socket). Returns a function that stops watching.
   */
  watch(sever: () => void): () => void;
  /**
   * Before looking for what an earlier owner may have written (a message in doubt): resolves once a write
   * that owner started is over, or was cut off, and the server had time to apply it.
   */
  settled(): Promise<void>;
}

/**
 * A write refused by a {@linkcode WriteFence}: this process may no longer be the owner.
 *
 * @example
 * ```ts
 * import { FencedWrite } from "./write_fence.ts";
 * const e = new FencedWrite("imap://bob@127.0.0.1:1143", 900);
 * e.code; // "E_CLUSTER_FENCED"
 * ```
 */
export class FencedWrite extends SluiceError {
  /** What the write was for (the mailbox's account, or its hash). */
  readonly owner: string;

  /**
   * Creates the refusal.
   *
   * @param owner what the write was for
   * @param remainingMs what was left of the lease when the write was refused
   */
  constructor(owner: string, remainingMs: number) {
    super(
      "E_CLUSTER_FENCED",
      `${owner}: not writing, this worker's lease on it has ${Math.max(0, Math.round(remainingMs))} ms left`,
      "nothing to do: the owner's next holder looks for the message in the mailbox before it sends it",
    );
    this.owner = owner;
  }
}
