/**
 * One IMAP connection: the socket's life from connect and greeting to close, with pipelining (commands
 * are written without waiting for earlier answers; `command_dispatcher.ts` matches the answers by tag),
 * STARTTLS, timeouts, and failure: when the socket drops, times out or the server says BYE, every command
 * in flight is rejected with `ImapConnectionError`. How a command is written (literals, LITERAL+) is in
 * `command_writer.ts`; the commands themselves (LOGIN, APPEND, ...) are in `client.ts` and the files it
 * uses.
 * @module
 */
import type net from "node:net";
import tls from "node:tls";
import type { CommandPart } from "./command_syntax.ts";
import { CommandDispatcher, type CommandResult, type InFlight } from "./command_dispatcher.ts";
import { type CommandWire, writeCommand } from "./command_writer.ts";
import { ConnectionErrors } from "./connection_errors.ts";
import { ImapConnectionError } from "./errors.ts";
import { ResponseReader } from "./response_reader.ts";
import { type ImapResponse, parseResponse } from "./response_parser.ts";
import { writeToSocket } from "./socket_write.ts";
import { connectSocket, tlsHandshake, upgradeToTls } from "./tls_socket.ts";

export type { CommandResult } from "./command_dispatcher.ts";

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

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/**
 * An open, greeted IMAP connection. Use {@linkcode ImapConnection.open}.
 *
 * @example
 * ```ts
 * import { ImapConnection } from "./connection.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const conn = await ImapConnection.open({ host: "127.0.0.1", port: dovecot.port, implicitTls: false, label: "t" });
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
  #errors: ConnectionErrors;
  #reader = new ResponseReader();
  #commands = new CommandDispatcher(this.capabilities, {
    settled: () => this.#settleTimer(),
    fail: (cause, during) => this.#fail(cause, during),
    startTlsAccepted: () => this.#stopPlaintextReads(),
    refusal: (name, r) => this.#errors.refusal(name, r),
  });
  #wire: CommandWire = {
    capabilities: this.capabilities,
    send: (chunks) => this.#send(chunks),
    awaitContinuation: (cmd) => this.#commands.awaitContinuation(cmd),
  };
  #nextTag = 1;
  #writeChain: Promise<void> = Promise.resolve();
  #idleTimer?: ReturnType<typeof setTimeout>;
  /** Set between STARTTLS's OK and the TLS layer taking over the socket. */
  #upgrading = false;
  #closed: Promise<void>;
  #onData = (chunk: Uint8Array) => this.#receive(chunk);

  private constructor(socket: net.Socket, options: ConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#errors = new ConnectionErrors(options);
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
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot({ tls: true });
   * const conn = await ImapConnection.open({
   *   host: "127.0.0.1",
   *   port: dovecot.tlsPort!,
   *   implicitTls: true,
   *   ca: dovecot.caCertPem,
   *   label: "imaps://127.0.0.1",
   * });
   * await conn.close();
   * ```
   */
  static async open(options: ConnectionOptions): Promise<ImapConnection> {
    const conn = new ImapConnection(connectSocket(options), options);
    const greeting = new Promise<ImapResponse>((resolve, reject) => {
      conn.#commands.add({
        tag: "*",
        name: "connect",
        untagged: [],
        resolve: (r) => resolve(r.done),
        reject,
        finished: false,
      });
    });
    conn.#armTimer(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, "connect and greeting");
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
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const conn = await ImapConnection.open({ host: "127.0.0.1", port: dovecot.port, implicitTls: false, label: "bob@127.0.0.1:143" });
   * await conn.run(["NOOP"], "NOOP");
   * await conn.close();
   * ```
   */
  run(parts: CommandPart[], name: string): Promise<CommandResult> {
    if (this.broken) return Promise.reject(this.broken);
    const tag = `S${this.#nextTag++}`;
    return new Promise<CommandResult>((resolve, reject) => {
      const cmd: InFlight = { tag, name, untagged: [], resolve, reject, finished: false };
      this.#commands.add(cmd);
      if (this.#commands.size === 1) this.#armTimer(this.#commandTimeoutMs, name);
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
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const conn = await ImapConnection.open({ host: "127.0.0.1", port: dovecot.port, implicitTls: false, label: "bob@127.0.0.1:143" });
   * if (conn.capabilities.has("STARTTLS")) await conn.startTls();
   * await conn.close();
   * ```
   */
  async startTls(): Promise<void> {
    await this.run(["STARTTLS"], "STARTTLS");
    this.#upgrading = false;
    const secure = upgradeToTls(this.#socket, this.#options);
    this.#socket = secure;
    this.#closed = this.#watch(secure);
    this.capabilities.clear();
    await tlsHandshake(secure, (cause) => this.#errors.tls(cause)).catch(async (e) => {
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
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const conn = await ImapConnection.open({ host: "127.0.0.1", port: dovecot.port, implicitTls: false, label: "bob@127.0.0.1:143" });
   * await conn.close();
   * ```
   */
  async close(): Promise<void> {
    this.#fail(new ImapConnectionError(`${this.label}: connection closed by sluice`), "close");
    this.#socket.destroy();
    await this.#closed;
  }

  get #commandTimeoutMs(): number {
    return this.#options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
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
    const oldest = this.#commands.oldest;
    if (oldest) this.#armTimer(this.#commandTimeoutMs, oldest.name);
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
      this.#commands.dispatch(r);
    }
  }

  /** From STARTTLS's OK on, only the TLS layer may read the socket (RFC 3501 6.2.1: no plaintext leftovers). */
  #stopPlaintextReads(): void {
    this.#upgrading = true;
    this.#socket.off("data", this.#onData);
    this.#reader = new ResponseReader();
  }

  async #write(cmd: InFlight, parts: CommandPart[]): Promise<void> {
    if (this.broken) throw this.broken;
    await writeCommand(cmd, parts, this.#wire);
  }

  async #send(chunks: Uint8Array[]): Promise<void> {
    if (this.broken) throw this.broken;
    await writeToSocket(this.#socket, chunks);
  }

  /** Marks the connection broken and rejects everything in flight. Idempotent. */
  #fail(cause: unknown, during: string): void {
    if (!this.broken) {
      this.broken = this.#errors.broken(cause, this.#commands.oldest?.name ?? during, this.#commands.bye);
      this.#socket.destroy();
    }
    this.#settleTimer(true);
    const err = this.broken;
    this.#commands.rejectAll(this.#errors.certificate(cause) ?? err, err);
  }

  #armTimer(ms: number, what: string): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#fail(this.#errors.timeout(ms, what), what), ms);
  }

  #settleTimer(force = false): void {
    const oldest = this.#commands.oldest;
    if (force || !oldest) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    } else this.#armTimer(this.#commandTimeoutMs, oldest.name);
  }
}
