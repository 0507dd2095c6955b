/**
 * APPEND of many messages: as one MULTIAPPEND command (RFC 3502: all or none stored, 3-5x faster on
 * Dovecot because it syncs once), as APPENDs written all at once and answered together (pipelined), or
 * one at a time (the slow baseline). Each message is a literal (how literals go out, LITERAL+ or not,
 * is `command_writer.ts`'s business); with UIDPLUS the server reports the new UIDs.
 * @module
 */
import { type CommandPart, flagList, internalDate, mailboxArg } from "./command_syntax.ts";
import type { CommandResult, ImapConnection } from "./connection.ts";
import { expandSequenceSet } from "./sequence_set.ts";

/**
 * One message to append.
 *
 * @example
 * ```ts
 * const m: AppendMessage = { raw: new TextEncoder().encode("Subject: x\r\n\r\nhi\r\n"), date: new Date() };
 * ```
 */
export interface AppendMessage {
  /** The whole RFC 5322 message with CRLF line endings. */
  raw: Uint8Array;
  /** Becomes the INTERNALDATE (the date mail clients sort by). */
  date?: Date;
  /** e.g. `["\\Seen"]`. */
  flags?: string[];
}

/**
 * How {@linkcode appendMessages} sends several messages: `auto` picks MULTIAPPEND when the server
 * offers it, else `pipelined` (all APPENDs written at once, answers awaited together); `sequential`
 * awaits each APPEND before the next (the slow baseline).
 *
 * @example
 * ```ts
 * const mode: AppendMode = "pipelined";
 * ```
 */
export type AppendMode = "auto" | "multiappend" | "pipelined" | "sequential";

/**
 * What the server reported for appended messages (UIDPLUS), when it reports it.
 *
 * @example
 * ```ts
 * const r: AppendResult = { mode: "multiappend", uidValidity: 1700000000, uids: [5, 6] };
 * ```
 */
export interface AppendResult {
  /** The way the messages were sent. */
  mode: Exclude<AppendMode, "auto">;
  uidValidity?: number;
  /** UIDs of the new messages in order, when the server has UIDPLUS. */
  uids?: number[];
}

/**
 * What happened to one message of {@linkcode appendEach}.
 *
 * @example
 * ```ts
 * const o: AppendOutcome = { ok: true, uidValidity: 1, uids: [7] };
 * ```
 */
export interface AppendOutcome {
  /** Whether the server stored the message. */
  ok: boolean;
  /** Why not, when `ok` is false. */
  error?: unknown;
  uidValidity?: number;
  /** The new UID (one element), with UIDPLUS. */
  uids?: number[];
}

/**
 * Appends `messages` to `mailbox` the way `mode` says (see `ImapClient.append`).
 *
 * @param conn a logged-in connection
 * @param mailbox full server name
 * @param messages the messages with their dates and flags
 * @param mode how to send them
 * @param multiappendAllowed false to never use MULTIAPPEND, even when the server offers it
 * @returns the mode used and, with UIDPLUS, the new UIDs
 * @throws {RangeError} for `multiappend` when it is not available
 * @example
 * ```ts
 * import { appendMessages } from "./append_command.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await appendMessages(conn, "INBOX", [{ raw: new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n") }], "auto", true);
 * await conn.close();
 * ```
 */
export async function appendMessages(
  conn: ImapConnection,
  mailbox: string,
  messages: AppendMessage[],
  mode: AppendMode,
  multiappendAllowed: boolean,
): Promise<AppendResult> {
  if (messages.length === 0) return { mode: "multiappend", uids: [] };
  const multi = multiappendAllowed && conn.capabilities.has("MULTIAPPEND");
  const chosen = mode === "auto" ? (multi && messages.length > 1 ? "multiappend" : "pipelined") : mode;
  if (chosen === "multiappend" && !multi) {
    throw new RangeError(`${conn.label}: MULTIAPPEND is not available (server or disableMultiappend)`);
  }
  const target = mailboxArg(mailbox);
  if (chosen === "multiappend") {
    const r = await conn.run(["APPEND ", target, ...messages.flatMap(appendArgs)], "APPEND");
    return { mode: chosen, ...appendUids(r, conn) };
  }
  const results: CommandResult[] = [];
  if (chosen === "sequential") {
    for (const m of messages) {
      results.push(await conn.run(["APPEND ", target, ...appendArgs(m)], "APPEND"));
    }
  } else {
    const outcomes = await appendEach(conn, mailbox, messages);
    const failed = outcomes.find((o) => !o.ok);
    if (failed) throw failed.error;
    return { mode: chosen, uidValidity: outcomes[0].uidValidity, uids: uidsOf(outcomes) };
  }
  const each = results.map((r) => appendUids(r, conn));
  return {
    mode: chosen,
    uidValidity: each[0]?.uidValidity,
    uids: uidsOf(each.map((u) => ({ ok: true, ...u }))),
  };
}

/**
 * Appends each message with its own APPEND, all pipelined; one refused message does not stop the others.
 *
 * @param conn a logged-in connection
 * @param mailbox full server name
 * @param messages the messages
 * @returns one outcome per message, in order
 * @example
 * ```ts
 * import { appendEach } from "./append_command.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * const raw = new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n");
 * const outcomes = await appendEach(conn, "INBOX", [{ raw }, { raw }]);
 * await conn.close();
 * ```
 */
export async function appendEach(
  conn: ImapConnection,
  mailbox: string,
  messages: AppendMessage[],
): Promise<AppendOutcome[]> {
  const target = mailboxArg(mailbox);
  const settled = await Promise.allSettled(
    messages.map((m) => conn.run(["APPEND ", target, ...appendArgs(m)], "APPEND")),
  );
  return settled.map((s) =>
    s.status === "fulfilled" ? { ok: true, ...appendUids(s.value, conn) } : { ok: false, error: s.reason }
  );
}

/** One message's part of an APPEND: ` [(flags) ]["date" ]{literal}`. */
function appendArgs(m: AppendMessage): CommandPart[] {
  const parts: CommandPart[] = [" "];
  if (m.flags?.length) parts.push(flagList(m.flags), " ");
  if (m.date) parts.push(internalDate(m.date), " ");
  parts.push({ literal: m.raw });
  return parts;
}

/** One UID per message, or undefined when the server did not report every one. */
function uidsOf(outcomes: AppendOutcome[]): number[] | undefined {
  return outcomes.every((o) => o.uids?.length === 1) ? outcomes.map((o) => o.uids![0]) : undefined;
}

/** The new UIDs from APPENDUID; without UIDPLUS announced there are none (the caller works without). */
function appendUids(r: CommandResult, conn: ImapConnection): { uidValidity?: number; uids?: number[] } {
  if (!conn.capabilities.has("UIDPLUS")) return {};
  const m = /^APPENDUID (\d+) (\S+)$/i.exec(r.done.code ?? "");
  return m ? { uidValidity: Number(m[1]), uids: expandSequenceSet(m[2]) } : {};
}
