/**
 * The delivery ledger: a feed's HTTP validators (ETag, Last-Modified) are committed only once every new
 * entry of that fetch is confirmed by the mailbox. If any entry fails (or the run stops first), the
 * validators stay as they were, so the next run fetches the feed in full again and delivers what is
 * missing; the delivered ids make sure nothing goes twice.
 * @module
 */
import type { StateStore } from "../engine/state/mod.ts";
import type { StageContext } from "../engine/pipeline/mod.ts";
import type { MailMessage } from "./types.ts";
import { runStore } from "./run_state.ts";
import { setImmediate } from "node:timers";

interface Pending {
  remaining: Set<string>;
  etag?: string;
  lastModified?: string;
  title?: string;
}

/**
 * Tracks, per feed, the entries of this run not yet confirmed.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "../engine/state/mod.ts";
 * const ledger = new DeliveryLedger(new MemoryStore());
 * await ledger.expect("https://x/feed", ["a"], { etag: '"1"' });
 * ```
 */
export class DeliveryLedger {
  #pending = new Map<string, Pending>();
  constructor(readonly store: StateStore, readonly dryRun = false) {}

  /** Registers a fetch's new entries; with none, the validators are committed at once. */
  async expect(
    feedUrl: string,
    entryIds: string[],
    validators: { etag?: string; lastModified?: string; title?: string },
  ): Promise<void> {
    const pending: Pending = { remaining: new Set(entryIds), ...validators };
    if (pending.remaining.size === 0) {
      await this.#commit(feedUrl, pending);
      return;
    }
    this.#pending.set(feedUrl, pending);
  }

  /** Records confirmed deliveries; commits each feed whose entries are all confirmed. */
  async confirm(messages: MailMessage[]): Promise<void> {
    if (this.dryRun) return;
    const byFeed = new Map<string, MailMessage[]>();
    for (const m of messages) {
      const list = byFeed.get(m.feedUrl);
      if (list) list.push(m);
      else byFeed.set(m.feedUrl, [m]);
    }
    let first = true;
    for (const [feedUrl, msgs] of byFeed) {
      // Each feed's records are one synchronous transaction (an fsync with sqlite): a batch spanning many
      // feeds would block the event loop for all of them in a row (~4 ms each, 80 ms+ per batch in W3).
      if (!first) await nextTurn();
      first = false;
      await this.store.markDeliveredMany(
        feedUrl,
        msgs.map((m) => ({ id: m.entryId, folder: m.folder, messageId: m.messageId })),
      );
      const pending = this.#pending.get(feedUrl);
      if (!pending) continue;
      for (const m of msgs) pending.remaining.delete(m.entryId);
      if (pending.remaining.size === 0) {
        this.#pending.delete(feedUrl);
        await this.#commit(feedUrl, pending);
      }
    }
  }

  /** Feeds with entries still unconfirmed (their validators were not committed). */
  unfinished(): string[] {
    return [...this.#pending.keys()];
  }

  #commit(feedUrl: string, p: Pending): Promise<unknown> {
    if (this.dryRun) return Promise.resolve();
    return this.store.recordSuccess(feedUrl, {
      etag: p.etag ?? null,
      lastModified: p.lastModified ?? null,
      ...(p.title ? { title: p.title } : {}),
    });
  }
}

/**
 * The run's ledger over the store at `location`.
 *
 * @example
 * ```ts ignore
 * const ledger = await runLedger(ctx, "./.sluice");
 * ```
 */
export function runLedger(ctx: StageContext, location: string): Promise<DeliveryLedger> {
  return ctx.resources.shared(
    `ledger:${location}`,
    async () => new DeliveryLedger(await runStore(ctx, location), Boolean(ctx.dryRun)),
  );
}

/** Resolves on a later turn of the event loop, so that timers and I/O waiting meanwhile run first. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
