/**
 * Looking into the selected mailbox for messages that may already be there (an upload whose answer was
 * lost is in doubt): UID SEARCH by header value, pipelined when the server has ESEARCH (its answers name
 * their command), and UID FETCH of INTERNALDATE or of one header.
 * @module
 */
import { astring, type CommandPart, quoted } from "./command_syntax.ts";
import type { ImapConnection } from "./connection.ts";
import { headerValue } from "./header_value.ts";
import { type ImapResponse, type ImapValue, valueText } from "./response_parser.ts";
import { expandSequenceSet } from "./sequence_set.ts";

/**
 * UIDs of the messages in the selected mailbox whose header `header` contains each of `values` (IMAP
 * substring match, case insensitive): one UID SEARCH per value, pipelined with ESEARCH, else one after
 * another.
 *
 * @param conn a connection with the mailbox selected
 * @param header header name, e.g. `X-Sluice-Entry-Id`
 * @param values the texts to look for
 * @returns value -> matching UIDs (empty array when none)
 * @example
 * ```ts
 * import { searchHeader } from "./mailbox_search.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await conn.run(["EXAMINE INBOX"], "SELECT");
 * const found = await searchHeader(conn, "X-Sluice-Entry-Id", ["urn:entry:1"]);
 * await conn.close();
 * ```
 */
export async function searchHeader(
  conn: ImapConnection,
  header: string,
  values: string[],
): Promise<Map<string, number[]>> {
  const esearch = conn.capabilities.has("ESEARCH");
  const search = async (value: string): Promise<number[]> => {
    const ascii = /^[\x20-\x7e]*$/.test(value);
    const parts: CommandPart[] = [
      "UID SEARCH ",
      esearch ? "RETURN (ALL) " : "",
      ascii ? "" : "CHARSET UTF-8 ",
      "HEADER ",
      astring(header),
      " ",
      ascii ? quoted(value) : astring(value),
    ];
    return searchUids((await conn.run(parts, "UID SEARCH")).untagged);
  };
  const out = new Map<string, number[]>();
  if (esearch) {
    const found = await Promise.all(values.map(search));
    values.forEach((v, i) => out.set(v, found[i]));
  } else {
    for (const v of values) out.set(v, await search(v));
  }
  return out;
}

/**
 * INTERNALDATE of every message in the selected mailbox (which must not be empty), by UID, as the
 * server writes it (`05-Mar-2024 07:08:09 +0000`).
 *
 * @param conn a connection with a non-empty mailbox selected
 * @returns UID -> internal date text
 * @example
 * ```ts
 * import { fetchInternalDates } from "./mailbox_search.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await conn.run(["EXAMINE INBOX"], "SELECT");
 * const dates = await fetchInternalDates(conn);
 * await conn.close();
 * ```
 */
export async function fetchInternalDates(conn: ImapConnection): Promise<Map<number, string>> {
  const { untagged } = await conn.run(["UID FETCH 1:* (INTERNALDATE)"], "UID FETCH");
  const out = new Map<number, string>();
  for (const items of fetchedItems(untagged)) {
    const field = (k: string) => items[itemIndex(items, k) + 1];
    out.set(Number(field("UID")), valueText(field("INTERNALDATE")) ?? "");
  }
  return out;
}

/**
 * The value of one header of the given messages in the selected mailbox: unfolded, MIME encoded-words
 * decoded, trimmed (the first occurrence).
 *
 * @param conn a connection with the mailbox selected
 * @param uids message UIDs (at least one)
 * @param header header name
 * @returns UID -> header value (messages without the header are left out)
 * @example
 * ```ts
 * import { fetchHeaderValues } from "./mailbox_search.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await conn.run(["EXAMINE INBOX"], "SELECT");
 * const ids = await fetchHeaderValues(conn, [1, 2], "X-Sluice-Entry-Id");
 * await conn.close();
 * ```
 */
export async function fetchHeaderValues(
  conn: ImapConnection,
  uids: number[],
  header: string,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const { untagged } = await conn.run(
    [`UID FETCH ${uids.join(",")} (UID BODY.PEEK[HEADER.FIELDS (`, astring(header), ")])"],
    "UID FETCH",
  );
  for (const items of fetchedItems(untagged)) {
    const uidAt = itemIndex(items, "UID");
    const body = valueText(
      items.find((_v, i) => i > 0 && String(items[i - 1]).toUpperCase().startsWith("BODY[")),
    );
    if (uidAt < 0 || body === undefined) continue;
    const value = headerValue(body, header);
    if (value !== undefined) out.set(Number(items[uidAt + 1]), value);
  }
  return out;
}

/**
 * The flags and some headers of one stored message, as {@linkcode fetchFlagsAndHeaders} reads them.
 *
 * @example
 * ```ts
 * const m: StoredMessage = { uid: 7, flags: ["\\Seen"], headers: { "x-sluice-entry-id": "urn:1" } };
 * ```
 */
export interface StoredMessage {
  uid: number;
  /** Its flags and keywords, as the server lists them (`\Seen`, `$Important`, `\Recent`...). */
  flags: string[];
  /** The headers asked for, by lower-case name (unfolded, decoded); absent ones are left out. */
  headers: Record<string, string>;
}

/**
 * Flags and the headers `headers` of the given messages in the selected mailbox (one UID FETCH,
 * `BODY.PEEK`: nothing is marked read). UIDs the mailbox does not hold are left out.
 *
 * @param conn a connection with the mailbox selected
 * @param uids message UIDs (at least one)
 * @param headers header names
 * @returns the messages found, by ascending UID
 * @example
 * ```ts
 * import { fetchFlagsAndHeaders } from "./mailbox_search.ts";
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await conn.run(["EXAMINE INBOX"], "SELECT");
 * const found = await fetchFlagsAndHeaders(conn, [1], ["X-Sluice-Entry-Id"]); // [] in an empty INBOX
 * await conn.close();
 * ```
 */
export async function fetchFlagsAndHeaders(
  conn: ImapConnection,
  uids: number[],
  headers: string[],
): Promise<StoredMessage[]> {
  const names: CommandPart[] = headers.flatMap((h, i) => (i === 0 ? [astring(h)] : [" ", astring(h)]));
  const { untagged } = await conn.run(
    [`UID FETCH ${uids.join(",")} (UID FLAGS BODY.PEEK[HEADER.FIELDS (`, ...names, ")])"],
    "UID FETCH",
  );
  const out: StoredMessage[] = [];
  for (const items of fetchedItems(untagged)) {
    const uidAt = itemIndex(items, "UID");
    const flagsAt = itemIndex(items, "FLAGS");
    if (uidAt < 0) continue;
    const body = valueText(
      items.find((_v, i) => i > 0 && String(items[i - 1]).toUpperCase().startsWith("BODY[")),
    ) ?? "";
    const flags = flagsAt >= 0 && Array.isArray(items[flagsAt + 1])
      ? (items[flagsAt + 1] as ImapValue[]).map(String)
      : [];
    const values: Record<string, string> = {};
    for (const h of headers) {
      const v = headerValue(body, h);
      if (v !== undefined) values[h.toLowerCase()] = v;
    }
    out.push({ uid: Number(items[uidAt + 1]), flags, headers: values });
  }
  // A FETCH response may also come unasked (another session changed flags): only the UIDs asked count.
  const asked = new Set(uids);
  return out.filter((m) => asked.has(m.uid)).sort((a, b) => a.uid - b.uid);
}

function searchUids(untagged: ImapResponse[]): number[] {
  const out: number[] = [];
  for (const r of untagged) {
    if (r.kind === "SEARCH") out.push(...r.values.map(Number));
    if (r.kind === "ESEARCH") {
      const i = r.values.findIndex((v) => typeof v === "string" && v.toUpperCase() === "ALL");
      if (i >= 0) out.push(...expandSequenceSet(String(r.values[i + 1])));
    }
  }
  return out;
}

/** The item lists (`UID 5 INTERNALDATE "..."`) of the FETCH responses among `untagged`. */
function* fetchedItems(untagged: ImapResponse[]): Generator<ImapValue[]> {
  for (const r of untagged) {
    const items = r.kind === "FETCH" ? r.values[0] : undefined;
    if (Array.isArray(items)) yield items;
  }
}

/** Where the item named `name` is in a FETCH item list, or -1. */
function itemIndex(items: ImapValue[], name: string): number {
  return items.findIndex((v) => String(v).toUpperCase() === name);
}
