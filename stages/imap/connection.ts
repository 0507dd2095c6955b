/**
 * One IMAP connection over `node:net` / `node:tls`: tags, pipelining (commands are written without
 * waiting for earlier answers, and answers are matched by tag), literals (non-synchronising with
 * LITERAL+, else waiting for the server's `+`), STARTTLS, timeouts, and failure: when the socket drops,
 * times out or the server says BYE, every command in flight is rejected with `ImapConnectionError`.
 * The commands themselves (LOGIN, APPEND, ...) are in `client.ts`.
 * @module
 */
import net from "node:net";
import tls from "node:tls";
import type { CommandPart } from "./command_syntax.ts";
import { ImapConnectionError, ImapError } from "./errors.ts";
import { ResponseReader } from "./response_reader.ts";
import { type ImapResponse, parseResponse } from "./response_parser.ts";

/**
 * How to reach the server and how long to wait.
 *
 * @example
 * ```ts
 * const o: ConnectionOptions = { host: "127.0.0.1", port: 143, implicitTls: false, label: "bob@127.0.0.1:143" };
 * ```
 */
export interface ConnectionOptions {
  host: string;
  port: number;
  /** TLS from the first byte (imaps). */
  implicitTls: boolean;
  /** Names the connection in errors, e.g. `bob@mail.example:993` (no password). */
  label: string;
  /** Extra trusted CA certificates (PEM), e.g. a test server's self-signed cert. */
  ca?: string | string[];
  /** Verify the server certificate (default true). */
  tlsRejectUnauthorized?: boolean;
  /** Time to connect, finish TLS and receive the greeting. Default 15 s. */
  connectTimeoutMs?: number;
  /** Longest silence from the server while a command is in flight. Default 60 s. */
  commandTimeoutMs?: number;
  /** Strings scrubbed from every error message (the password). */
  secrets?: string[];
}

/**
 * What a completed command returned: the untagged responses received while it was the oldest command in
 * flight, and its tagged OK.
 *
 * @example
 * ```ts
 * const r: CommandResult = { untagged: [], done: { tag: "A1", status: "OK", text: "done", values: [] } };
 * ```
 */
export interface CommandResult {
  untagged: ImapResponse[];
  done: ImapResponse;
}

interface InFlight {
  tag: string;
  name: string;
  untagged: ImapResponse[];
  resolve(r: CommandResult): void;
  reject(e: unknown): void;
  /** Set once the tagged response arrived: stops writing the rest of the command. */
  finished: boolean;
  /** Whether literal bytes were sent without the server asking (LITERAL+). */
  sentUnasked?: boolean;
}

const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");

/**
 * An open, greeted IMAP connection. Use {@linkcode ImapConnection.open}.
 *
 * @example
 * ```ts
 * import { ImapConnection } from "./connection.ts";
 * const conn = await ImapConnection.open({ host: "127.0.0.1", port: 143, implicitTls: false, label: "t" });
 * const { untagged } = await conn.run(["CAPABILITY"], "CAPABILITY");
 * await conn.close();
 * ```
 */
export class ImapConnection {
  /** Capabilities in upper case, updated from CAPABILITY responses and `[CAPABILITY ...]` codes. */
  readonly capabilities = new Set<string>();
  /** The greeting (`* OK ...` or `* PREAUTH ...`). */
  greeting?: ImapResponse;
  /** Set once the connection failed; every later command is rejected with it. */
  broken?: ImapConnectionError;

  #socket: net.Socket;
  #options: ConnectionOptions;
  #reader = new ResponseReader();
  #inflight: InFlight[] = [];
  #nextTag = 1;
  #writeChain: Promise<void> = Promise.resolve();
  #continuation?: { resolve(): void; reject(e: unknown): void; owner: InFlight };
  #idleTimer?: ReturnType<typeof setTimeout>;
  #bye?: string;
  /** Set between STARTTLS's OK and the TLS layer taking over the socket. */
  #upgrading = false;
  #closed: Promise<void>;
  #onData = (chunk: Uint8Array) => this.#receive(chunk);

  private constructor(socket: net.Socket, options: ConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#closed = this.#watch(socket);
  }

  /**
   * Connects (with TLS for imaps), and waits for the greeting.
   *
   * @param options where to connect, TLS trust, timeouts
   * @returns the greeted connection
   * @throws {ImapConnectionError} when the server cannot be reached or does not greet in time
   * @throws {ImapError} `E_IMAP_TLS` when the certificate does not verify
   * @example
   * ```ts
   * const conn = await ImapConnection.open({ host: "mail.example", port: 993, implicitTls: true, label: "x" });
   * ```
   */
  static async open(options: ConnectionOptions): Promise<ImapConnection> {
    const socket = options.implicitTls
      ? tls.connect({ host: options.host, port: options.port, ...tlsOptions(options) })
      : net.connect({ host: options.host, port: options.port });
    socket.setNoDelay(true); // pipelined commands are small writes: send them now, not after an ACK
    const conn = new ImapConnection(socket, options);
    const greeting = new Promise<ImapResponse>((resolve, reject) => {
      conn.#inflight.push({
        tag: "*",
        name: "connect",
        untagged: [],
        resolve: (r) => resolve(r.done),
        reject,
        finished: false,
      });
    });
    conn.#armTimer(options.connectTimeoutMs ?? 15_000, "connect and greeting");
    try {
      conn.greeting = await greeting;
    } catch (e) {
      await conn.close();
      throw e;
    }
    if (conn.greeting.status === "BYE") {
      await conn.close();
      throw new ImapConnectionError(
        `${options.label}: the server refused the connection: ${conn.greeting.text}`,
      );
    }
    return conn;
  }

  /** The server's label for messages (`user@host:port`). */
  get label(): string {
    return this.#options.label;
  }

  /** Whether the socket is TLS (imaps, or after STARTTLS). */
  get secure(): boolean {
    return this.#socket instanceof tls.TLSSocket;
  }

  /**
   * Sends one command (the tag is added) and resolves with its result once the tagged OK arrives.
   * Commands may be started without awaiting earlier ones: they are written in order (pipelining).
   *
   * @param parts the command after the tag
   * @param name the command name for error messages (`APPEND`, `UID SEARCH`)
   * @returns untagged responses and the tagged OK
   * @throws {ImapError} `E_IMAP_NO` / `E_IMAP_BAD` when the server refuses it
   * @throws {ImapConnectionError} when the connection fails before the answer
   * @example
   * ```ts
   * const conn = await ImapConnection.open({ host: "127.0.0.1", port: 143, implicitTls: false, label: "bob@127.0.0.1:143" });
   * await conn.run(["NOOP"], "NOOP");
   * ```
   */
  run(parts: CommandPart[], name: string): Promise<CommandResult> {
    if (this.broken) return Promise.reject(this.broken);
    const tag = `S${this.#nextTag++}`;
    return new Promise<CommandResult>((resolve, reject) => {
      const cmd: InFlight = { tag, name, untagged: [], resolve, reject, finished: false };
      this.#inflight.push(cmd);
      if (this.#inflight.length === 1) this.#armTimer(this.#options.commandTimeoutMs ?? 60_000, name);
      this.#writeChain = this.#writeChain.then(() => this.#write(cmd, parts)).catch((e) =>
        this.#fail(e, name)
      );
    });
  }

  /**
   * Upgrades the connection with STARTTLS and verifies the certificate; capabilities are cleared (ask
   * again: they may differ after TLS).
   *
   * @throws {ImapError} `E_IMAP_TLS` when the certificate does not verify
   * @example
   * ```ts
   * const conn = await ImapConnection.open({ host: "127.0.0.1", port: 143, implicitTls: false, label: "bob@127.0.0.1:143" });
   * if (conn.capabilities.has("STARTTLS")) await conn.startTls();
   * ```
   */
  async startTls(): Promise<void> {
    await this.run(["STARTTLS"], "STARTTLS");
    const plain = this.#socket;
    this.#upgrading = false;
    const secure = tls.connect({ socket: plain, host: this.#options.host, ...tlsOptions(this.#options) });
    this.#socket = secure;
    this.#closed = this.#watch(secure);
    this.capabilities.clear();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.#tlsFailure(new Error("handshake timed out"))), 15_000);
      secure.once("secureConnect", () => {
        clearTimeout(timer);
        resolve();
      });
      secure.once("error", (e) => {
        clearTimeout(timer);
        reject(this.#tlsFailure(e));
      });
    }).catch(async (e) => {
      await this.close();
      throw e;
    });
  }

  /**
   * Closes the socket at once (after LOGOUT, or to abandon a broken connection) and waits until it is
   * closed. Commands still in flight are rejected with `ImapConnectionError`.
   *
   * @example
   * ```ts
   * const conn = await ImapConnection.open({ host: "127.0.0.1", port: 143, implicitTls: false, label: "bob@127.0.0.1:143" });
   * await conn.close();
   * ```
   */
  async close(): Promise<void> {
    this.#fail(new ImapConnectionError(`${this.label}: connection closed by sluice`), "close");
    this.#socket.destroy();
    await this.#closed;
  }

  /** Attaches the reader and failure handlers; resolves when the socket is closed. */
  #watch(socket: net.Socket): Promise<void> {
    socket.on("data", this.#onData);
    return new Promise<void>((resolve) => {
      socket.on("error", (e) => this.#fail(e, "read"));
      socket.once("close", () => {
        this.#fail(undefined, "read");
        resolve();
      });
    });
  }

  #receive(chunk: Uint8Array): void {
    if (this.#inflight.length > 0) {
      this.#armTimer(this.#options.commandTimeoutMs ?? 60_000, this.#inflight[0].name);
    }
    let frames;
    try {
      frames = this.#reader.push(chunk);
    } catch (e) {
      return this.#fail(e, "read");
    }
    for (const frame of frames) {
      if (this.#upgrading) return; // plaintext after "OK Begin TLS" could only be an injection
      let r: ImapResponse;
      try {
        r = parseResponse(frame);
      } catch (e) {
        return this.#fail(e, "parse");
      }
      this.#dispatch(r);
    }
  }

  #dispatch(r: ImapResponse): void {
    if (r.code?.toUpperCase().startsWith("CAPABILITY ")) this.#setCapabilities(r.code.split(" ").slice(1));
    if (r.kind === "CAPABILITY") {
      this.#setCapabilities(r.values.filter((v): v is string => typeof v === "string"));
    }
    if (r.tag === "+") {
      const waiter = this.#continuation;
      this.#continuation = undefined;
      if (waiter) waiter.resolve();
      else this.#fail(new Error("unexpected continuation request"), "read");
      return;
    }
    if (r.tag === "*") {
      const first = this.#inflight[0];
      if (first?.tag === "*") { // the greeting
        this.#inflight.shift();
        first.resolve({ untagged: [], done: r });
        this.#settleTimer();
        return;
      }
      if (r.status === "BYE") this.#bye = r.text;
      // ESEARCH names the command it answers (`(TAG "S5")`): pipelined searches cannot be mixed up.
      const correlated = r.kind === "ESEARCH" ? this.#byCorrelator(r) : undefined;
      (correlated ?? first)?.untagged.push(r);
      return;
    }
    const i = this.#inflight.findIndex((c) => c.tag === r.tag);
    if (i < 0) return this.#fail(new Error(`response for unknown tag ${r.tag}`), "read");
    const [cmd] = this.#inflight.splice(i, 1);
    cmd.finished = true;
    if (this.#continuation?.owner === cmd) {
      this.#continuation.reject(new Error("command ended before its continuation"));
      this.#continuation = undefined;
    }
    this.#settleTimer();
    if (r.status === "OK" && cmd.name === "STARTTLS") {
      // From here on only the TLS layer may read the socket (RFC 3501 6.2.1: no plaintext leftovers).
      this.#upgrading = true;
      this.#socket.off("data", this.#onData);
      this.#reader = new ResponseReader();
    }
    if (r.status === "OK") cmd.resolve({ untagged: cmd.untagged, done: r });
    else cmd.reject(this.#refusal(cmd.name, r));
    if (r.status === "BAD" && cmd.sentUnasked) {
      // A server that rejects a command while parsing it (Dovecot: a bad date) may not have read the
      // literal bytes sent with LITERAL+; it would take them for commands. Nothing after this is safe.
      this.#fail(new Error(`the server rejected ${cmd.name} with BAD after literal data was sent`), cmd.name);
    }
  }

  #byCorrelator(r: ImapResponse): InFlight | undefined {
    const c = r.values[0];
    if (!Array.isArray(c) || String(c[0]).toUpperCase() !== "TAG") return undefined;
    return this.#inflight.find((cmd) => cmd.tag === c[1]);
  }

  #setCapabilities(words: string[]): void {
    this.capabilities.clear();
    for (const w of words) this.capabilities.add(w.toUpperCase());
  }

  /** Writes a command part by part; waits for `+` before synchronising literals. */
  async #write(cmd: InFlight, parts: CommandPart[]): Promise<void> {
    if (this.broken) throw this.broken;
    let pending: Uint8Array[] = [encoder.encode(`${cmd.tag} `)];
    const flush = async () => {
      await this.#send(pending);
      pending = [];
    };
    for (const part of parts) {
      if (cmd.finished) return;
      if (typeof part === "string") pending.push(encoder.encode(part));
      else if ("literal" in part) {
        const n = part.literal.length;
        const plus = this.capabilities.has("LITERAL+") || (this.capabilities.has("LITERAL-") && n <= 4096);
        pending.push(encoder.encode(plus ? `{${n}+}\r\n` : `{${n}}\r\n`));
        if (!plus) {
          await flush();
          if (!await this.#awaitContinuation(cmd)) return;
        } else cmd.sentUnasked = true;
        pending.push(part.literal);
      } else {
        await flush();
        if (!await this.#awaitContinuation(cmd)) return;
        pending.push(encoder.encode(part.afterContinuation));
      }
    }
    pending.push(CRLF);
    await flush();
  }

  /** Resolves true on `+`, false when the command ended (NO/BAD) instead. */
  #awaitContinuation(cmd: InFlight): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#continuation = {
        owner: cmd,
        resolve: () => resolve(true),
        reject: (e) => cmd.finished ? resolve(false) : reject(e),
      };
    });
  }

  /** Writes bytes as one buffer (one write, so no small segments wait on Nagle), honouring backpressure. */
  async #send(chunks: Uint8Array[]): Promise<void> {
    if (this.broken) throw this.broken;
    if (chunks.length === 0) return;
    let total = 0;
    for (const c of chunks) total += c.length;
    let flowing: boolean;
    if (chunks.length === 1) flowing = this.#socket.write(chunks[0]);
    else if (total <= COALESCE_BYTES) flowing = this.#socket.write(concatBytes(chunks, total));
    else {
      // A MULTIAPPEND carries whole messages: corked writes send them as they are instead of copying
      // every message into one more buffer (that copy doubled the bytes the IMAP sink allocates).
      this.#socket.cork();
      flowing = true;
      for (const c of chunks) flowing = this.#socket.write(c) && flowing;
      this.#socket.uncork();
    }
    if (flowing) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#socket.off("drain", done);
        this.#socket.off("close", done);
        resolve();
      };
      this.#socket.on("drain", done);
      this.#socket.on("close", done);
    });
  }

  /** Marks the connection broken and rejects everything in flight. Idempotent. */
  #fail(cause: unknown, during: string): void {
    if (!this.broken) {
      const first = this.#inflight[0]?.name ?? during;
      this.broken = cause instanceof ImapError && !(cause instanceof ImapConnectionError)
        ? new ImapConnectionError(cause.message, cause.hint, { command: first, cause, code: cause.code })
        : cause instanceof ImapConnectionError
        ? cause
        : this.#dropped(cause, first);
      this.#socket.destroy();
    }
    this.#settleTimer(true);
    const err = this.broken;
    const tlsError = this.#asTlsError(cause);
    for (const cmd of this.#inflight.splice(0)) {
      cmd.finished = true;
      cmd.reject(tlsError ?? err);
    }
    this.#continuation?.reject(err);
    this.#continuation = undefined;
  }

  #dropped(cause: unknown, command: string): ImapConnectionError {
    const reason = cause === undefined
      ? this.#bye ? `the server closed the connection (BYE ${this.#bye})` : "the server closed the connection"
      : cause instanceof Error
      ? cause.message
      : String(cause);
    const what = command === "connect" ? "cannot connect" : `connection lost during ${command}`;
    return new ImapConnectionError(this.#scrub(`${this.label}: ${what}: ${reason}`), undefined, {
      command,
      cause,
    });
  }

  /** A certificate problem on connect is a configuration error, not a dropped connection. */
  #asTlsError(cause: unknown): ImapError | undefined {
    if (!(cause instanceof Error) || cause instanceof ImapError) return undefined;
    const text = `${(cause as { code?: string }).code ?? ""} ${cause.message}`;
    if (!/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|certificate|UnknownIssuer|NotValidForName/i.test(text)) {
      return undefined;
    }
    return this.#tlsFailure(cause);
  }

  #tlsFailure(cause: unknown): ImapError {
    const text = cause instanceof Error ? cause.message : String(cause);
    return new ImapError(
      "E_IMAP_TLS",
      `${this.label}: TLS certificate of ${this.#options.host} not accepted: ${text}`,
      "give the server's CA certificate (option ca, PEM) or, only for a test server, tlsRejectUnauthorized: false",
      { command: "TLS", cause },
    );
  }

  #refusal(name: string, r: ImapResponse): ImapError {
    const code = r.code ? `[${r.code}] ` : "";
    const word = r.status === "BAD" ? "BAD" : "NO";
    return new ImapError(
      `E_IMAP_${word}`,
      this.#scrub(`${name} on ${this.label} failed: ${word} ${code}${r.text}`),
      word === "BAD"
        ? "the server did not understand the command; report this as a sluice bug with the server's name"
        : "see the server's reason above (quota, permissions, mailbox name)",
      { command: name, responseCode: r.code?.split(" ")[0].toUpperCase() },
    );
  }

  #scrub(s: string): string {
    for (const secret of this.#options.secrets ?? []) if (secret) s = s.replaceAll(secret, "***");
    return s;
  }

  #armTimer(ms: number, what: string): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#fail(
        new ImapConnectionError(`${this.label}: no answer within ${ms} ms during ${what}`, undefined, {
          command: what,
          code: "E_IMAP_TIMEOUT",
        }),
        what,
      );
    }, ms);
  }

  #settleTimer(force = false): void {
    if (force || this.#inflight.length === 0) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    } else this.#armTimer(this.#options.commandTimeoutMs ?? 60_000, this.#inflight[0].name);
  }
}

/** Commands up to this size are sent as one buffer (one write, so no small segments wait on Nagle). */
const COALESCE_BYTES = 16 * 1024;

function concatBytes(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function tlsOptions(o: ConnectionOptions): tls.ConnectionOptions {
  return {
    // SNI must be a name, not an IP; the certificate is still checked against `host`.
    servername: net.isIP(o.host) ? undefined : o.host,
    ca: o.ca === undefined ? undefined : [...tls.rootCertificates, ...[o.ca].flat()],
    rejectUnauthorized: o.tlsRejectUnauthorized ?? true,
  };
}
