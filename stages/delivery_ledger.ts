/**
 * The delivery ledger: a feed's HTTP validators (ETag, Last-Modified) are committed only once every new
 * entry of that fetch is confirmed by the mailbox. If any entry fails (or the run stops first), the
 * validators stay as they were, so the next run fetches the feed in full again and delivers what is
 * missing; the delivered ids make sure nothing goes twice.
 *
 * It also keeps deliveries exactly-once when the mailbox's answer is lost. Before a batch goes to the
 * mailbox its entries are marked "sending" in the store (one write per batch); the delivered record
 * clears the marks in the same transaction, and a refusal clears them too. A message whose fate is
 * unknown is "in doubt": its connection broke mid-batch (this run), or its mark survived because the
 * process died between the mailbox's OK and the delivered record (an earlier run: kill -9, OOM, power).
 * Before such a message is sent again, {@linkcode DeliveryLedger.settleDoubts} has the sink look for it
 * in the folder it went to, and records it as delivered instead when it is there. A mark whose entry
 * never reaches the mailbox again (it left the feed first) stays, one small row, until the feed is
 * forgotten (`cli.ts state --forget`).
 * @module
 */
import type { SendingRecord, StateStore } from "../engine/state/mod.ts";
import type { StageContext } from "../engine/pipeline/mod.ts";
import type { Delivery, MailMessage } from "./types.ts";
import { FeedStateBook } from "./feed_state.ts";
import { EntryVersionBook, type StoredVersion } from "./entry_versions.ts";
import { runStore } from "./run_state.ts";
import { DEFAULT_STATE } from "../engine/pipeline/mod.ts";
import { setImmediate } from "node:timers";

/**
 * Looks for messages in `folder` (by their entry id, or a name derived from the Message-ID) and returns
 * a delivery for each one it holds.
 *
 * @example
 * ```ts
 * const nowhere: FindStored = () => Promise.resolve([]);
 * ```
 */
export type FindStored = (folder: string, messages: MailMessage[]) => Promise<Delivery[]>;

/**
 * What {@linkcode DeliveryLedger.settleDoubts} found: messages already in the mailbox (now recorded as
 * delivered) and the messages still to send.
 *
 * @example
 * ```ts
 * const s: SettledDoubts = { found: [], toSend: [] };
 * ```
 */
export interface SettledDoubts {
  found: Delivery[];
  toSend: MailMessage[];
}

interface DeliveredRecord {
  id: string;
  folder: string;
  messageId: string;
}

interface Pending {
  remaining: Set<string>;
  expected: string[];
  etag?: string;
  lastModified?: string;
  title?: string;
}

/**
 * Tracks, per feed, the entries of this run not yet confirmed, and the messages whose delivery is in doubt.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "../engine/state/mod.ts";
 * import type { MailMessage } from "./types.ts";
 * const ledger = new DeliveryLedger(new MemoryStore());
 * await ledger.expect("https://x/feed", ["a"], { etag: '"1"' });
 * const batch: MailMessage[] = [{ folder: "News", raw: new Uint8Array(), date: new Date(),
 *   feedUrl: "https://x/feed", entryId: "a", messageId: "<a@sluice>" }];
 * const { toSend } = await ledger.settleDoubts(batch, () => Promise.resolve([])); // nothing in doubt
 * await ledger.sending(toSend);
 * // ... the mailbox stores toSend ...
 * await ledger.confirm(toSend); // delivered; the marks go; the feed's ETag is committed
 * ```
 */
export class DeliveryLedger {
  #pending = new Map<string, Pending>();
  /** Feeds registered by {@linkcode DeliveryLedger.expectRemaining}, each once. */
  #registered = new Map<string, Promise<void>>();
  /** Messages in doubt, by {@linkcode entryKey}: the folder they may be in. Loaded on first use. */
  #doubts: Promise<Map<string, string>> | undefined;
  constructor(readonly store: StateStore, readonly dryRun = false) {}

  /** Registers a fetch's new entries; with none, the validators are committed at once. */
  async expect(
    feedUrl: string,
    entryIds: string[],
    validators: { etag?: string; lastModified?: string; title?: string },
  ): Promise<void> {
    const pending: Pending = { remaining: new Set(entryIds), expected: [...entryIds], ...validators };
    if (pending.remaining.size === 0) {
      await this.#commit(feedUrl, pending);
      return;
    }
    this.#pending.set(feedUrl, pending);
  }

  /**
   * What this run expects of a feed: its new entries (all of them, confirmed or not) and the validators to
   * commit once they are delivered; undefined when nothing is pending. On a cluster, a message handed to
   * the process holding its mailbox carries this, so the holder commits the validators.
   */
  expectation(
    feedUrl: string,
  ): { entryIds: string[]; etag?: string; lastModified?: string; title?: string } | undefined {
    const p = this.#pending.get(feedUrl);
    if (!p) return undefined;
    return { entryIds: [...p.expected], etag: p.etag, lastModified: p.lastModified, title: p.title };
  }

  /**
   * On the process holding a mailbox: expects a feed's entries that are not delivered yet (an earlier
   * holder may have delivered some), once per feed for this ledger; concurrent calls share the first.
   * `update` names an entry delivered before whose new version (`on-update`) this message is: it is
   * expected too, so the feed's validators wait for it.
   */
  async expectRemaining(
    feedUrl: string,
    entryIds: string[],
    validators: { etag?: string; lastModified?: string; title?: string },
    update?: string,
  ): Promise<void> {
    let registered = this.#registered.get(feedUrl);
    if (!registered) {
      registered = (async () => {
        const left = this.dryRun ? entryIds : await this.store.filterUndelivered(feedUrl, entryIds);
        if (update !== undefined && !left.includes(update)) left.push(update);
        await this.expect(feedUrl, left, validators);
      })();
      this.#registered.set(feedUrl, registered);
    }
    await registered;
    // A later update of a feed registered before: expected too, unless its validators are committed.
    if (update !== undefined) this.#pending.get(feedUrl)?.remaining.add(update);
  }

  /**
   * Records confirmed deliveries; commits each feed whose entries are all confirmed. A message carrying
   * its entry's version (`on-update`) also records it, with its UID from `uids` when the server told,
   * before the delivered record clears its "sending" mark.
   */
  async confirm(messages: MailMessage[], uids?: ReadonlyMap<MailMessage, number>): Promise<void> {
    if (this.dryRun) return;
    const byFeed = new Map<string, DeliveredRecord[]>();
    const add = (feedUrl: string, record: DeliveredRecord) => {
      const list = byFeed.get(feedUrl);
      if (list) list.push(record);
      else byFeed.set(feedUrl, [record]);
    };
    // Messages carrying their entry's version (on-update), by feed: recorded before the delivered marks.
    const versionedByFeed = new Map<string, MailMessage[]>();
    for (const m of messages) {
      if (m.version) {
        const list = versionedByFeed.get(m.feedUrl);
        if (list) list.push(m);
        else versionedByFeed.set(m.feedUrl, [m]);
      }
      // A digest marks the entries it lists: those of its own feed in the same write as itself (which
      // clears its "sending" mark), those of other feeds of its folder just before.
      for (const c of m.covers ?? []) {
        if (c.feedUrl !== m.feedUrl) add(c.feedUrl, { id: c.id, folder: m.folder, messageId: m.messageId });
      }
      add(m.feedUrl, { id: m.entryId, folder: m.folder, messageId: m.messageId });
      for (const c of m.covers ?? []) {
        if (c.feedUrl === m.feedUrl) add(c.feedUrl, { id: c.id, folder: m.folder, messageId: m.messageId });
      }
    }
    let first = true;
    for (const [feedUrl, records] of byFeed) {
      // Each feed's records are one synchronous transaction (an fsync with sqlite): a batch spanning many
      // feeds would block the event loop for all of them in a row (~4 ms each, 80 ms+ per batch in W3).
      if (!first) await nextTurn();
      first = false;
      const versioned = versionedByFeed.get(feedUrl);
      if (versioned) {
        await new EntryVersionBook(this.store).record(
          feedUrl,
          Object.fromEntries(versioned.map((m): [string, StoredVersion] => {
            const uid = uids?.get(m);
            return [m.entryId, { hash: m.version!.hash, folder: m.folder, ...(uid ? { uid } : {}) }];
          })),
        );
      }
      await this.store.markDeliveredMany(feedUrl, records);
      const pending = this.#pending.get(feedUrl);
      if (!pending) continue;
      for (const r of records) pending.remaining.delete(r.id);
      if (pending.remaining.size === 0) {
        this.#pending.delete(feedUrl);
        await this.#commit(feedUrl, pending);
      }
    }
  }

  /**
   * Marks messages as being sent (one store write) right before they go to the mailbox. Call
   * {@linkcode DeliveryLedger.settleDoubts} on them first: the first call reads the marks an earlier
   * run left, and must not see this run's.
   */
  async sending(messages: MailMessage[]): Promise<void> {
    if (this.dryRun || messages.length === 0) return;
    await this.store.markSending(messages.map((m): SendingRecord => ({
      feedUrl: m.feedUrl,
      id: m.entryId,
      folder: m.folder,
      messageId: m.messageId,
    })));
  }

  /** The mailbox refused these messages (it stored none of them): their "sending" marks go. */
  async unsent(messages: MailMessage[]): Promise<void> {
    if (this.dryRun || messages.length === 0) return;
    await this.store.clearSending(messages.map((m) => ({ feedUrl: m.feedUrl, id: m.entryId })));
  }

  /**
   * These messages may or may not be in `folder` (the mailbox's answer was lost): before they are sent
   * again, {@linkcode DeliveryLedger.settleDoubts} looks. Their "sending" marks stay, so a crash before
   * then leaves the doubt to the next run.
   */
  async inDoubt(messages: MailMessage[], folder: string): Promise<void> {
    if (this.dryRun) return;
    const doubts = await this.#loadDoubts();
    for (const m of messages) doubts.set(entryKey(m.feedUrl, m.entryId), folder);
  }

  /**
   * Splits a batch into the messages to send and those already in the mailbox. A message is looked for
   * (with `find`, once per folder) only when it is in doubt, so a run after a clean one costs nothing
   * here but one read of the marks (empty) on the first call. The ones found are recorded as delivered.
   */
  async settleDoubts(messages: MailMessage[], find: FindStored): Promise<SettledDoubts> {
    if (this.dryRun) return { found: [], toSend: messages };
    const doubts = await this.#loadDoubts();
    if (doubts.size === 0) return { found: [], toSend: messages };
    const byFolder = new Map<string, MailMessage[]>();
    for (const m of messages) {
      const folder = doubts.get(entryKey(m.feedUrl, m.entryId));
      if (folder === undefined) continue;
      const group = byFolder.get(folder);
      if (group) group.push(m);
      else byFolder.set(folder, [m]);
    }
    if (byFolder.size === 0) return { found: [], toSend: messages };
    const found: Delivery[] = [];
    for (const [folder, group] of byFolder) found.push(...await find(folder, group));
    await this.confirm(found.map((f) => f.message));
    for (const group of byFolder.values()) {
      for (const m of group) doubts.delete(entryKey(m.feedUrl, m.entryId));
    }
    const isFound = new Set(found.map((f) => f.message));
    return { found, toSend: messages.filter((m) => !isFound.has(m)) };
  }

  /**
   * Whether the message's delivery is in doubt (a mark an earlier run left, or this run's broken
   * connection); read before {@linkcode DeliveryLedger.sending} marks it for this attempt.
   */
  async doubted(message: MailMessage): Promise<boolean> {
    if (this.dryRun) return false;
    return (await this.#loadDoubts()).has(entryKey(message.feedUrl, message.entryId));
  }

  /** The message's doubt is resolved (it was delivered, checked): it is not looked for again. */
  async settled(message: MailMessage): Promise<void> {
    if (this.dryRun) return;
    (await this.#loadDoubts()).delete(entryKey(message.feedUrl, message.entryId));
  }

  /**
   * Reads the marks an earlier run (on a cluster: an earlier holder of the mailbox) left, once; later calls
   * wait for that read. A holder calls it before it reads whether an entry is delivered: a mark that is
   * gone by then had its delivered record written first.
   */
  async readDoubts(): Promise<void> {
    if (this.dryRun) return;
    await this.#loadDoubts();
  }

  /** The marks an earlier run left (read once, on first use); then this run's doubts join them. */
  #loadDoubts(): Promise<Map<string, string>> {
    this.#doubts ??= this.store.listSending().then(
      (marks) => new Map(marks.map((mark) => [entryKey(mark.feedUrl, mark.id), mark.folder])),
      (error) => {
        this.#doubts = undefined; // a later batch may find the store working again
        throw error;
      },
    );
    return this.#doubts;
  }

  /** Feeds with entries still unconfirmed (their validators were not committed). */
  unfinished(): string[] {
    return [...this.#pending.keys()];
  }

  #commit(feedUrl: string, p: Pending): Promise<unknown> {
    if (this.dryRun) return Promise.resolve();
    return new FeedStateBook(this.store).recordSuccess(feedUrl, {
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
 * ```ts
 * import { sink } from "../engine/pipeline/mod.ts";
 * import { runStage } from "../engine/pipeline/run_stage.ts";
 * await runStage(sink(async (_item: number, ctx) => {
 *   const ledger = await runLedger(ctx, "memory:"); // every stage of the run gets this same ledger
 *   console.log(ledger.unfinished()); // []
 * }), [1]);
 * ```
 */
export function runLedger(ctx: StageContext, location?: string): Promise<DeliveryLedger> {
  return ctx.resources.shared(
    `ledger:${location ?? ctx.stateLocation ?? DEFAULT_STATE}`,
    async () => new DeliveryLedger(await runStore(ctx, location), Boolean(ctx.dryRun)),
  );
}

/**
 * One key for a feed's entry.
 *
 * @example
 * ```ts
 * entryKey("https://x/feed", "urn:1"); // '["https://x/feed","urn:1"]'
 * ```
 */
export function entryKey(feedUrl: string, entryId: string): string {
  return JSON.stringify([feedUrl, entryId]);
}

/** Resolves on a later turn of the event loop, so that timers and I/O waiting meanwhile run first. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
