/**
 * The IMAP commands sluice needs, on one {@linkcode ImapConnection}: connect with TLS policy and login,
 * LIST/CREATE of folders, APPEND as MULTIAPPEND (RFC 3502: many messages in one command, 3-5x faster on
 * Dovecot because it syncs once), pipelined or one at a time, SELECT/STATUS, header search and LOGOUT.
 * Not safe for concurrent use from several owners: one client, one caller at a time (pipelining happens
 * inside single calls).
 * @module
 */
import { ImapConnection } from "./connection.ts";
import type { CommandResult } from "./connection.ts";
import { astring, type CommandPart, flagList, internalDate, mailboxArg, quoted } from "./command_syntax.ts";
import { ImapConnectionError, ImapError } from "./errors.ts";
import { endpointLabel, type ImapEndpoint, isLoopbackHost, parseImapUrl } from "./imap_url.ts";
import { checkPlaintextLogin } from "./tls_policy.ts";
import { headerValue } from "./header_value.ts";
import { decodeMailboxName } from "./mailbox_name.ts";
import { type ImapResponse, type ImapValue, valueText } from "./response_parser.ts";
import { expandSequenceSet } from "./sequence_set.ts";

/**
 * Connection options besides the URL.
 *
 * @example
 * ```ts
 * const o: ImapClientOptions = { ca: "-----BEGIN CERTIFICATE-----...", connectTimeoutMs: 5000 };
 * ```
 */
export interface ImapClientOptions {
  /** Extra trusted CA certificates (PEM), e.g. a self-signed test server's certificate. */
  ca?: string | string[];
  /** Verify the server certificate (default true). Turn off only for a test server. */
  tlsRejectUnauthorized?: boolean;
  /** Allow a login without TLS to a non-loopback host (same as `?tls=off` in the URL). */
  allowPlaintext?: boolean;
  /** Never use MULTIAPPEND even when offered (for benchmarks and tests of the fallback). */
  disableMultiappend?: boolean;
  /** Time to connect, finish TLS and get the greeting. Default 15 s. */
  connectTimeoutMs?: number;
  /** Longest server silence while a command is in flight. Default 60 s. */
  commandTimeoutMs?: number;
}

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
 * How {@linkcode ImapClient.append} sends several messages: `auto` picks MULTIAPPEND when the server
 * offers it, else `pipelined` (all APPENDs written at once, answers awaited together); `sequential`
 * awaits each APPEND before the next (the slow baseline).
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
 * What happened to one message of {@linkcode ImapClient.appendEach}.
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
 * A logged-in IMAP session.
 *
 * @example
 * ```ts
 * import { ImapClient } from "./client.ts";
 * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
 * await client.ensureMailbox("News.Tech");
 * await client.append("News.Tech", [{ raw: new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n") }]);
 * await client.logout();
 * ```
 */
export class ImapClient {
  /** Where this session is connected (no credentials). */
  readonly endpoint: Readonly<Omit<ImapEndpoint, "password">>;
  #conn: ImapConnection;
  #options: ImapClientOptions;
  #delimiter?: string | null;
  #prefix?: string;
  #selected?: { name: string; readOnly: boolean };

  private constructor(conn: ImapConnection, endpoint: ImapEndpoint, options: ImapClientOptions) {
    this.#conn = conn;
    const { password: _password, ...rest } = endpoint;
    this.endpoint = rest;
    this.#options = options;
  }

  /**
   * Connects, secures the connection (imaps, or STARTTLS when offered) and logs in.
   *
   * Plaintext logins are refused unless the host is loopback, the URL says `?tls=off`, or
   * `allowPlaintext` is set: a password should not cross a network in the clear.
   *
   * @param url `imap://user:pass@host:port` or `imaps://...`
   * @param options TLS trust, timeouts, plaintext permission
   * @returns the logged-in client
   * @throws {ImapError} `E_IMAP_AUTH` (login refused), `E_IMAP_TLS`, `E_IMAP_PLAINTEXT`, `E_IMAP_URL`
   * @throws {ImapConnectionError} when the server cannot be reached
   * @example
   * ```ts
   * import { readFileSync } from "node:fs";
   * const pem = readFileSync("ca.pem", "utf8");
   * const c = await ImapClient.connect("imaps://bob:secret@mail.example", { ca: pem });
   * ```
   */
  static async connect(url: string, options: ImapClientOptions = {}): Promise<ImapClient> {
    const endpoint = parseImapUrl(url);
    const label = `${endpoint.user}@${endpointLabel(endpoint).replace(/^imaps?:\/\//, "")}`;
    const conn = await ImapConnection.open({
      host: endpoint.host,
      port: endpoint.port,
      implicitTls: endpoint.implicitTls,
      label,
      ca: options.ca,
      tlsRejectUnauthorized: options.tlsRejectUnauthorized,
      connectTimeoutMs: options.connectTimeoutMs,
      commandTimeoutMs: options.commandTimeoutMs,
      secrets: [endpoint.password, encodeURIComponent(endpoint.password)],
    });
    try {
      const client = new ImapClient(conn, endpoint, options);
      if (conn.greeting?.status !== "PREAUTH") {
        await client.#secure(endpoint);
        await client.#login(endpoint);
      }
      if (conn.capabilities.size === 0) await client.capability();
      return client;
    } catch (e) {
      await conn.close();
      throw e;
    }
  }

  /** Capabilities in upper case (`IMAP4REV1`, `LITERAL+`, `MULTIAPPEND`, `UIDPLUS`, ...). */
  get capabilities(): ReadonlySet<string> {
    return this.#conn.capabilities;
  }

  /** Whether the connection is encrypted. */
  get secure(): boolean {
    return this.#conn.secure;
  }

  /** Whether the connection failed (then every command rejects with `ImapConnectionError`). */
  get broken(): boolean {
    return this.#conn.broken !== undefined;
  }

  /**
   * Asks for the capabilities again.
   *
   * @returns the capability set
   * @example
   * ```ts
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * (await client.capability()).has("MULTIAPPEND");
   * ```
   */
  async capability(): Promise<ReadonlySet<string>> {
    await this.#conn.run(["CAPABILITY"], "CAPABILITY");
    return this.#conn.capabilities;
  }

  async #secure(endpoint: ImapEndpoint): Promise<void> {
    if (endpoint.implicitTls || endpoint.tls === "off") return;
    if (this.#conn.capabilities.size === 0) await this.capability();
    // On loopback nothing crosses a network, and local servers mostly have self-signed certificates:
    // `tls=auto` stays in plaintext there; `tls=starttls` insists.
    const upgrade = endpoint.tls === "starttls" || !isLoopbackHost(endpoint.host);
    if (upgrade && this.#conn.capabilities.has("STARTTLS")) {
      await this.#conn.startTls();
      await this.capability();
      return;
    }
    checkPlaintextLogin(endpoint, this.#options.allowPlaintext ?? false);
  }

  async #login(endpoint: ImapEndpoint): Promise<void> {
    const caps = this.#conn.capabilities;
    const plainSasl = caps.has("AUTH=PLAIN");
    try {
      if (plainSasl && (caps.has("LOGINDISABLED") || needsSasl(endpoint))) {
        const token = btoa(
          String.fromCharCode(...new TextEncoder().encode(`\0${endpoint.user}\0${endpoint.password}`)),
        );
        const parts: CommandPart[] = caps.has("SASL-IR")
          ? [`AUTHENTICATE PLAIN ${token}`]
          : ["AUTHENTICATE PLAIN", { afterContinuation: token }];
        await this.#conn.run(parts, "AUTHENTICATE PLAIN");
      } else if (caps.has("LOGINDISABLED")) {
        throw new ImapError(
          "E_IMAP_AUTH",
          `${this.#conn.label}: the server disables LOGIN and offers no AUTH=PLAIN`,
          "use imaps:// or a server that allows PLAIN authentication over TLS",
        );
      } else {
        await this.#conn.run(["LOGIN ", astring(endpoint.user), " ", astring(endpoint.password)], "LOGIN");
      }
    } catch (e) {
      if (!(e instanceof ImapError) || e instanceof ImapConnectionError || e.code === "E_IMAP_AUTH") throw e;
      throw new ImapError(
        "E_IMAP_AUTH",
        `login as ${endpoint.user} on ${endpointLabel(endpoint)} refused: ${
          e.message.replace(/^.*? failed: /, "")
        }`,
        "check the user name and password in the IMAP URL (percent-encode @ : / and % in them)",
        { command: e.command, responseCode: e.responseCode, cause: e },
      );
    }
  }

  /**
   * The hierarchy delimiter of the personal namespace (`LIST "" ""`), cached; undefined when flat.
   *
   * @example
   * ```ts
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * await client.delimiter(); // "." on a default Dovecot
   * ```
   */
  async delimiter(): Promise<string | undefined> {
    if (this.#delimiter === undefined) {
      const { untagged } = await this.#conn.run(['LIST "" ""'], "LIST");
      const list = untagged.find((r) => r.kind === "LIST");
      this.#delimiter = list ? valueText(list.values[1]) ?? null : null;
    }
    return this.#delimiter ?? undefined;
  }

  /**
   * The prefix of the personal namespace (`INBOX.` on Courier and Cyrus, empty on Dovecot), cached.
   *
   * @example
   * ```ts
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * await client.namespacePrefix(); // ""
   * ```
   */
  async namespacePrefix(): Promise<string> {
    if (this.#prefix === undefined) {
      this.#prefix = "";
      if (this.capabilities.has("NAMESPACE")) {
        const { untagged } = await this.#conn.run(["NAMESPACE"], "NAMESPACE");
        const personal = untagged.find((r) => r.kind === "NAMESPACE")?.values[0];
        const first = Array.isArray(personal) ? personal[0] : undefined;
        if (Array.isArray(first)) this.#prefix = decodeMailboxName(valueText(first[0]) ?? "");
      }
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
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * const boxes = await client.list("*");
   * ```
   */
  async list(pattern: string): Promise<MailboxInfo[]> {
    const { untagged } = await this.#conn.run([`LIST "" `, mailboxArg(pattern)], "LIST");
    return untagged.filter((r) => r.kind === "LIST").map(toMailboxInfo);
  }

  /**
   * Creates `name` and any missing parent, and subscribes them (mail clients often show only subscribed
   * folders). Existing mailboxes are left alone.
   *
   * @param name full server name with the server's delimiter, e.g. `News.Tech`
   * @example
   * ```ts
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * await client.ensureMailbox("News.Tech");
   * ```
   */
  async ensureMailbox(name: string): Promise<void> {
    if (name.toUpperCase() === "INBOX") return;
    const delimiter = await this.delimiter();
    const levels = delimiter ? name.split(delimiter) : [name];
    const paths = levels.map((_, i) => levels.slice(0, i + 1).join(delimiter ?? ""))
      .filter((p) => p !== "" && p.toUpperCase() !== "INBOX");
    // One pipelined round trip tells which levels exist.
    const found = await Promise.all(paths.map((p) => this.list(p)));
    for (const [i, p] of paths.entries()) {
      if (found[i].some((m) => m.name === p)) continue;
      try {
        await this.#conn.run(["CREATE ", mailboxArg(p)], "CREATE");
      } catch (e) {
        if (!(e instanceof ImapError) || e.responseCode !== "ALREADYEXISTS") throw e;
      }
      await this.#conn.run(["SUBSCRIBE ", mailboxArg(p)], "SUBSCRIBE").catch((e) => {
        if (!(e instanceof ImapError) || e instanceof ImapConnectionError) throw e;
      });
    }
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
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * const raw = new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n");
   * await client.append("INBOX", [{ raw, date: new Date("2024-01-02T03:04:05Z"), flags: ["\\Seen"] }]);
   * ```
   */
  async append(mailbox: string, messages: AppendMessage[], mode: AppendMode = "auto"): Promise<AppendResult> {
    if (messages.length === 0) return { mode: "multiappend", uids: [] };
    const multi = !this.#options.disableMultiappend && this.capabilities.has("MULTIAPPEND");
    const chosen = mode === "auto" ? (multi && messages.length > 1 ? "multiappend" : "pipelined") : mode;
    if (chosen === "multiappend" && !multi) {
      throw new RangeError(
        `${this.#conn.label}: MULTIAPPEND is not available (server or disableMultiappend)`,
      );
    }
    const target = mailboxArg(mailbox);
    if (chosen === "multiappend") {
      const r = await this.#conn.run(["APPEND ", target, ...messages.flatMap(appendArgs)], "APPEND");
      return { mode: chosen, ...appendUids(r) };
    }
    const results: CommandResult[] = [];
    if (chosen === "sequential") {
      for (const m of messages) {
        results.push(await this.#conn.run(["APPEND ", target, ...appendArgs(m)], "APPEND"));
      }
    } else {
      const outcomes = await this.appendEach(mailbox, messages);
      const failed = outcomes.find((o) => !o.ok);
      if (failed) throw failed.error;
      return { mode: chosen, uidValidity: outcomes[0].uidValidity, uids: uidsOf(outcomes) };
    }
    const each = results.map(appendUids);
    return {
      mode: chosen,
      uidValidity: each[0]?.uidValidity,
      uids: uidsOf(each.map((u) => ({ ok: true, ...u }))),
    };
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
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * const raw = new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n");
   * const outcomes = await client.appendEach("INBOX", [{ raw }, { raw }]);
   * ```
   */
  async appendEach(mailbox: string, messages: AppendMessage[]): Promise<AppendOutcome[]> {
    const target = mailboxArg(mailbox);
    const settled = await Promise.allSettled(
      messages.map((m) => this.#conn.run(["APPEND ", target, ...appendArgs(m)], "APPEND")),
    );
    return settled.map((s) =>
      s.status === "fulfilled" ? { ok: true, ...appendUids(s.value) } : { ok: false, error: s.reason }
    );
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
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * const n = await client.select("INBOX");
   * ```
   */
  async select(mailbox: string, readOnly = true): Promise<number> {
    if (this.#selected?.name === mailbox && this.#selected.readOnly === readOnly) {
      const { untagged } = await this.#conn.run(["NOOP"], "NOOP");
      const exists = untagged.findLast((r) => r.kind === "EXISTS")?.number;
      if (exists !== undefined) return exists;
    }
    this.#selected = undefined;
    const { untagged } = await this.#conn.run(
      [readOnly ? "EXAMINE " : "SELECT ", mailboxArg(mailbox)],
      "SELECT",
    );
    this.#selected = { name: mailbox, readOnly };
    return untagged.findLast((r) => r.kind === "EXISTS")?.number ?? 0;
  }

  /**
   * Message count and next UID of a mailbox without selecting it.
   *
   * @param mailbox full server name
   * @returns `{ messages, uidNext }`
   * @example
   * ```ts
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * const { messages } = await client.status("INBOX");
   * ```
   */
  async status(mailbox: string): Promise<{ messages: number; uidNext: number }> {
    const { untagged } = await this.#conn.run(
      ["STATUS ", mailboxArg(mailbox), " (MESSAGES UIDNEXT)"],
      "STATUS",
    );
    const items = untagged.find((r) => r.kind === "STATUS")?.values[1];
    const get = (key: string) => {
      if (!Array.isArray(items)) return 0;
      const i = items.findIndex((v) => typeof v === "string" && v.toUpperCase() === key);
      return i < 0 ? 0 : Number(items[i + 1]);
    };
    return { messages: get("MESSAGES"), uidNext: get("UIDNEXT") };
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
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * const uids = await client.searchHeader("News", "X-Sluice-Entry-Id", "urn:entry:1");
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
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * const found = await client.searchHeaderMany("News", "X-Sluice-Entry-Id", ["a", "b"]);
   * ```
   */
  async searchHeaderMany(mailbox: string, header: string, values: string[]): Promise<Map<string, number[]>> {
    await this.select(mailbox);
    const esearch = this.capabilities.has("ESEARCH");
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
      return searchUids((await this.#conn.run(parts, "UID SEARCH")).untagged);
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
   * INTERNALDATE of every message in `mailbox`, by UID, as the server writes it
   * (`05-Mar-2024 07:08:09 +0000`).
   *
   * @param mailbox full server name
   * @returns UID -> internal date text
   * @example
   * ```ts
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * const dates = await client.internalDates("INBOX");
   * ```
   */
  async internalDates(mailbox: string): Promise<Map<number, string>> {
    if (await this.select(mailbox) === 0) return new Map();
    const { untagged } = await this.#conn.run(["UID FETCH 1:* (INTERNALDATE)"], "UID FETCH");
    const out = new Map<number, string>();
    for (const r of untagged) {
      const items = r.kind === "FETCH" ? r.values[0] : undefined;
      if (!Array.isArray(items)) continue;
      const field = (k: string) => items[items.findIndex((v) => String(v).toUpperCase() === k) + 1];
      out.set(Number(field("UID")), valueText(field("INTERNALDATE")) ?? "");
    }
    return out;
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
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * const ids = await client.headerValues("News", [1, 2], "X-Sluice-Entry-Id");
   * ```
   */
  async headerValues(mailbox: string, uids: number[], header: string): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    if (uids.length === 0) return out;
    await this.select(mailbox);
    const { untagged } = await this.#conn.run(
      [`UID FETCH ${uids.join(",")} (UID BODY.PEEK[HEADER.FIELDS (`, astring(header), ")])"],
      "UID FETCH",
    );
    for (const r of untagged) {
      const items = r.kind === "FETCH" ? r.values[0] : undefined;
      if (!Array.isArray(items)) continue;
      const uidAt = items.findIndex((v) => String(v).toUpperCase() === "UID");
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
   * Sends NOOP (keeps the session alive, shows new messages of the selected mailbox).
   *
   * @example
   * ```ts
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * await client.noop();
   * ```
   */
  async noop(): Promise<void> {
    await this.#conn.run(["NOOP"], "NOOP");
  }

  /**
   * Says LOGOUT (politely, when the connection still works) and closes the socket. Never throws.
   *
   * @example
   * ```ts
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * await client.logout();
   * ```
   */
  async logout(): Promise<void> {
    if (!this.#conn.broken) {
      // A polite goodbye, but a shutdown must not wait a full command timeout for a stuck server.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#conn.run(["LOGOUT"], "LOGOUT").catch(() => {}),
        new Promise<void>((resolve) => timer = setTimeout(resolve, LOGOUT_WAIT_MS)),
      ]);
      clearTimeout(timer);
    }
    await this.#conn.close();
  }

  /**
   * Closes the socket without LOGOUT (for a connection that is broken or being abandoned).
   *
   * @example
   * ```ts
   * const client = await ImapClient.connect("imap://bob:secret@127.0.0.1:1143");
   * await client.close();
   * ```
   */
  async close(): Promise<void> {
    await this.#conn.close();
  }
}

/** How long LOGOUT may take before the socket is closed anyway. */
const LOGOUT_WAIT_MS = 3_000;

/** The user or password needs SASL PLAIN: LOGIN's astring cannot carry NUL, and 8-bit is safer in SASL. */
function needsSasl(e: ImapEndpoint): boolean {
  return /[^\x20-\x7e]/.test(e.user + e.password);
}

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

function appendUids(r: CommandResult): { uidValidity?: number; uids?: number[] } {
  const m = /^APPENDUID (\d+) (\S+)$/i.exec(r.done.code ?? "");
  return m ? { uidValidity: Number(m[1]), uids: expandSequenceSet(m[2]) } : {};
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

function toMailboxInfo(r: ImapResponse): MailboxInfo {
  const [flags, delimiter, name] = r.values as [ImapValue[], ImapValue, ImapValue];
  return {
    flags: Array.isArray(flags) ? flags.map(String) : [],
    delimiter: valueText(delimiter),
    name: decodeMailboxName(valueText(name) ?? ""),
  };
}
