/**
 * A lease in a NATS KV bucket whose entries expire (the bucket's max age is the lease's time to live):
 * taken with create-if-absent, renewed by an update at the revision the holder wrote last, released by
 * deleting at that revision. A holder that dies stops renewing; its lease expires and can be taken again.
 * A renewal refused by the server means someone else holds it now: the old holder has lost it.
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

  private constructor(readonly kv: KV, readonly key: string, readonly holder: string, revision: number) {
    this.#revision = revision;
  }

  /**
   * Takes the lease on `key` if nobody holds it (create-if-absent); undefined when someone does.
   *
   * @example
   * ```ts ignore
   * const lease = await Lease.take(kv, "unit.1f2e", "host:123");
   * ```
   */
  static async take(kv: KV, key: string, holder: string): Promise<Lease | undefined> {
    try {
      const revision = await kv.create(key, JSON.stringify({ holder, at: new Date().toISOString() }));
      return new Lease(kv, key, holder, revision);
    } catch (e) {
      if (isWrongRevision(e)) return undefined;
      throw e;
    }
  }

  /** True once a renewal was refused (another holder took it after this one's expired). */
  get lost(): boolean {
    return this.#lost;
  }

  /** Extends the lease by its time to live; false when it was lost. */
  async renew(): Promise<boolean> {
    if (this.#lost) return false;
    try {
      this.#revision = await this.kv.update(
        this.key,
        JSON.stringify({ holder: this.holder, at: new Date().toISOString() }),
        this.#revision,
      );
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
