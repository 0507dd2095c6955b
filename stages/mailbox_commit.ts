/**
 * How the mail sinks store a group of messages of one folder exactly once: a group commit per IMAP
 * connection (or per Maildir, or per dry run) that marks each batch "sending" in the run's delivery ledger,
 * settles the messages an earlier run left in doubt (looking for them in the mailbox), sends the rest and
 * records what the mailbox confirmed. Each message gets its own outcome: a batch that fails half-way fails
 * only the messages that were not stored.
 * @module
 */
import { readFileSync } from "node:fs";
import { GroupCommit, owner } from "../engine/kernel/mod.ts";
import { redactUrl } from "../engine/errors.ts";
import type { StageContext, WriteFence } from "../engine/pipeline/mod.ts";
import { type DeliveryLedger, runLedger } from "./delivery_ledger.ts";
import { DryRunWriter, type MessageWriter } from "../lib/maildir/writer.ts";
import type { ImapUploader } from "../lib/imap/uploader.ts";
import { ImapError, isConnectionError } from "../lib/imap/errors.ts";
import type { Delivery, MailMessage } from "./types.ts";
import { type ImapSinkOptions, MAILBOX_DEFAULTS } from "./mailbox_options.ts";

/**
 * The IMAP client (25 modules, `node:tls` among them), loaded when an IMAP sink opens rather than with
 * the pipeline: a run's first fetches go out before it is loaded, and a Maildir run never loads it.
 */
export const imapUploaderModule = () => import("../lib/imap/uploader.ts");

/**
 * Commits a group of messages of one folder and records them in the ledger. Each message gets its own
 * outcome: a batch that fails half-way fails only the messages that were not stored.
 */
export type Committer = GroupCommit<MailMessage, Delivery | Error>;

export function imapCommitter(ctx: StageContext, opts: ImapSinkOptions, shard: number): Committer {
  // The user is part of the key: two accounts on one server are two owners.
  const user = URL.canParse(opts.url) ? new URL(opts.url).username : "";
  return ctx.resources.shared(`imap:${user}:${redactUrl(opts.url)}:${opts.state}:${shard}`, () => {
    const ca = opts.caFile ? readFileSync(opts.caFile, "utf8") : undefined;
    // No reconnect-and-retry inside the owner: a batch cut off mid-way may be stored, and only this
    // committer knows how to check that before sending it again. The next call reopens the connection.
    const fence = ctx.resources.fence;
    const conn = owner({
      name: `imap ${redactUrl(opts.url)}`,
      open: async () => {
        const { ImapUploader } = await imapUploaderModule();
        const up = new ImapUploader({
          url: opts.url,
          maxBatch: opts.maxBatch,
          serverSideDedupe: opts.serverCheck,
          oauth: opts.oauth,
          ...(ca ? { ca } : {}),
          // On a cluster's mailbox holder: no APPEND starts that its lease may not outlast.
          ...(fence ? { beforeWrite: () => fence.check() } : {}),
        });
        await up.connect();
        return up;
      },
      close: (up) => up.close(),
      isFatal: isConnectionError,
      actions: {
        append: (up: ImapUploader, req: { folder: string; msgs: MailMessage[] }) =>
          fenced(fence, up, () => up.appendBatch(req.folder, req.msgs)),
        present: (up: ImapUploader, req: { folder: string; ids: string[] }) =>
          up.hasEntries(req.folder, req.ids),
        update: async (up: ImapUploader, req: { folder: string; msg: MailMessage; search: boolean }) => {
          if (req.search) await fence?.settled();
          return await fenced(fence, up, () => up.updateEntry(req.folder, req.msg, { search: req.search }));
        },
      },
    });
    // `/healthz` (--metrics) reports the mailbox unhealthy while its connection is down.
    ctx.resources.watchHealth(
      `mailbox ${redactUrl(opts.url)} (connection ${shard + 1})`,
      () =>
        conn.broken === undefined
          ? undefined
          : `not connected: ${(conn.broken as Error)?.message ?? conn.broken}`,
    );
    const ledger = runLedger(ctx, opts.state);
    const location = (folder: string) => `${redactUrl(opts.url)}/${folder}`;
    const findStored = async (folder: string, msgs: MailMessage[]): Promise<Delivery[]> => {
      // On a cluster: an earlier holder's APPEND of these may still be on its way; it is over first.
      await fence?.settled();
      const present = await conn.call.present({ folder, ids: msgs.map((m) => m.entryId) });
      return msgs.filter((m) => present.has(m.entryId)).map((message) => ({
        message,
        location: location(folder),
      }));
    };
    const gc: Committer = new GroupCommit<MailMessage, Delivery | Error>(async (folder, batch) => {
      const l = await ledger;
      const outcome = new Map<MailMessage, Delivery | Error>();
      // Changed entries (on-update) go one by one; the others in batches.
      const msgs = batch.filter((m) => !m.version?.update);
      for (const m of batch) {
        if (!m.version?.update) continue;
        const search = await l.doubted(m);
        await l.sending([m]);
        try {
          const { delivery, appended } = await conn.call.update({ folder, msg: m, search });
          await l.confirm([m], uidsOf([delivery]));
          await l.settled(m);
          outcome.set(m, delivery);
          if (!appended) ctx.count("foundInDoubt");
          else ctx.count(m.version.update.mode === "replace" ? "replaced" : "appended");
        } catch (e) {
          // It may have got half-way (appended, not yet expunged): the next attempt looks for every copy.
          outcome.set(m, e instanceof Error ? e : new Error(String(e)));
          await l.inDoubt([m], folder);
        }
      }
      await sendOnce(ctx, l, msgs, outcome, {
        findStored,
        write: async (toSend) => {
          const deliveries = await conn.call.append({ folder, msgs: toSend });
          ctx.count("batches");
          return deliveries;
        },
        counter: "appended",
        onFailure: async (toSend, e) => {
          // The messages of the batch the server confirmed before it failed are delivered.
          const done = (await imapUploaderModule()).deliveredBefore(e);
          await l.confirm(done.map((d) => d.message), uidsOf(done));
          for (const d of done) outcome.set(d.message, d);
          if (done.length) ctx.count("appended", done.length);
          await settleFailure(l, folder, toSend.filter((m) => !outcome.has(m)), e, outcome);
        },
      });
      return batch.map((m) => outcome.get(m)!);
    }, { maxBatch: opts.maxBatch ?? MAILBOX_DEFAULTS.maxBatch, keyOf: (m) => m.folder });
    return { gc, conn };
  }, async ({ gc, conn }) => {
    // The batch in flight finishes and is recorded before the connection (and then the store) closes.
    await gc.close();
    await conn.close();
  }).gc;
}

/**
 * Runs an IMAP write under the run's fence (a cluster's mailbox holder): it is cut off (the connection
 * closed) if the holder's lease runs out before it is over. Without a fence, it just runs.
 */
async function fenced<T>(
  fence: WriteFence | undefined,
  up: ImapUploader,
  write: () => Promise<T>,
): Promise<T> {
  if (!fence) return await write();
  fence.check();
  const unwatch = fence.watch(() => up.sever());
  try {
    return await write();
  } finally {
    unwatch();
  }
}

/** How a mail sink stores a batch: what {@linkcode sendOnce} needs of it. */
interface BatchWrite {
  /** Looks in the mailbox for messages an earlier attempt left in doubt: the ones it stored. */
  findStored: (folder: string, msgs: MailMessage[]) => Promise<Delivery[]>;
  /** Stores the messages, in order: one delivery each, or throws. */
  write: (msgs: MailMessage[]) => Promise<Delivery[]>;
  /** The counter the stored messages add to (`appended`, `written`). */
  counter: string;
  /** After `write` threw: gives each of `msgs` its outcome and its mark in the ledger. */
  onFailure: (msgs: MailMessage[], e: unknown) => Promise<void>;
}

/**
 * The exactly-once steps every mail sink takes with a batch of messages: the ones an earlier attempt
 * left in doubt are looked for first (found, they are delivered), the rest are marked "sending" in the
 * ledger, stored and confirmed. Each message gets its outcome in `outcome`.
 */
async function sendOnce(
  ctx: StageContext,
  ledger: DeliveryLedger,
  msgs: MailMessage[],
  outcome: Map<MailMessage, Delivery | Error>,
  how: BatchWrite,
): Promise<void> {
  const { found, toSend } = await ledger.settleDoubts(msgs, how.findStored);
  for (const d of found) outcome.set(d.message, d);
  if (found.length) ctx.count("foundInDoubt", found.length);
  if (!toSend.length) return;
  await ledger.sending(toSend);
  try {
    const deliveries = await how.write(toSend);
    await ledger.confirm(toSend, uidsOf(deliveries));
    toSend.forEach((m, i) => outcome.set(m, deliveries[i]));
    ctx.count(how.counter, toSend.length);
  } catch (e) {
    await how.onFailure(toSend, e);
  }
}

/**
 * The messages of a failed batch that were not confirmed: each gets the error; they are in doubt (their
 * marks stay) unless the error says the mailbox stored none of them (a refusal).
 */
async function settleFailure(
  ledger: DeliveryLedger,
  folder: string,
  failed: MailMessage[],
  e: unknown,
  outcome: Map<MailMessage, Delivery | Error>,
): Promise<void> {
  const error = e instanceof Error ? e : new Error(String(e));
  for (const m of failed) outcome.set(m, error);
  // An ImapError other than a broken connection is the server's NO or BAD: nothing of the command was
  // stored. Anything else (a broken connection, a store that failed after the OK) leaves it open.
  if (e instanceof ImapError && !isConnectionError(e)) await ledger.unsent(failed);
  else await ledger.inDoubt(failed, folder);
}

/** The UIDs the server reported for these deliveries (UIDPLUS), by message. */
function uidsOf(deliveries: Delivery[]): Map<MailMessage, number> {
  const out = new Map<MailMessage, number>();
  for (const d of deliveries) if (d.uid !== undefined) out.set(d.message, d.uid);
  return out;
}

/** Submits `msg` and throws its own failure, if it had one. */
export async function commit(gc: Committer, msg: MailMessage): Promise<void> {
  const result = await gc.submit(msg);
  if (result instanceof Error) throw result;
}

export function writerCommitter(
  ctx: StageContext,
  key: string,
  makeWriter: () => MessageWriter,
  state: string | undefined,
): Committer {
  return ctx.resources.shared(key, () => {
    const writer = makeWriter();
    const ledger = runLedger(ctx, state);
    // A writer that cannot look for its files (the dry run) has nothing in doubt: its ledger records nothing.
    const findStored = (folder: string, msgs: MailMessage[]) =>
      writer.findStored?.(folder, msgs) ?? Promise.resolve([]);
    return new GroupCommit<MailMessage, Delivery | Error>(async (folder, batch) => {
      const l = await ledger;
      const outcome = new Map<MailMessage, Delivery | Error>();
      // A replaced entry goes one by one (it looks for its earlier files every time: nothing in doubt).
      const replacing = writer.replaceEntry ? batch.filter((m) => m.version?.update?.mode === "replace") : [];
      for (const m of replacing) {
        await l.doubted(m); // the marks an earlier run left are read before this run writes its own
        await l.sending([m]);
        try {
          const d = await writer.replaceEntry!(m);
          await l.confirm([m]);
          outcome.set(m, d);
          ctx.count("replaced");
        } catch (e) {
          outcome.set(m, e instanceof Error ? e : new Error(String(e)));
          await l.inDoubt([m], folder);
        }
      }
      const msgs = batch.filter((m) => !outcome.has(m));
      await sendOnce(ctx, l, msgs, outcome, {
        findStored,
        write: (toSend) => writer.writeBatch(toSend),
        counter: "written",
        // Files renamed into new/ before the failure are delivered: all of the batch is in doubt.
        onFailure: (toSend, e) => settleFailure(l, folder, toSend, e, outcome),
      });
      return batch.map((m) => outcome.get(m)!);
    }, { maxBatch: 64, keyOf: (m) => m.folder });
  }, (gc) => gc.close());
}

export function dryRunCommitter(ctx: StageContext, state: string | undefined): Committer {
  return writerCommitter(ctx, `dry-run:${ctx.dryRun}`, () => new DryRunWriter(ctx.dryRun!), state);
}
