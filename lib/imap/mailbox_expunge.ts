/**
 * Removing messages from the selected mailbox: flag them `\Deleted` and expunge them, with UID EXPUNGE
 * (UIDPLUS, RFC 4315: only these messages go) or, on a server without it, a plain EXPUNGE (which also
 * removes any other message already flagged `\Deleted` in that folder); and adding flags to messages.
 * @module
 */
import { flagList } from "./command_syntax.ts";
import type { ImapConnection } from "./connection.ts";

/**
 * Adds `flags` to the messages `uids` of the mailbox selected read-write (`UID STORE +FLAGS.SILENT`).
 *
 * @param conn a connection with the mailbox selected read-write
 * @param uids message UIDs (at least one)
 * @param flags e.g. `["\\Seen", "$Important"]`
 * @example
 * ```ts
 * import { addFlags } from "./mailbox_expunge.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await conn.run(["SELECT INBOX"], "SELECT");
 * await addFlags(conn, [1], ["\\Seen"]); // nothing happens when there is no message 1
 * await conn.close();
 * ```
 */
export async function addFlags(conn: ImapConnection, uids: number[], flags: string[]): Promise<void> {
  await conn.run([`UID STORE ${uids.join(",")} +FLAGS.SILENT `, flagList(flags)], "UID STORE");
}

/**
 * Removes the messages `uids` from the mailbox selected read-write: `\Deleted`, then UID EXPUNGE when the
 * server has UIDPLUS, else EXPUNGE.
 *
 * @param conn a connection with the mailbox selected read-write
 * @param uids message UIDs (at least one)
 * @returns `uid` when only these messages were expunged, `all` when the fallback expunged every
 *   `\Deleted` message of the mailbox
 * @example
 * ```ts
 * import { expungeUids } from "./mailbox_expunge.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await conn.run(["SELECT INBOX"], "SELECT");
 * await expungeUids(conn, [1]);
 * await conn.close();
 * ```
 */
export async function expungeUids(conn: ImapConnection, uids: number[]): Promise<"uid" | "all"> {
  await addFlags(conn, uids, ["\\Deleted"]);
  if (conn.capabilities.has("UIDPLUS")) {
    await conn.run([`UID EXPUNGE ${uids.join(",")}`], "UID EXPUNGE");
    return "uid";
  }
  await conn.run(["EXPUNGE"], "EXPUNGE");
  return "all";
}
