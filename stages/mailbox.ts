/**
 * The sinks of rss2imap: `upload-imap` (one IMAP connection in a single-owner stage, messages grouped
 * into MULTIAPPEND batches), `maildir` (Maildir++ folders on disk), and `mailbox`, which picks one of
 * them from a URL (`imap://`/`imaps://`, else the Maildir path). A message counts as delivered only once
 * the mailbox confirmed it; with `--dry-run` the sinks write `.eml` files instead and record nothing.
 *
 * Exactly once, crashes included: each batch is marked "sending" in the state store before it goes out
 * and recorded as delivered after (see `mailbox_commit.ts` and `delivery_ledger.ts`). A message whose outcome was lost (the
 * connection broke mid-batch, or the process died after the mailbox's OK and before the record) is
 * looked for before it is sent again: IMAP searches the folder for its `X-Sluice-Entry-Id` header,
 * Maildir looks for its file name (which carries a hash of the Message-ID). Only messages in doubt are
 * looked for, so a normal run pays one small store write per batch and no searches.
 * @module
 */
import { route, sink, type Stage, type StageOptions, withOptions } from "../engine/pipeline/mod.ts";
import { MaildirWriter } from "../lib/maildir/writer.ts";
import { isPermanentRefusal } from "../lib/imap/errors.ts";
import { SluiceError } from "../engine/errors.ts";
import type { MailMessage } from "./types.ts";
import { ownedMailbox } from "./mailbox_owner.ts";
import {
  commit,
  dryRunCommitter,
  imapCommitter,
  imapUploaderModule,
  writerCommitter,
} from "./mailbox_commit.ts";
import { type ImapSinkOptions, MAILBOX_DEFAULTS, type MaildirSinkOptions } from "./mailbox_options.ts";

export { type ImapSinkOptions, MAILBOX_DEFAULTS, type MaildirSinkOptions } from "./mailbox_options.ts";

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
