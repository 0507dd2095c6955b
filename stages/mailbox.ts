/**
 * The sinks of rss2imap: `upload-imap` (one IMAP connection in a single-owner stage, messages grouped
 * into MULTIAPPEND batches), `maildir` (Maildir++ folders on disk), and `mailbox`, which picks one of
 * them from a URL (`imap://`/`imaps://`, else the Maildir path). A message counts as delivered only once
 * the mailbox confirmed it; with `--dry-run` the sinks write `.eml` files instead and record nothing.
 * @module
 */
import { readFileSync } from "node:fs";
import { GroupCommit, owner } from "../engine/kernel/mod.ts";
import { redactUrl } from "../engine/errors.ts";
import {
  route,
  sink,
  type Stage,
  type StageContext,
  type StageFactory,
  type StageOptions,
  withOptions,
} from "../engine/pipeline/mod.ts";
import { runLedger } from "./delivery_ledger.ts";
import { DryRunWriter, MaildirWriter, type MessageWriter } from "./maildir.ts";
import { deliveredBefore, ImapUploader, isConnectionError } from "./upload_imap.ts";
import type { Delivery, MailMessage } from "./types.ts";

/** Options of the IMAP sink. */
export interface ImapSinkOptions {
  /** `imap://user:pass@host:port` or `imaps://...`. */
  url: string;
  /** State location (delivered ids). */
  state: string;
  /** Most messages per MULTIAPPEND. */
  maxBatch?: number;
  /** Search the folder for each entry's id before appending (crash safety, slower). */
  serverCheck?: boolean;
  /** PEM file of an extra trusted CA (a private server's self-signed certificate). */
  caFile?: string;
  /** IMAP connections, each owning a share of the folders (default 1). */
  connections?: number;
}

/** Options of the Maildir sink. */
export interface MaildirSinkOptions {
  /** The Maildir root. */
  path: string;
  state: string;
  /** fsync each message (default true). */
  fsync?: boolean;
}

/**
 * Commits a group of messages of one folder and records them in the ledger. Each message gets its own
 * outcome: a batch that fails half-way fails only the messages that were not stored.
 */
type Committer = GroupCommit<MailMessage, Delivery | Error>;

/** The key of a message whose fate is unknown (its connection broke while it was being appended). */
const doubtKey = (m: MailMessage) => `${m.folder}\n${m.feedUrl}\n${m.entryId}`;

function imapCommitter(ctx: StageContext, opts: ImapSinkOptions, shard: number): Committer {
  return ctx.resources.shared(`imap:${redactUrl(opts.url)}:${opts.state}:${shard}`, () => {
    const ca = opts.caFile ? readFileSync(opts.caFile, "utf8") : undefined;
    // No reconnect-and-retry inside the owner: a batch cut off mid-way may be stored, and only this
    // committer knows how to check that before sending it again. The next call reopens the connection.
    const conn = owner({
      name: `imap ${redactUrl(opts.url)}`,
      open: async () => {
        const up = new ImapUploader({
          url: opts.url,
          maxBatch: opts.maxBatch,
          serverSideDedupe: opts.serverCheck,
          ...(ca ? { ca } : {}),
        });
        await up.connect();
        return up;
      },
      close: (up) => up.close(),
      isFatal: isConnectionError,
      actions: {
        append: (up: ImapUploader, req: { folder: string; msgs: MailMessage[] }) =>
          up.appendBatch(req.folder, req.msgs),
        present: (up: ImapUploader, req: { folder: string; ids: string[] }) =>
          up.hasEntries(req.folder, req.ids),
      },
    });
    const ledger = runLedger(ctx, opts.state);
    const inDoubt = new Set<string>();
    const gc: Committer = new GroupCommit<MailMessage, Delivery | Error>(async (folder, msgs) => {
      const l = await ledger;
      const outcome = new Map<MailMessage, Delivery | Error>();
      let toSend = msgs;
      const doubtful = msgs.filter((m) => inDoubt.has(doubtKey(m)));
      if (doubtful.length) {
        // These may have been stored before the connection broke: ask the server first.
        const present = await conn.call.present({ folder, ids: doubtful.map((m) => m.entryId) });
        const stored = doubtful.filter((m) => present.has(m.entryId));
        await l.confirm(stored);
        for (const m of doubtful) inDoubt.delete(doubtKey(m));
        for (const m of stored) outcome.set(m, { message: m, location: `${redactUrl(opts.url)}/${folder}` });
        toSend = msgs.filter((m) => !outcome.has(m));
        ctx.count("foundAfterReconnect", stored.length);
      }
      if (toSend.length) {
        try {
          const deliveries = await conn.call.append({ folder, msgs: toSend });
          await l.confirm(toSend);
          toSend.forEach((m, i) => outcome.set(m, deliveries[i]));
          ctx.count("appended", toSend.length);
          ctx.count("batches");
        } catch (e) {
          const done = deliveredBefore(e);
          await l.confirm(done.map((d) => d.message));
          for (const d of done) outcome.set(d.message, d);
          const error = e instanceof Error ? e : new Error(String(e));
          for (const m of toSend) {
            if (outcome.has(m)) continue;
            if (isConnectionError(e)) inDoubt.add(doubtKey(m));
            outcome.set(m, error);
          }
        }
      }
      return msgs.map((m) => outcome.get(m)!);
    }, { maxBatch: opts.maxBatch ?? 50, keyOf: (m) => m.folder });
    return { gc, conn };
  }, async ({ gc, conn }) => {
    // The batch in flight finishes and is recorded before the connection (and then the store) closes.
    await gc.close();
    await conn.close();
  }).gc;
}

/** Submits `msg` and throws its own failure, if it had one. */
async function commit(gc: Committer, msg: MailMessage): Promise<void> {
  const result = await gc.submit(msg);
  if (result instanceof Error) throw result;
}

function writerCommitter(
  ctx: StageContext,
  key: string,
  makeWriter: () => MessageWriter,
  state: string,
): Committer {
  return ctx.resources.shared(key, () => {
    const writer = makeWriter();
    const ledger = runLedger(ctx, state);
    return new GroupCommit<MailMessage, Delivery | Error>(async (_folder, msgs) => {
      const deliveries = await writer.writeBatch(msgs);
      await (await ledger).confirm(msgs);
      ctx.count("written", msgs.length);
      return deliveries;
    }, { maxBatch: 64, keyOf: (m) => m.folder });
  }, (gc) => gc.close());
}

function dryRunCommitter(ctx: StageContext, state: string): Committer {
  return writerCommitter(ctx, `dry-run:${ctx.dryRun}`, () => new DryRunWriter(ctx.dryRun!), state);
}

/**
 * The IMAP sink for TypeScript pipelines.
 *
 * @example
 * ```ts
 * const up = uploadImap({ url: "imap://bench:bench@127.0.0.1:1143", state: "./.sluice" });
 * ```
 */
export function uploadImap(opts: ImapSinkOptions): Stage<MailMessage, never> {
  const connections = Math.max(1, opts.connections ?? 1);
  // Each connection has its own single owner; a folder always goes to the same one (route by folder).
  const shardSink = (shard: number) =>
    sink(async (msg: MailMessage, ctx) => {
      const gc = ctx.dryRun ? dryRunCommitter(ctx, opts.state) : imapCommitter(ctx, opts, shard);
      await commit(gc, msg);
    });
  const options = {
    name: "upload-imap",
    placement: "owner",
    concurrency: 256,
    inType: "MailMessage",
    outType: "none",
  };
  if (connections === 1) return withOptions(shardSink(0), options as StageOptions);
  return route((m: MailMessage) => m.folder, connections, shardSink, options as StageOptions);
}

/**
 * The Maildir sink for TypeScript pipelines.
 *
 * @example
 * ```ts
 * const md = maildir({ path: "./mail", state: "./.sluice" });
 * ```
 */
export function maildir(opts: MaildirSinkOptions) {
  return sink(async (msg: MailMessage, ctx) => {
    const gc = ctx.dryRun ? dryRunCommitter(ctx, opts.state) : writerCommitter(
      ctx,
      `maildir:${opts.path}`,
      () => new MaildirWriter(opts.path, { fsync: opts.fsync ?? true }),
      opts.state,
    );
    await commit(gc, msg);
  }, { name: "maildir", concurrency: 64, inType: "MailMessage", outType: "none" });
}

/**
 * IMAP when `url` is an `imap://` or `imaps://` URL, else the Maildir at `maildir`.
 *
 * @example
 * ```ts
 * const out = mailbox({ url: "", maildir: "./mail", state: "./.sluice" }); // a Maildir
 * ```
 */
export function mailbox(
  opts: { url?: string; maildir: string; state: string; fsync?: boolean } & Partial<ImapSinkOptions>,
) {
  if (opts.url && /^imaps?:\/\//i.test(opts.url)) {
    return uploadImap({ ...opts, url: opts.url } as ImapSinkOptions);
  }
  return maildir({ path: opts.maildir, state: opts.state, fsync: opts.fsync });
}

const SHARED_OPTIONS = {
  state: {
    type: "string",
    default: "./.sluice",
    description: "state location (sqlite dir, kv:PATH, memory:)",
  },
} as const;

const IMAP_OPTIONS = {
  "max-batch": { type: "integer", default: 50, min: 1, max: 1000, description: "messages per MULTIAPPEND" },
  "server-check": {
    type: "boolean",
    default: false,
    description: "search the folder for each entry id first",
  },
  "ca-file": { type: "string", default: "", description: "PEM file of an extra trusted CA" },
  connections: {
    type: "integer",
    default: 1,
    min: 1,
    max: 16,
    description: "IMAP connections (folders split between them)",
  },
} as const;

/** `upload-imap` for YAML. */
export const uploadImapStage: StageFactory = {
  name: "upload-imap",
  description: "appends messages over one IMAP connection (single owner, MULTIAPPEND batches)",
  inType: "MailMessage",
  outType: "none",
  options: {
    url: {
      type: "string",
      required: true,
      secret: true,
      description: "imap://user:pass@host:port or imaps://",
    },
    ...SHARED_OPTIONS,
    ...IMAP_OPTIONS,
  },
  defaults: { onError: "drop", retry: { attempts: 3, backoffMs: 1000 } },
  create: (o) => uploadImap(imapOptions(o)),
};

/** `maildir` for YAML. */
export const maildirStage: StageFactory = {
  name: "maildir",
  description: "writes messages into Maildir++ folders (atomic: tmp, then rename into new)",
  inType: "MailMessage",
  outType: "none",
  options: {
    path: { type: "string", default: "./mail", description: "the Maildir root" },
    ...SHARED_OPTIONS,
    fsync: {
      type: "boolean",
      default: true,
      description: "fsync each message before it counts as delivered",
    },
  },
  defaults: { onError: "drop" },
  create: (o) => maildir({ path: o.path as string, state: o.state as string, fsync: o.fsync as boolean }),
};

/** `mailbox` for YAML: IMAP when `url` is set, else Maildir. */
export const mailboxStage: StageFactory = {
  name: "mailbox",
  description: "IMAP when `url` is an imap:// or imaps:// URL, else the Maildir at `maildir`",
  inType: "MailMessage",
  outType: "none",
  options: {
    url: { type: "string", default: "", secret: true, description: "imap://user:pass@host:port, or empty" },
    maildir: { type: "string", default: "./mail", description: "the Maildir root when url is empty" },
    ...SHARED_OPTIONS,
    ...IMAP_OPTIONS,
    fsync: { type: "boolean", default: true, description: "Maildir: fsync each message" },
  },
  defaults: { onError: "drop", retry: { attempts: 3, backoffMs: 1000 } },
  create: (o) => {
    const url = o.url as string;
    if (url && /^imaps?:\/\//i.test(url)) return uploadImap(imapOptions(o));
    return maildir({ path: o.maildir as string, state: o.state as string, fsync: o.fsync as boolean });
  },
};

function imapOptions(o: Record<string, unknown>): ImapSinkOptions {
  return {
    url: o.url as string,
    state: o.state as string,
    maxBatch: o["max-batch"] as number,
    serverCheck: o["server-check"] as boolean,
    caFile: (o["ca-file"] as string) || undefined,
    connections: o.connections as number,
  };
}
