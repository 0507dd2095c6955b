/**
 * The IMAP client sluice uses: one class whose methods are the commands an uploader needs, each family
 * in a file of its own: opening and login (`open_session.ts`), the session's lifecycle (`session.ts`),
 * APPEND and MULTIAPPEND (`append_command.ts`), mailbox management (`mailbox_commands.ts`,
 * `mailbox_selection.ts`) and searching for delivered messages (`mailbox_search.ts`). Not safe for
 * concurrent use from several owners: one client, one caller at a time (pipelining happens inside
 * single calls).
 * @module
 */
import type { ImapConnection } from "./connection.ts";
import {
  appendEach,
  type AppendMessage,
  appendMessages,
  type AppendMode,
  type AppendOutcome,
  type AppendResult,
} from "./append_command.ts";
import type { ImapEndpoint } from "./imap_url.ts";
import {
  createMailboxPath,
  listMailboxes,
  type MailboxInfo,
  mailboxStatus,
  queryDelimiter,
  queryNamespacePrefix,
} from "./mailbox_commands.ts";
import { MailboxSelection } from "./mailbox_selection.ts";
import {
  fetchFlagsAndHeaders,
  fetchHeaderValues,
  fetchInternalDates,
  searchHeader,
  type StoredMessage,
} from "./mailbox_search.ts";
import { addFlags, expungeUids } from "./mailbox_expunge.ts";
import { openSession, type SessionOptions } from "./open_session.ts";
import { ImapSession } from "./session.ts";

export type { AppendMessage, AppendMode, AppendOutcome, AppendResult } from "./append_command.ts";
export type { MailboxInfo } from "./mailbox_commands.ts";
export type { StoredMessage } from "./mailbox_search.ts";

/**
 * Connection options besides the URL.
 *
 * @example
 * ```ts
 * const o: ImapClientOptions = { ca: "-----BEGIN CERTIFICATE-----...", connectTimeoutMs: 5000 };
 * ```
 */
export interface ImapClientOptions extends SessionOptions {
  /** Never use MULTIAPPEND even when offered (for benchmarks and tests of the fallback). */
  disableMultiappend?: boolean;
}

/**
 * A logged-in IMAP session: the commands sluice uses, on top of {@linkcode ImapSession}'s lifecycle
 * (capabilities, `noop`, `logout`, `close`).
 *
 * @example
 * ```ts
 * import { ImapClient } from "./client.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const client = await ImapClient.connect(dovecot.url);
 * await client.ensureMailbox("News.Tech");
 * await client.append("News.Tech", [{ raw: new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n") }]);
 * await client.logout();
 * ```
 */
export class ImapClient extends ImapSession {
  #conn: ImapConnection;
  #options: ImapClientOptions;
  #selection: MailboxSelection;
  #delimiter?: string | null;
  #prefix?: string;

  private constructor(conn: ImapConnection, endpoint: ImapEndpoint, options: ImapClientOptions) {
    super(conn, endpoint);
    this.#conn = conn;
    this.#options = options;
    this.#selection = new MailboxSelection(conn);
  }

  /**
   * Connects, secures the connection (imaps, or STARTTLS when offered) and logs in.
   *
   * Plaintext logins are refused unless the host is loopback: a password must not cross a network in the
   * clear (`?tls=off` to another host is refused too, and no option allows it).
   *
   * @param url `imap://user:pass@host:port` or `imaps://...`
   * @param options TLS trust and timeouts
   * @returns the logged-in client
   * @throws {ImapError} `E_IMAP_AUTH` (login refused), `E_IMAP_TLS`, `E_IMAP_PLAINTEXT`, `E_IMAP_URL`
   * @throws {ImapConnectionError} when the server cannot be reached
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot({ tls: true }); // a self-signed certificate for 127.0.0.1
   * const url = `imaps://${dovecot.user}:${dovecot.password}@127.0.0.1:${dovecot.tlsPort}`;
   * const c = await ImapClient.connect(url, { ca: dovecot.caCertPem });
   * await c.logout();
   * ```
   */
  static async connect(url: string, options: ImapClientOptions = {}): Promise<ImapClient> {
    const { conn, endpoint } = await openSession(url, options);
    return new ImapClient(conn, endpoint, options);
  }

  /**
   * The hierarchy delimiter of the personal namespace (`LIST "" ""`), cached; undefined when flat.
   *
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * await client.delimiter(); // "." on a default Dovecot
   * await client.logout();
   * ```
   */
  async delimiter(): Promise<string | undefined> {
    if (this.#delimiter === undefined) this.#delimiter = await queryDelimiter(this.#conn) ?? null;
    return this.#delimiter ?? undefined;
  }

  /**
   * The prefix of the personal namespace (`INBOX.` on Courier and Cyrus, empty on Dovecot), cached.
   *
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * await client.namespacePrefix(); // ""
   * await client.logout();
   * ```
   */
  async namespacePrefix(): Promise<string> {
    if (this.#prefix === undefined) {
      this.#prefix = "";
      if (this.capabilities.has("NAMESPACE")) this.#prefix = await queryNamespacePrefix(this.#conn);
    }
    return this.#prefix;
  }

  /**
   * Lists mailboxes matching `pattern` (`*` any depth, `%` one level).
   *
   * @param pattern LIST pattern, e.g. `News.*` or an exact name
   * @returns the matching mailboxes
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * const boxes = await client.list("*");
   * await client.logout();
   * ```
   */
  list(pattern: string): Promise<MailboxInfo[]> {
    return listMailboxes(this.#conn, pattern);
  }

  /**
   * Creates `name` and any missing parent, and subscribes them (mail clients often show only subscribed
   * folders). Existing mailboxes are left alone.
   *
   * @param name full server name with the server's delimiter, e.g. `News.Tech`
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * await client.ensureMailbox("News.Tech");
   * await client.logout();
   * ```
   */
  async ensureMailbox(name: string): Promise<void> {
    if (name.toUpperCase() === "INBOX") return;
    await createMailboxPath(this.#conn, name, await this.delimiter());
  }

  /**
   * Appends messages to `mailbox`. With several messages and MULTIAPPEND on the server (and not
   * disabled), it is one command: all or none are stored. Otherwise the APPENDs are pipelined and the
   * first refusal is thrown after all answers arrived (earlier ones may be stored).
   *
   * @param mailbox full server name
   * @param messages the messages with their dates and flags
   * @param mode how to send them (default `auto`)
   * @returns the mode used and, with UIDPLUS, the new UIDs
   * @throws {ImapError} `E_IMAP_NO` (e.g. `[TRYCREATE]` when the mailbox is missing)
   * @throws {ImapConnectionError} when the connection drops before the answer
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * const raw = new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n");
   * await client.append("INBOX", [{ raw, date: new Date("2024-01-02T03:04:05Z"), flags: ["\\Seen"] }]);
   * await client.logout();
   * ```
   */
  append(mailbox: string, messages: AppendMessage[], mode: AppendMode = "auto"): Promise<AppendResult> {
    return appendMessages(this.#conn, mailbox, messages, mode, !this.#options.disableMultiappend);
  }

  /**
   * Appends each message with its own APPEND, all pipelined, and reports per message whether the
   * server stored it: one refused message does not stop the others.
   *
   * @param mailbox full server name
   * @param messages the messages
   * @returns one outcome per message, in order (`error` is an `ImapError`, or an `ImapConnectionError`
   *   for messages whose answer the connection did not live to deliver)
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * const raw = new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n");
   * const outcomes = await client.appendEach("INBOX", [{ raw }, { raw }]);
   * await client.logout();
   * ```
   */
  appendEach(mailbox: string, messages: AppendMessage[]): Promise<AppendOutcome[]> {
    return appendEach(this.#conn, mailbox, messages);
  }

  /**
   * Selects a mailbox (read-only with EXAMINE) and returns its message count. Cached: selecting the
   * selected mailbox again only sends NOOP, so new messages become visible.
   *
   * @param mailbox full server name
   * @param readOnly EXAMINE instead of SELECT (default true: sluice only reads what it selects)
   * @returns the number of messages (EXISTS)
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * const n = await client.select("INBOX");
   * await client.logout();
   * ```
   */
  select(mailbox: string, readOnly = true): Promise<number> {
    return this.#selection.select(mailbox, readOnly);
  }

  /**
   * Message count and next UID of a mailbox without selecting it.
   *
   * @param mailbox full server name
   * @returns `{ messages, uidNext }`
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * const { messages } = await client.status("INBOX");
   * await client.logout();
   * ```
   */
  status(mailbox: string): Promise<{ messages: number; uidNext: number }> {
    return mailboxStatus(this.#conn, mailbox);
  }

  /**
   * UIDs of messages in `mailbox` whose header `header` contains `value` (IMAP substring match, case
   * insensitive).
   *
   * @param mailbox full server name
   * @param header header name, e.g. `X-Sluice-Entry-Id`
   * @param value the text to look for
   * @returns matching UIDs
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * const raw = new TextEncoder().encode("X-Sluice-Entry-Id: urn:entry:1\r\nSubject: hi\r\n\r\nbody\r\n");
   * await client.append("INBOX", [{ raw }]);
   * console.log(await client.searchHeader("INBOX", "X-Sluice-Entry-Id", "urn:entry:1")); // [1]
   * await client.logout();
   * ```
   */
  async searchHeader(mailbox: string, header: string, value: string): Promise<number[]> {
    return (await this.searchHeaderMany(mailbox, header, [value])).get(value) ?? [];
  }

  /**
   * {@linkcode searchHeader} for many values: one UID SEARCH per value, pipelined when the server has
   * ESEARCH (its answers name their command), else one after another.
   *
   * @param mailbox full server name
   * @param header header name
   * @param values the texts to look for
   * @returns value -> matching UIDs (empty array when none)
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * const raw = new TextEncoder().encode("X-Sluice-Entry-Id: urn:entry:1\r\nSubject: hi\r\n\r\nbody\r\n");
   * await client.append("INBOX", [{ raw }]);
   * const found = await client.searchHeaderMany("INBOX", "X-Sluice-Entry-Id", ["urn:entry:1", "urn:entry:2"]);
   * console.log(found); // Map { "urn:entry:1" => [1], "urn:entry:2" => [] }
   * await client.logout();
   * ```
   */
  async searchHeaderMany(mailbox: string, header: string, values: string[]): Promise<Map<string, number[]>> {
    await this.select(mailbox);
    return searchHeader(this.#conn, header, values);
  }

  /**
   * INTERNALDATE of every message in `mailbox`, by UID, as the server writes it
   * (`05-Mar-2024 07:08:09 +0000`).
   *
   * @param mailbox full server name
   * @returns UID -> internal date text
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * const dates = await client.internalDates("INBOX");
   * await client.logout();
   * ```
   */
  async internalDates(mailbox: string): Promise<Map<number, string>> {
    if (await this.select(mailbox) === 0) return new Map();
    return fetchInternalDates(this.#conn);
  }

  /**
   * The value of one header of the given messages: unfolded, MIME encoded-words decoded, trimmed (the
   * first occurrence).
   *
   * @param mailbox full server name
   * @param uids message UIDs
   * @param header header name
   * @returns UID -> header value (messages without the header are left out)
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * const raw = new TextEncoder().encode("X-Sluice-Entry-Id: urn:entry:1\r\nSubject: hi\r\n\r\nbody\r\n");
   * await client.append("INBOX", [{ raw }]);
   * console.log(await client.headerValues("INBOX", [1], "X-Sluice-Entry-Id")); // Map { 1 => "urn:entry:1" }
   * await client.logout();
   * ```
   */
  async headerValues(mailbox: string, uids: number[], header: string): Promise<Map<number, string>> {
    if (uids.length === 0) return new Map();
    await this.select(mailbox);
    return fetchHeaderValues(this.#conn, uids, header);
  }

  /**
   * Flags and some headers of the given messages (UIDs the mailbox does not hold are left out).
   *
   * @param mailbox full server name
   * @param uids message UIDs
   * @param headers header names
   * @returns the messages found, by ascending UID
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * const raw = new TextEncoder().encode("X-Sluice-Entry-Id: urn:entry:1\r\nSubject: hi\r\n\r\nbody\r\n");
   * await client.append("INBOX", [{ raw, flags: ["\\Seen"] }]);
   * const [m] = await client.flagsAndHeaders("INBOX", [1], ["X-Sluice-Entry-Id"]);
   * console.log(m.flags, m.headers["x-sluice-entry-id"]); // ["\\Seen"] "urn:entry:1"
   * await client.logout();
   * ```
   */
  async flagsAndHeaders(mailbox: string, uids: number[], headers: string[]): Promise<StoredMessage[]> {
    if (uids.length === 0) return [];
    await this.select(mailbox);
    return fetchFlagsAndHeaders(this.#conn, uids, headers);
  }

  /**
   * Adds flags (or keywords) to messages.
   *
   * @param mailbox full server name
   * @param uids message UIDs
   * @param flags e.g. `["\\Flagged", "$Important"]`
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * await client.append("INBOX", [{ raw: new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n") }]);
   * await client.addFlags("INBOX", [1], ["\\Flagged"]);
   * await client.logout();
   * ```
   */
  async addFlags(mailbox: string, uids: number[], flags: string[]): Promise<void> {
    if (uids.length === 0 || flags.length === 0) return;
    await this.select(mailbox, false);
    await addFlags(this.#conn, uids, flags);
  }

  /**
   * Removes messages: `\Deleted`, then UID EXPUNGE with UIDPLUS, else EXPUNGE (which also removes the
   * other messages of the mailbox already flagged `\Deleted`).
   *
   * @param mailbox full server name
   * @param uids message UIDs
   * @returns `uid` (only these went) or `all` (the EXPUNGE fallback)
   * @example
   * ```ts
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * await client.append("INBOX", [{ raw: new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n") }]);
   * await client.expunge("INBOX", [1]); // "uid" on Dovecot
   * await client.logout();
   * ```
   */
  async expunge(mailbox: string, uids: number[]): Promise<"uid" | "all"> {
    if (uids.length === 0) return "uid";
    await this.select(mailbox, false);
    return expungeUids(this.#conn, uids);
  }
}
