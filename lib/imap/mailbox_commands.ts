/**
 * Mailbox management: the personal namespace (hierarchy delimiter, prefix), LIST, creating a mailbox
 * with its missing parents (subscribed, so mail clients show them), and STATUS.
 * @module
 */
import { mailboxArg } from "./command_syntax.ts";
import type { ImapConnection } from "./connection.ts";
import { ImapConnectionError, ImapError } from "./errors.ts";
import { decodeMailboxName } from "./mailbox_name.ts";
import { type ImapResponse, type ImapValue, valueText } from "./response_parser.ts";

/**
 * A mailbox as LIST reports it.
 *
 * @example
 * ```ts
 * const m: MailboxInfo = { name: "Tech.Blogs", delimiter: ".", flags: ["\\HasNoChildren"] };
 * ```
 */
export interface MailboxInfo {
  /** Decoded name (UTF-8). */
  name: string;
  /** Hierarchy delimiter, or undefined for a flat namespace. */
  delimiter?: string;
  flags: string[];
}

/**
 * The hierarchy delimiter of the personal namespace (`LIST "" ""`); undefined when flat.
 *
 * @param conn a logged-in connection
 * @example
 * ```ts
 * import { queryDelimiter } from "./mailbox_commands.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await queryDelimiter(conn); // "." on a default Dovecot
 * await conn.close();
 * ```
 */
export async function queryDelimiter(conn: ImapConnection): Promise<string | undefined> {
  const { untagged } = await conn.run(['LIST "" ""'], "LIST");
  const list = untagged.find((r) => r.kind === "LIST");
  return list ? valueText(list.values[1]) : undefined;
}

/**
 * The prefix of the personal namespace (`INBOX.` on Courier and Cyrus, empty on Dovecot), asked with
 * NAMESPACE; the caller checks that the server has it.
 *
 * @param conn a logged-in connection whose server has NAMESPACE
 * @example
 * ```ts
 * import { queryNamespacePrefix } from "./mailbox_commands.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await queryNamespacePrefix(conn); // ""
 * await conn.close();
 * ```
 */
export async function queryNamespacePrefix(conn: ImapConnection): Promise<string> {
  const { untagged } = await conn.run(["NAMESPACE"], "NAMESPACE");
  const personal = untagged.find((r) => r.kind === "NAMESPACE")?.values[0];
  const first = Array.isArray(personal) ? personal[0] : undefined;
  return Array.isArray(first) ? decodeMailboxName(valueText(first[0]) ?? "") : "";
}

/**
 * Mailboxes matching `pattern` (`*` any depth, `%` one level).
 *
 * @param conn a logged-in connection
 * @param pattern LIST pattern, e.g. `News.*` or an exact name
 * @example
 * ```ts
 * import { listMailboxes } from "./mailbox_commands.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * const boxes = await listMailboxes(conn, "*");
 * await conn.close();
 * ```
 */
export async function listMailboxes(conn: ImapConnection, pattern: string): Promise<MailboxInfo[]> {
  const { untagged } = await conn.run([`LIST "" `, mailboxArg(pattern)], "LIST");
  return untagged.filter((r) => r.kind === "LIST").map(toMailboxInfo);
}

/**
 * Creates `name` and any missing parent, and subscribes them. Existing mailboxes and INBOX are left alone.
 *
 * @param conn a logged-in connection
 * @param name full server name with the server's delimiter, e.g. `News.Tech`
 * @param delimiter the server's hierarchy delimiter (undefined: flat, `name` is one level)
 * @example
 * ```ts
 * import { createMailboxPath } from "./mailbox_commands.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await createMailboxPath(conn, "News.Tech", ".");
 * await conn.close();
 * ```
 */
export async function createMailboxPath(
  conn: ImapConnection,
  name: string,
  delimiter: string | undefined,
): Promise<void> {
  const levels = delimiter ? name.split(delimiter) : [name];
  const paths = levels.map((_, i) => levels.slice(0, i + 1).join(delimiter ?? ""))
    .filter((p) => p !== "" && p.toUpperCase() !== "INBOX");
  // One pipelined round trip tells which levels exist.
  const found = await Promise.all(paths.map((p) => listMailboxes(conn, p)));
  for (const [i, p] of paths.entries()) {
    if (found[i].some((m) => m.name === p)) continue;
    try {
      await conn.run(["CREATE ", mailboxArg(p)], "CREATE");
    } catch (e) {
      if (!(e instanceof ImapError) || e instanceof ImapConnectionError) throw e;
      if (e.responseCode !== "ALREADYEXISTS") {
        // The server's reason ("Mailbox name too long", "Begins with '~'") is about the name: show it.
        throw new ImapError(e.code, `cannot create IMAP folder '${p}': ${e.message}`, e.hint, {
          command: e.command,
          responseCode: e.responseCode,
          cause: e,
        });
      }
    }
    await conn.run(["SUBSCRIBE ", mailboxArg(p)], "SUBSCRIBE").catch((e) => {
      if (!(e instanceof ImapError) || e instanceof ImapConnectionError) throw e;
    });
  }
}

/**
 * Message count and next UID of a mailbox without selecting it (STATUS).
 *
 * @param conn a logged-in connection
 * @param mailbox full server name
 * @example
 * ```ts
 * import { mailboxStatus } from "./mailbox_commands.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * const { messages, uidNext } = await mailboxStatus(conn, "INBOX");
 * await conn.close();
 * ```
 */
export async function mailboxStatus(
  conn: ImapConnection,
  mailbox: string,
): Promise<{ messages: number; uidNext: number }> {
  const { untagged } = await conn.run(["STATUS ", mailboxArg(mailbox), " (MESSAGES UIDNEXT)"], "STATUS");
  const items = untagged.find((r) => r.kind === "STATUS")?.values[1];
  const get = (key: string) => {
    if (!Array.isArray(items)) return 0;
    const i = items.findIndex((v) => typeof v === "string" && v.toUpperCase() === key);
    return i < 0 ? 0 : Number(items[i + 1]);
  };
  return { messages: get("MESSAGES"), uidNext: get("UIDNEXT") };
}

function toMailboxInfo(r: ImapResponse): MailboxInfo {
  const [flags, delimiter, name] = r.values as [ImapValue[], ImapValue, ImapValue];
  return {
    flags: Array.isArray(flags) ? flags.map(String) : [],
    delimiter: valueText(delimiter),
    name: decodeMailboxName(valueText(name) ?? ""),
  };
}
