/**
 * The IMAP mailbox as a single owner across a cluster: a composed message goes to the one process that
 * holds its account (`imap://user@host:port`, no password), which appends it. A message travels as one
 * line of JSON (its fields, its entry's version for `on-update`, and what its feed expects: the entry ids
 * of that fetch and the validators to commit once they are delivered) followed by the raw message bytes. The holder registers the feed's
 * entries that are not yet delivered in its own ledger, so the feed's ETag is committed there, once every
 * entry is in the mailbox, as in a local run.
 * @module
 */
import type { OwnedStage, StageContext } from "../engine/pipeline/mod.ts";
import { runLedger } from "./delivery_ledger.ts";
import { runStore } from "./run_state.ts";
import { EntryVersionBook } from "./entry_versions.ts";
import type { MailMessage } from "./types.ts";

/** The header line of a message in transit: its fields but the bytes, and its feed's expectation. */
type TransitHeader = Omit<MailMessage, "raw" | "date"> & {
  date: string;
  /** The feed's expectation where the message was composed. */
  feed?: { entryIds: string[]; etag?: string; lastModified?: string; title?: string };
};

/**
 * The account a URL logs in to, without its password: `imap://user@host:port`.
 *
 * @example
 * ```ts
 * import { mailboxOwner } from "./mailbox_owner.ts";
 * mailboxOwner("imap://bob:secret@127.0.0.1:1143"); // "imap://bob@127.0.0.1:1143"
 * ```
 */
export function mailboxOwner(url: string): string {
  if (!URL.canParse(url)) return "imap://?";
  const u = new URL(url);
  const port = u.port || (u.protocol === "imaps:" ? "993" : "143");
  return `${u.protocol}//${decodeURIComponent(u.username)}@${u.hostname.toLowerCase()}:${port}`;
}

/**
 * The owned-stage contract of an IMAP sink: `accountOf` names the URL a folder's messages go to.
 *
 * @example
 * ```ts
 * import { ownedMailbox } from "./mailbox_owner.ts";
 * const owned = ownedMailbox(() => "imap://bob:pw@127.0.0.1:1143", undefined);
 * ```
 */
export function ownedMailbox(
  accountOf: (folder: string) => string,
  state: string | undefined,
): OwnedStage<MailMessage> {
  return {
    ownerOf: (m) => mailboxOwner(accountOf(m.folder)),
    // An updated entry (on-update) is another message than its first version.
    keyOf: (m) => m.version?.update ? `${m.messageId} ${m.version.hash}` : m.messageId,
    async encode(m: MailMessage, ctx: StageContext): Promise<Uint8Array> {
      const ledger = await runLedger(ctx, state);
      const { raw: _raw, date, ...fields } = m;
      const header: TransitHeader = {
        ...fields,
        date: date.toISOString(),
        feed: ledger.expectation(m.feedUrl),
      };
      const head = new TextEncoder().encode(JSON.stringify(header) + "\n");
      const out = new Uint8Array(head.length + m.raw.length);
      out.set(head);
      out.set(m.raw, head.length);
      return out;
    },
    async decode(bytes: Uint8Array, ctx: StageContext): Promise<MailMessage> {
      const end = bytes.indexOf(10);
      const { feed, date, ...fields } = JSON.parse(
        new TextDecoder().decode(bytes.subarray(0, end)),
      ) as TransitHeader;
      const message: MailMessage = { ...fields, raw: bytes.slice(end + 1), date: new Date(date) };
      if (feed) {
        const { entryIds, ...validators } = feed;
        await (await runLedger(ctx, state)).expectRemaining(
          message.feedUrl,
          entryIds,
          validators,
          message.version?.update ? message.entryId : undefined,
        );
      }
      return message;
    },
    async done(m: MailMessage, ctx: StageContext): Promise<boolean> {
      if (ctx.dryRun) return false;
      // The marks of messages in doubt first, the delivered records after: an entry an earlier holder was
      // sending is then either looked for in the mailbox (its mark is read) or skipped (its record is).
      await (await runLedger(ctx, state)).readDoubts();
      const store = await runStore(ctx, state);
      // An update is done once its version is the one recorded; a first version once it is delivered.
      if (m.version?.update) {
        return (await new EntryVersionBook(store).read(m.feedUrl))[m.entryId]?.hash === m.version.hash;
      }
      return await store.isDelivered(m.feedUrl, m.entryId);
    },
  };
}
