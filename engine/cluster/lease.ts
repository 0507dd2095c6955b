/**
 * A lease in a NATS KV bucket whose entries expire (the bucket's max age is the lease's time to live):
 * taken with create-if-absent, renewed by an update at the revision the holder wrote last, released by
 * deleting at that revision. A holder that dies stops renewing; its lease expires and can be taken again.
 * A renewal refused by the server means someone else holds it now: the old holder has lost it.
 *
 * How long the lease is surely still this process's ({@linkcode Lease.remainingMs}) is counted on this
 * process's monotonic clock from the moment the last successful take or renewal was *sent*: the server
 * stored it later, and removes it no earlier than its time to live after that, so the server's expiry is
 * never before the holder's own estimate (as long as the servers' clocks agree within the margins the
 * holder keeps).
 * @module
 */
import type { KV } from "npm:@nats-io/kv@^3.4.0";

/**
 * A lease held by this process.
 *
 * @example
 * ```ts ignore
 * const lease = await Lease.take(kv, "mailbox.abc", "host:123");
 * if (lease) {
 *   await lease.renew();
 *   await lease.release();
 * }
 * ```
 */
export class Lease {
  #revision: number;
  #lost = false;
  #validUntil: number;

  private constructor(
    readonly kv: KV,
    readonly key: string,
    readonly holder: string,
    readonly ttlMs: number,
    revision: number,
    sentAt: number,
  ) {
    this.#revision = revision;
    this.#validUntil = sentAt + ttlMs;
  }

  /**
   * Takes the lease on `key` if nobody holds it (create-if-absent); undefined when someone does. `ttlMs`
   * is the bucket's time to live (for {@linkcode Lease.remainingMs}; 0 when the caller does not ask).
   *
   * @example
   * ```ts ignore
   * const lease = await Lease.take(kv, "unit.1f2e", "host:123", 30_000);
   * ```
   */
  static async take(kv: KV, key: string, holder: string, ttlMs = 0): Promise<Lease | undefined> {
    const sentAt = performance.now();
    try {
      const revision = await kv.create(key, JSON.stringify({ holder, at: new Date().toISOString() }));
      return new Lease(kv, key, holder, ttlMs, revision, sentAt);
    } catch (e) {
      if (isWrongRevision(e)) return undefined;
      throw e;
    }
  }

  /** True once a renewal was refused (another holder took it after this one's expired). */
  get lost(): boolean {
    return this.#lost;
  }

  /**
   * How many more milliseconds the lease is surely this process's (negative once past; -Infinity once
   * lost or released): its time to live from when the last successful take or renewal was sent.
   */
  remainingMs(): number {
    return this.#lost ? -Infinity : this.#validUntil - performance.now();
  }

  /** Extends the lease by its time to live; false when it was lost. */
  async renew(): Promise<boolean> {
    if (this.#lost) return false;
    const sentAt = performance.now();
    try {
      this.#revision = await this.kv.update(
        this.key,
        JSON.stringify({ holder: this.holder, at: new Date().toISOString() }),
        this.#revision,
      );
      this.#validUntil = sentAt + this.ttlMs;
      return true;
    } catch (e) {
      if (!isWrongRevision(e)) throw e;
      this.#lost = true;
      return false;
    }
  }

  /** Gives the lease up (only if still ours). */
  async release(): Promise<void> {
    if (this.#lost) return;
    this.#lost = true;
    await this.kv.delete(this.key, { previousSeq: this.#revision }).catch(() => {});
  }
}

/** A refused create or update: the key exists, or changed since it was read. */
function isWrongRevision(e: unknown): boolean {
  return /wrong last sequence/i.test((e as Error)?.message ?? "");
}
