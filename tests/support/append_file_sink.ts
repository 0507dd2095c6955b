/**
 * The example sink of ARCHITECTURE.md ("Writing a sink that keeps the exactly-once promise"): it appends
 * each message as one JSON line to a file, and delivers every message once, crashes included. It is the
 * IMAP and Maildir sinks (`stages/mailbox.ts`) with the mailbox reduced to a file, so the steps show:
 *
 * 0. drop the messages the ledger already records as delivered (an earlier run sent them);
 * 1. `settleDoubts`: a message whose fate an earlier crash left unknown is looked for in the file, and
 *    recorded as delivered instead of written again when it is there;
 * 2. `sending`: mark the batch in the store (one write) before it goes out;
 * 3. write the batch and make it durable (fsync) — the file is now the truth;
 * 4. `confirm`: record the batch as delivered (clears the marks in the same transaction).
 *
 * A crash between 3 and 4 leaves marks: the next run's step 1 finds the lines. A crash before 3 leaves
 * marks too, but no lines: step 1 finds nothing, so the messages are written. A half-written last line
 * (the process died inside the write) is cut off when the file is opened, so a line is there whole or not
 * at all.
 * @module
 */
import { open, readFile, truncate } from "node:fs/promises";
import { GroupCommit } from "../../kernel.ts";
import { sink, type Stage, type StageContext } from "../../mod.ts";
import { type DeliveryLedger, runLedger } from "../../stages/delivery_ledger.ts";
import { runStore } from "../../stages/run_state.ts";
import type { Delivery, MailMessage } from "../../stages/types.ts";

/** Options of {@linkcode appendFileSink}. */
export interface AppendFileSinkOptions {
  /** The file the lines go to (created when missing). */
  file: string;
  /** State location: where the ledger keeps delivered ids and "sending" marks (sqlite dir, `memory:`). */
  state: string;
  /** Most messages per write (default 16). */
  maxBatch?: number;
}

/** One stored message: what identifies it, and its bytes as text. */
interface StoredLine {
  feedUrl: string;
  entryId: string;
  messageId: string;
  folder: string;
  text: string;
}

/**
 * The "mailbox" of this sink: a file of JSON lines. It knows how to store a batch durably and how to
 * find messages it holds; it knows nothing of the ledger.
 *
 * @example
 * ```ts
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import path from "node:path";
 * const file = path.join(await mkdtemp(path.join(tmpdir(), "sink-")), "out.jsonl");
 * const writer = new AppendFileWriter(file);
 * const m = { folder: "News", raw: new TextEncoder().encode("hi"), date: new Date(), feedUrl: "f", entryId: "1",
 *   messageId: "<1@x>" };
 * await writer.appendBatch([m]);
 * console.log((await writer.findStored([m])).length); // 1
 * ```
 */
export class AppendFileWriter {
  #repaired: Promise<void> | undefined;
  constructor(readonly file: string) {}

  /** Appends the batch as lines in one write and fsyncs: once it resolves, the lines survive a crash. */
  async appendBatch(messages: MailMessage[]): Promise<void> {
    await this.#repairOnce();
    const lines = messages.map((m) =>
      JSON.stringify(
        {
          feedUrl: m.feedUrl,
          entryId: m.entryId,
          messageId: m.messageId,
          folder: m.folder,
          text: new TextDecoder().decode(m.raw),
        } satisfies StoredLine,
      ) + "\n"
    ).join("");
    const handle = await open(this.file, "a");
    try {
      await handle.write(lines);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** The messages among `messages` that the file holds (by feed and entry id). */
  async findStored(messages: MailMessage[]): Promise<MailMessage[]> {
    await this.#repairOnce();
    const held = new Set((await this.lines()).map((l) => JSON.stringify([l.feedUrl, l.entryId])));
    return messages.filter((m) => held.has(JSON.stringify([m.feedUrl, m.entryId])));
  }

  /** Every whole line of the file (none when it does not exist; a torn last line is not one). */
  async lines(): Promise<StoredLine[]> {
    const text = await readFile(this.file, "utf8").catch((e) => e.code === "ENOENT" ? "" : Promise.reject(e));
    const whole = text.slice(0, text.lastIndexOf("\n") + 1);
    return whole.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as StoredLine);
  }

  /** Cuts off a torn last line (a crash inside a write), once per writer, before the first read or write. */
  #repairOnce(): Promise<void> {
    this.#repaired ??= (async () => {
      const bytes = await readFile(this.file).catch((e) =>
        e.code === "ENOENT" ? undefined : Promise.reject(e)
      );
      if (!bytes || bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return;
      await truncate(this.file, bytes.lastIndexOf(0x0a) + 1);
    })();
    return this.#repaired;
  }
}

/**
 * A sink that appends each message to `options.file`, exactly once across runs and crashes.
 *
 * @example
 * ```ts
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import path from "node:path";
 * import { fromIterable, pipeline, runPipeline } from "../../mod.ts";
 * const dir = await mkdtemp(path.join(tmpdir(), "sink-"));
 * const out = appendFileSink({ file: path.join(dir, "out.jsonl"), state: path.join(dir, "state") });
 * const m = { folder: "News", raw: new TextEncoder().encode("hi"), date: new Date(), feedUrl: "f", entryId: "1",
 *   messageId: "<1@x>" };
 * await runPipeline(pipeline(fromIterable([m])).to(out)); // once
 * await runPipeline(pipeline(fromIterable([m])).to(out)); // already delivered: nothing written
 * ```
 */
export function appendFileSink(options: AppendFileSinkOptions): Stage<MailMessage, never> {
  return sink(async (message: MailMessage, ctx) => {
    const delivery = await committer(ctx, options).submit(message);
    if (delivery instanceof Error) throw delivery;
  }, {
    name: "append-file",
    // Many items wait in the group commit at once, so batches grow under load (one fsync per batch).
    concurrency: 64,
    inType: "MailMessage",
    outType: "none",
  });
}

/** One group commit per run and file: one batch at a time goes through steps 0-4. */
function committer(
  ctx: StageContext,
  options: AppendFileSinkOptions,
): GroupCommit<MailMessage, Delivery | Error> {
  return ctx.resources.shared(`append-file:${options.file}`, () => {
    const writer = new AppendFileWriter(options.file);
    const ledger = runLedger(ctx, options.state);
    const store = runStore(ctx, options.state);
    const found = async (_folder: string, msgs: MailMessage[]): Promise<Delivery[]> =>
      (await writer.findStored(msgs)).map((message) => ({ message, location: options.file }));
    return new GroupCommit<MailMessage, Delivery | Error>(async (_key, batch) => {
      const l: DeliveryLedger = await ledger;
      const outcome = new Map<MailMessage, Delivery | Error>();
      // 0. Delivered by an earlier run: nothing to do.
      const fresh = await undelivered(await store, batch);
      for (const m of batch) if (!fresh.includes(m)) outcome.set(m, { message: m, location: options.file });
      // 1. In doubt after a crash: look before sending again.
      const { found: there, toSend } = await l.settleDoubts(fresh, found);
      for (const d of there) outcome.set(d.message, d);
      if (toSend.length > 0) {
        // 2. Mark, 3. store durably, 4. record.
        await l.sending(toSend);
        try {
          await writer.appendBatch(toSend);
        } catch (e) {
          // Some lines may be in the file: the whole batch is in doubt (its marks stay) until looked for.
          await l.inDoubt(toSend, options.file);
          for (const m of toSend) outcome.set(m, e instanceof Error ? e : new Error(String(e)));
          return batch.map((m) => outcome.get(m)!);
        }
        await l.confirm(toSend);
        for (const m of toSend) outcome.set(m, { message: m, location: options.file });
      }
      return batch.map((m) => outcome.get(m)!);
    }, { maxBatch: options.maxBatch ?? 16, keyOf: () => options.file });
  }, (gc) => gc.close());
}

/** The messages of `batch` the store does not record as delivered. */
async function undelivered(
  store: Awaited<ReturnType<typeof runStore>>,
  batch: MailMessage[],
): Promise<MailMessage[]> {
  const out: MailMessage[] = [];
  const byFeed = Map.groupBy(batch, (m) => m.feedUrl);
  for (const [feedUrl, msgs] of byFeed) {
    const open = new Set(await store.filterUndelivered(feedUrl, msgs.map((m) => m.entryId)));
    out.push(...msgs.filter((m) => open.has(m.entryId)));
  }
  return out;
}
