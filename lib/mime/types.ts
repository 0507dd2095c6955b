/**
 * The message types: an entry on its way to a mailbox (`EntryItem`, with its `InlineImage`s), the
 * composed message (`MailMessage`), and what a mailbox reports once it holds one (`Delivery`).
 * @module
 */
import type { FeedEntry, FeedRef } from "../feed/types.ts";
import type { InlineImage } from "../html/image_cache.ts";

export type { InlineImage } from "../html/image_cache.ts";

/**
 * One entry on its way to a mailbox: which feed and folder, the entry, and (after rewrite-images) its
 * rewritten HTML and inline images.
 *
 * @example
 * ```ts
 * const item: EntryItem = { feed: { url: "u", folder: "F" }, feedTitle: "Blog",
 *   entry: { id: "1", enclosures: [] }, images: [] };
 * ```
 */
export interface EntryItem {
  /** The feed the entry came from; `folder` is where its message goes (`url` may hold credentials). */
  feed: FeedRef;
  /** Name shown as the sender: the title given in the feed list, else the feed's own title, else undefined. */
  feedTitle?: string;
  /** Absolute URL of the feed's site (`ParsedFeed.link`); undefined when the feed gives none. */
  feedLink?: string;
  /** The entry as parsed. */
  entry: FeedEntry;
  /** HTML after image rewriting and sanitising (falls back to entry.html / summary when absent). */
  html?: string;
  /** Images to attach inline, one per distinct URL referenced as `cid:` in `html`; empty before rewriting. */
  images: InlineImage[];
  /** A digest's entries (of one or more feeds): marked delivered with it, once it is stored. */
  covers?: CoveredEntry[];
  /** Enclosures fetched to attach (`enclosures: attach`); the others are listed as links. */
  attachments?: Attachment[];
  /** For a feed with `on-update` set: the entry's content hash, and how to deliver it when it changed. */
  version?: EntryVersion;
  /**
   * `fetch-article`: the page the article came from, or, with `fallback` (the reason), the page that
   * could not give one (the feed's content is sent instead). Shown in the `X-Sluice-Article` header.
   */
  article?: { url: string; fallback?: string };
}

/**
 * The version of an entry a message carries (feeds with `on-update: replace` or `new`): its content
 * hash (`entryContentHash`), and, when the entry was delivered before with other content, how this
 * version goes to the mailbox.
 *
 * @example
 * ```ts
 * const v: EntryVersion = { hash: "9f86d081884c7d659a2feaa0c55ad015",
 *   update: { mode: "replace", folder: "News", uid: 42 } };
 * ```
 */
export interface EntryVersion {
  /** The content hash of this version (written into the `X-Sluice-Content-Hash` header). */
  hash: string;
  /** Set for a changed entry: `replace` the message delivered before, or send this one as `new`. */
  update?: {
    mode: "replace" | "new";
    /** The folder the earlier version went to. */
    folder: string;
    /** Its UID there, when the server told (UIDPLUS); else it is found by its entry id. */
    uid?: number;
  };
}

/**
 * An entry a digest lists: its feed (as listed) and its id.
 *
 * @example
 * ```ts
 * const c: CoveredEntry = { feedUrl: "https://example.org/feed.xml", id: "urn:1" };
 * ```
 */
export interface CoveredEntry {
  /** The entry's feed, as listed (may hold credentials: redact before logging). */
  feedUrl: string;
  /** The entry's stable id (`FeedEntry.id`). */
  id: string;
}

/**
 * A file attached to the message (an enclosure fetched under the feed's size cap).
 *
 * @example
 * ```ts
 * const a: Attachment = { url: "https://example.org/ep1.mp3", filename: "ep1.mp3", contentType: "audio/mpeg",
 *   content: new Uint8Array([1, 2, 3]) };
 * ```
 */
export interface Attachment {
  /** Where it was fetched from (the enclosure's URL). */
  url: string;
  /** File name shown by mail clients. */
  filename: string;
  /** MIME type (the server's, else the feed's, else application/octet-stream). */
  contentType: string;
  /** The bytes. */
  content: Uint8Array;
}

/**
 * A composed RFC 5322 message ready for a mailbox.
 *
 * @example
 * ```ts
 * const m: MailMessage = { folder: "F", raw: new Uint8Array(), date: new Date(), feedUrl: "u",
 *   entryId: "1", messageId: "<x@sluice>" };
 * ```
 */
export interface MailMessage {
  /** Folder to store the message in (IMAP mailbox or Maildir++ folder name), from the entry's feed. */
  folder: string;
  /** The whole message, CRLF line endings. */
  raw: Uint8Array;
  /** Entry date, used as the IMAP internal date / Maildir file time. */
  date: Date;
  /** URL of the feed the entry came from, as listed (may hold credentials: redact before logging). */
  feedUrl: string;
  /** The entry's stable id (`FeedEntry.id`): with `feedUrl`, the key that marks it delivered. */
  entryId: string;
  /** Deterministic Message-ID (with angle brackets) derived from feed URL and entry id. */
  messageId: string;
  /** For a digest: the entries it lists, marked delivered together with it (never before it is stored). */
  covers?: CoveredEntry[];
  /** Decoded subject (the entry title, else its first words), kept for names such as Maildir files. */
  subject?: string;
  /** The entry's version, for a feed with `on-update` set (see {@linkcode EntryVersion}). */
  version?: EntryVersion;
}

/**
 * What a sink reports per message once the mailbox confirmed it.
 */
export interface Delivery {
  /** The message the mailbox now holds. */
  message: MailMessage;
  /** Where it went: `imap://host/Folder` (no credentials) or a Maildir path. */
  location: string;
  /** Its UID in the IMAP folder, when the server told (UIDPLUS). */
  uid?: number;
}
