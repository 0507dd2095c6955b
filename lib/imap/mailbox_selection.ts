/**
 * Which mailbox is selected: SELECT (or read-only EXAMINE) when another one is asked for, and only a
 * NOOP when it is the selected one again, which also makes newly arrived messages visible.
 * @module
 */
import { mailboxArg } from "./command_syntax.ts";
import type { ImapConnection } from "./connection.ts";
import type { ImapResponse } from "./response_parser.ts";

/**
 * The selected mailbox of one connection.
 *
 * @example
 * ```ts
 * import { MailboxSelection } from "./mailbox_selection.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * const selection = new MailboxSelection(conn);
 * const count = await selection.select("INBOX", true);
 * await conn.close();
 * ```
 */
export class MailboxSelection {
  #conn: ImapConnection;
  #selected?: { name: string; readOnly: boolean };

  /**
   * Nothing selected yet.
   *
   * @param conn a logged-in connection
   */
  constructor(conn: ImapConnection) {
    this.#conn = conn;
  }

  /**
   * Selects `mailbox` unless it is selected already (in the same mode).
   *
   * @param mailbox full server name
   * @param readOnly EXAMINE instead of SELECT
   * @returns the number of messages (EXISTS)
   */
  async select(mailbox: string, readOnly: boolean): Promise<number> {
    if (this.#selected?.name === mailbox && this.#selected.readOnly === readOnly) {
      const { untagged } = await this.#conn.run(["NOOP"], "NOOP");
      const exists = lastExists(untagged);
      if (exists !== undefined) return exists;
    }
    this.#selected = undefined;
    const { untagged } = await this.#conn.run(
      [readOnly ? "EXAMINE " : "SELECT ", mailboxArg(mailbox)],
      "SELECT",
    );
    this.#selected = { name: mailbox, readOnly };
    return lastExists(untagged) ?? 0;
  }
}

function lastExists(untagged: ImapResponse[]): number | undefined {
  return untagged.findLast((r) => r.kind === "EXISTS")?.number;
}
