/**
 * The sinks of rss2imap: `upload-imap` (one IMAP connection in a single-owner stage, messages grouped
 * into MULTIAPPEND batches), `maildir` (Maildir++ folders on disk), and `mailbox`, which picks one of
 * them from a URL (`imap://`/`imaps://`, else the Maildir path). A message counts as delivered only once
 * the mailbox confirmed it; with `--dry-run` the sinks write `.eml` files instead and record nothing.
 *
 * Exactly once, crashes included: each batch is marked "sending" in the state store before it goes out
 * and recorded as delivered after (see `delivery_ledger.ts`). A message whose outcome was lost (the
 * connection broke mid-batch, or the process died after the mailbox's OK and before the record) is
 * looked for before it is sent again: IMAP searches the folder for its `X-Sluice-Entry-Id` header,
 * Maildir looks for its file name (which carries a hash of the Message-ID). Only messages in doubt are
 * looked for, so a normal run pays one small store write per batch and no searches.
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
  type StageOptions,
  withOptions,
  type WriteFence,
} from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";
import { type DeliveryLedger, runLedger } from "./delivery_ledger.ts";
import { DryRunWriter, MaildirWriter, type MessageWriter } from "../lib/maildir/writer.ts";
import type { ImapUploader } from "../lib/imap/uploader.ts";
import { ImapError, isConnectionError, isPermanentRefusal } from "../lib/imap/errors.ts";
import { imapUrlProblem } from "../lib/imap/imap_url.ts";
import { type OAuthTokenSource, tokenFromCommand, tokenFromRefresh } from "../lib/imap/oauth_token.ts";
import type { OAuthMechanism } from "../lib/imap/sasl_oauth.ts";
import { SluiceError } from "../engine/errors.ts";
import type { Delivery, MailMessage } from "./types.ts";
import { ownedMailbox } from "./mailbox_owner.ts";

/**
 * The IMAP client (25 modules, `node:tls` among them), loaded when an IMAP sink opens rather than with
 * the pipeline: a run's first fetches go out before it is loaded, and a Maildir run never loads it.
 */
const imapUploaderModule = () => import("../lib/imap/uploader.ts");

/** Options of the IMAP sink. */
export interface ImapSinkOptions {
  /** `imap://user:pass@host:port` or `imaps://...`. */
  url: string;
  /** State location (delivered ids); default: the pipeline's. */
  state?: string;
  /** Most messages per MULTIAPPEND. */
  maxBatch?: number;
  /**
   * Search the folder for every entry's id before appending (slower). Crashes are covered without it;
   * it adds safety when the state store does not know what the folder holds (a lost or reset state
   * directory, or another sluice with its own state delivering to the same folders).
   */
  serverCheck?: boolean;
  /** PEM file of an extra trusted CA (a private server's self-signed certificate). */
  caFile?: string;
  /**
   * IMAP connections, each owning a share of the folders (default 2: the server appends on both at once,
   * 9-12% faster on the W1 benchmark than one; a folder always goes to the same connection, in order).
   */
  connections?: number;
  /**
   * Log in with an OAuth 2.0 access token (SASL XOAUTH2 or OAUTHBEARER) instead of the URL's password;
   * `mechanism` defaults to XOAUTH2 when offered (see `tokenFromCommand`, `tokenFromRefresh`).
   */
  oauth?: { token: OAuthTokenSource; mechanism?: OAuthMechanism };
  /**
   * Several accounts: a top-level folder (`Work` covers `Work/Releases`) to the URL of the account that
   * holds it; other folders go to `url`. Each account has its own connections and fails alone: a refused
   * login fails that account's messages (named in the summary, exit 2), the others are delivered.
   */
  accounts?: Record<string, string>;
}

/** The defaults of the sinks' options (TypeScript and YAML alike). */
export const MAILBOX_DEFAULTS = {
  maxBatch: 50,
  serverCheck: false,
  connections: 2,
  maildir: "./mail",
  fsync: true,
} as const;

/** Options of the Maildir sink. */
export interface MaildirSinkOptions {
  /** The Maildir root. */
  path: string;
  /** State location recording delivered entries (sqlite dir, `kv:PATH`, `memory:`); default: the pipeline's. */
  state?: string;
  /** fsync each message (default true). */
  fsync?: boolean;
}

/**
 * Commits a group of messages of one folder and records them in the ledger. Each message gets its own
 * outcome: a batch that fails half-way fails only the messages that were not stored.
 */
type Committer = GroupCommit<MailMessage, Delivery | Error>;

function imapCommitter(ctx: StageContext, opts: ImapSinkOptions, shard: number): Committer {
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
      const { found, toSend } = await l.settleDoubts(msgs, findStored);
      for (const d of found) outcome.set(d.message, d);
      if (found.length) ctx.count("foundInDoubt", found.length);
      if (toSend.length) {
        await l.sending(toSend);
        try {
          const deliveries = await conn.call.append({ folder, msgs: toSend });
          await l.confirm(toSend, uidsOf(deliveries));
          toSend.forEach((m, i) => outcome.set(m, deliveries[i]));
          ctx.count("appended", toSend.length);
          ctx.count("batches");
        } catch (e) {
          const done = (await imapUploaderModule()).deliveredBefore(e);
          await l.confirm(done.map((d) => d.message), uidsOf(done));
          for (const d of done) outcome.set(d.message, d);
          if (done.length) ctx.count("appended", done.length);
          await settleFailure(l, folder, toSend.filter((m) => !outcome.has(m)), e, outcome);
        }
      }
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
async function commit(gc: Committer, msg: MailMessage): Promise<void> {
  const result = await gc.submit(msg);
  if (result instanceof Error) throw result;
}

function writerCommitter(
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
      const { found, toSend } = await l.settleDoubts(msgs, findStored);
      for (const d of found) outcome.set(d.message, d);
      if (found.length) ctx.count("foundInDoubt", found.length);
      if (toSend.length) {
        await l.sending(toSend);
        try {
          const deliveries = await writer.writeBatch(toSend);
          await l.confirm(toSend);
          toSend.forEach((m, i) => outcome.set(m, deliveries[i]));
          ctx.count("written", toSend.length);
        } catch (e) {
          // Files renamed into new/ before the failure are delivered: all of the batch is in doubt.
          await settleFailure(l, folder, toSend, e, outcome);
        }
      }
      return batch.map((m) => outcome.get(m)!);
    }, { maxBatch: 64, keyOf: (m) => m.folder });
  }, (gc) => gc.close());
}

function dryRunCommitter(ctx: StageContext, state: string | undefined): Committer {
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
  const connections = Math.max(1, opts.connections ?? MAILBOX_DEFAULTS.connections);
  // Each connection has its own single owner; a folder always goes to the same one (route by folder).
  const accounts = Object.entries(opts.accounts ?? {});
  const accountOf = (folder: string) => accountUrl(folder, accounts, opts.url);
  const shardSink = (shard: number) =>
    sink(async (msg: MailMessage, ctx) => {
      if (ctx.dryRun) return await commit(dryRunCommitter(ctx, opts.state), msg);
      if (accounts.length === 0) return await commit(imapCommitter(ctx, opts, shard), msg);
      const url = accountOf(msg.folder);
      try {
        await commit(imapCommitter(ctx, { ...opts, url }, shard), msg);
      } catch (e) {
        throw accountFailure(e, url);
      }
    }, {
      // The client's modules load while the first feeds are fetched, not when the first message waits.
      open: (ctx) => {
        if (!ctx.dryRun) imapUploaderModule().catch(() => {}); // a failed import fails the first open
      },
    });
  const options = {
    name: "upload-imap",
    placement: "owner",
    // Up to 256 messages wait in the group commit so each folder's batch can grow; the queue before them
    // stays short (see rewrite-images: waiting items are the heap's promoted garbage).
    concurrency: 256,
    capacity: 32,
    inType: "MailMessage",
    outType: "none",
    onError: "drop",
    retry: IMAP_ITEM_RETRY,
    // On a cluster, one process at a time holds each account and appends its messages.
    owned: ownedMailbox(accountOf, opts.state),
    settings: {
      maxBatch: opts.maxBatch ?? MAILBOX_DEFAULTS.maxBatch,
      serverCheck: opts.serverCheck ?? MAILBOX_DEFAULTS.serverCheck,
      connections,
      caFile: opts.caFile ?? "",
      login: opts.oauth ? `oauth2 ${opts.oauth.mechanism ?? "auto"}` : "password",
    },
  };
  if (connections === 1) return withOptions(shardSink(0), options as StageOptions);
  return route((m: MailMessage) => m.folder, connections, shardSink, options as StageOptions);
}

/** The URL of the account holding `folder`: its top-level folder's entry in `accounts`, else `fallback`. */
function accountUrl(folder: string, accounts: [string, string][], fallback: string): string {
  const top = folder.split(/[/.]/)[0];
  const url = accounts.find(([name]) => name === folder || name === top)?.[1] ?? fallback;
  if (!url) {
    throw new SluiceError(
      "E_IMAP_ACCOUNT",
      `folder '${folder}' belongs to no account`,
      `add '${top}' to the mailbox's accounts, or set url for the other folders`,
    );
  }
  return url;
}

/**
 * With several accounts, an account's refused login (or TLS problem) fails only that account's messages,
 * named by the account, instead of stopping the run.
 */
function accountFailure(e: unknown, url: string): unknown {
  if (!(e instanceof SluiceError) || !e.stopsRun) return e;
  const user = URL.canParse(url) ? decodeURIComponent(new URL(url).username) : "";
  // Not the cause: a run stops on a stopping error anywhere in the chain of causes.
  return new SluiceError("E_IMAP_ACCOUNT", `account ${user}: ${e.message}`, e.hint);
}

/**
 * The Maildir sink for TypeScript pipelines.
 *
 * @example
 * ```ts
 * const md = maildir({ path: "./mail", state: "./.sluice" });
 * ```
 */
export function maildir(opts: MaildirSinkOptions): Stage<MailMessage, never> {
  return sink(async (msg: MailMessage, ctx) => {
    const gc = ctx.dryRun ? dryRunCommitter(ctx, opts.state) : writerCommitter(
      ctx,
      `maildir:${opts.path}`,
      () => new MaildirWriter(opts.path, { fsync: opts.fsync ?? MAILBOX_DEFAULTS.fsync }),
      opts.state,
    );
    await commit(gc, msg);
  }, {
    name: "maildir",
    concurrency: 64,
    inType: "MailMessage",
    outType: "none",
    onError: "drop",
    settings: { fsync: opts.fsync ?? MAILBOX_DEFAULTS.fsync },
  });
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
  opts: { url?: string; maildir?: string; state?: string; fsync?: boolean } & Partial<ImapSinkOptions>,
): Stage<MailMessage, never> {
  const sink = opts.url && /^imaps?:\/\//i.test(opts.url)
    ? uploadImap({ ...opts, url: opts.url } as ImapSinkOptions)
    : maildir({ path: opts.maildir ?? MAILBOX_DEFAULTS.maildir, state: opts.state, fsync: opts.fsync });
  // Named as YAML names it (`use: mailbox`), whichever sink it is.
  return withOptions(sink, { name: "mailbox" });
}

/**
 * Retries of a message the mailbox could not store: a dropped connection or a busy server may pass on a
 * later attempt; a refusal for good (too large, mailbox full, folder not allowed) would only cost back-off
 * time, and the entry is tried again on the next run anyway.
 */
const IMAP_ITEM_RETRY = {
  attempts: 3,
  backoffMs: 1000,
  retryable: (e: unknown) => !isPermanentRefusal(e) && !stopsRunBelow(e),
};

/** A refused login or TLS setup, possibly wrapped per account: another attempt would be refused too. */
function stopsRunBelow(e: unknown): boolean {
  for (let c: unknown = e; c instanceof Error; c = c.cause) {
    if (c instanceof SluiceError && c.stopsRun) return true;
  }
  return false;
}

const SHARED_OPTIONS = {
  state: {
    type: "string",
    path: true,
    description: "state location (sqlite dir, kv:PATH, memory:); default: the pipeline's `state:`",
  },
} as const;

const IMAP_OPTIONS = {
  "max-batch": {
    type: "integer",
    default: MAILBOX_DEFAULTS.maxBatch,
    min: 1,
    max: 1000,
    description: "messages per MULTIAPPEND",
  },
  "server-check": {
    type: "boolean",
    default: MAILBOX_DEFAULTS.serverCheck,
    description: "search the folder for every entry id before appending (slow). Crashes are covered " +
      "without it (sending marks in the state); it protects when the state is lost or reset, or when " +
      "another sluice with its own state writes to the same folders",
  },
  "ca-file": { type: "string", default: "", description: "PEM file of an extra trusted CA" },
  connections: {
    type: "integer",
    default: MAILBOX_DEFAULTS.connections,
    min: 1,
    max: 16,
    description: "IMAP connections (folders split between them)",
  },
  accounts: {
    type: "object",
    description: "several accounts: top-level folder -> imap:// URL of its account (others go to url)",
    additional: {
      type: "string",
      secret: true,
      pattern: /^imaps?:\/\/.+/i,
      validate: imapUrlCheck,
      description: "an imap://user:pass@host:port or imaps:// URL",
    },
  },
  sasl: {
    type: "string",
    default: "",
    pattern: /^(xoauth2|oauthbearer)?$/i,
    description: "OAuth2 mechanism (xoauth2 or oauthbearer); empty: XOAUTH2 when offered, else OAUTHBEARER",
  },
  "token-command": {
    type: "string",
    default: "",
    secret: true,
    description: "OAuth2: a shell command printing the access token (run at each login)",
  },
  "token-url": { type: "string", default: "", description: "OAuth2: the token endpoint for refresh-token" },
  "client-id": { type: "string", default: "", description: "OAuth2: the client id for refresh-token" },
  "client-secret": { type: "string", default: "", secret: true, description: "OAuth2: the client secret" },
  "refresh-token": {
    type: "string",
    default: "",
    secret: true,
    description: "OAuth2: a refresh token exchanged at token-url for access tokens",
  },
} as const;

/** Where the IMAP sink can run: behind its connections' single owners only. */
const IMAP_PLACEMENT = {
  placements: ["owner"],
  placementNote:
    "an IMAP connection takes one command at a time: each connection has a single owner on the " +
    "event loop that batches the appends (raise `connections` for more at once)",
} as const;

/** Where the Maildir sink can run: on the event loop, whose group commit batches the fsyncs. */
const MAILDIR_PLACEMENT = {
  placements: ["loop"],
  placementNote: "it writes files on the event loop, where waiting costs nothing, through one group " +
    "commit per run that batches the fsyncs and the state's marks",
} as const;

/** `upload-imap` for YAML. */
export const uploadImapStage: StageFactory = {
  name: "upload-imap",
  description: "appends messages over one IMAP connection (single owner, MULTIAPPEND batches)",
  inType: "MailMessage",
  outType: "none",
  example: `- use: upload-imap
  with:
    url: \${IMAP_URL}          # imap://user:pass@host:143 or imaps://...
    max-batch: 50`,
  options: {
    url: {
      type: "string",
      required: true,
      secret: true,
      pattern: /^imaps?:\/\/.+/i,
      validate: imapUrlCheck,
      description: "an imap://user:pass@host:port or imaps:// URL",
    },
    ...SHARED_OPTIONS,
    ...IMAP_OPTIONS,
  },
  ...IMAP_PLACEMENT,
  create: (o) => uploadImap(imapOptions(o)),
};

/** `maildir` for YAML. */
export const maildirStage: StageFactory = {
  name: "maildir",
  description: "writes messages into Maildir++ folders (atomic: tmp, then rename into new)",
  inType: "MailMessage",
  outType: "none",
  example: `- use: maildir
  with:
    path: ./mail
    fsync: true`,
  options: {
    path: { type: "string", default: MAILBOX_DEFAULTS.maildir, description: "the Maildir root" },
    ...SHARED_OPTIONS,
    fsync: {
      type: "boolean",
      default: MAILBOX_DEFAULTS.fsync,
      description: "fsync each message before it counts as delivered",
    },
  },
  ...MAILDIR_PLACEMENT,
  create: (o) =>
    maildir({ path: o.path as string, state: o.state as string | undefined, fsync: o.fsync as boolean }),
};

/** `mailbox` for YAML: IMAP when `url` is set, else Maildir. */
export const mailboxStage: StageFactory = {
  name: "mailbox",
  description: "IMAP when `url` is an imap:// or imaps:// URL, else the Maildir at `maildir`",
  inType: "MailMessage",
  outType: "none",
  example: `- use: mailbox
  with:
    url: \${IMAP_URL:-}        # empty: the Maildir below
    maildir: ./mail`,
  options: {
    url: {
      type: "string",
      default: "",
      secret: true,
      // Anything else (a bare host name) used to mean the Maildir: the entries were counted as delivered
      // without ever reaching the server.
      pattern: /^(imaps?:\/\/.+)?$/i,
      validate: (url) => (url === "" ? undefined : imapUrlCheck(url)),
      description: "an imap://user:pass@host:port or imaps:// URL (IMAP_URL), or empty for the Maildir",
    },
    maildir: {
      type: "string",
      default: MAILBOX_DEFAULTS.maildir,
      path: true,
      description: "the Maildir root when url is empty",
    },
    ...SHARED_OPTIONS,
    ...IMAP_OPTIONS,
    fsync: { type: "boolean", default: MAILBOX_DEFAULTS.fsync, description: "Maildir: fsync each message" },
  },
  // IMAP's placement or the Maildir's, whichever sink the options pick.
  forOptions: (o) => (sendsOverImap(o) ? IMAP_PLACEMENT : MAILDIR_PLACEMENT),
  create: (o) => {
    if (sendsOverImap(o)) return uploadImap(imapOptions(o));
    return maildir({
      path: o.maildir as string,
      state: o.state as string | undefined,
      fsync: o.fsync as boolean,
    });
  },
};

/** Whether `mailbox` options pick the IMAP sink: an imap(s) URL, or accounts. */
function sendsOverImap(o: Record<string, unknown>): boolean {
  const url = o.url as string | undefined;
  const hasAccounts = Object.keys((o.accounts as object | undefined) ?? {}).length > 0;
  return (url !== undefined && /^imaps?:\/\//i.test(url)) || hasAccounts;
}

/** `check` parses the URL and applies the TLS policy, so that a bad one fails there and not at run (exit 3). */
function imapUrlCheck(url: string): { reason: string; hint?: string } | undefined {
  const problem = imapUrlProblem(url);
  return problem && { reason: problem.message, hint: problem.hint };
}

function imapOptions(o: Record<string, unknown>): ImapSinkOptions {
  return {
    url: o.url as string,
    state: o.state as string | undefined,
    maxBatch: o["max-batch"] as number,
    serverCheck: o["server-check"] as boolean,
    caFile: (o["ca-file"] as string) || undefined,
    connections: o.connections as number,
    oauth: oauthOptions(o),
    accounts: o.accounts as Record<string, string> | undefined,
  };
}

/** The OAuth2 login of the YAML options: a token command or a refresh token; undefined for a password. */
function oauthOptions(o: Record<string, unknown>): ImapSinkOptions["oauth"] {
  const text = (key: string) => (o[key] as string | undefined) ?? "";
  const mechanism = (text("sasl").toUpperCase() || undefined) as OAuthMechanism | undefined;
  if (text("token-command") && text("refresh-token")) {
    throw new SluiceError(
      "E_CONFIG",
      "mailbox: both token-command and refresh-token are set",
      "keep one way of getting the OAuth2 access token",
    );
  }
  if (text("token-command")) return { token: tokenFromCommand(text("token-command")), mechanism };
  if (text("refresh-token")) {
    if (!text("token-url") || !text("client-id")) {
      throw new SluiceError(
        "E_CONFIG",
        "mailbox: refresh-token needs token-url and client-id",
        "set token-url (Gmail: https://oauth2.googleapis.com/token) and client-id (and client-secret)",
      );
    }
    return {
      token: tokenFromRefresh({
        tokenUrl: text("token-url"),
        clientId: text("client-id"),
        clientSecret: text("client-secret") || undefined,
        refreshToken: text("refresh-token"),
      }),
      mechanism,
    };
  }
  if (mechanism) {
    throw new SluiceError(
      "E_CONFIG",
      `mailbox: sasl: ${text("sasl")} needs token-command or refresh-token`,
      "say where the OAuth2 access token comes from (token-command, or refresh-token with token-url)",
    );
  }
  return undefined;
}
