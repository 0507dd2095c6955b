/**
 * Matching server responses to the commands in flight. A tagged answer completes its command (in any
 * order); untagged data goes to the oldest command, or, for ESEARCH, to the command it names; `+` resumes
 * the command waiting to send a literal or a SASL line; CAPABILITY data and `[CAPABILITY ...]` codes
 * replace the capability set. It touches no socket: the connection feeds it parsed responses and hears
 * back through {@linkcode DispatchEvents}.
 * @module
 */
import type { ImapError } from "./errors.ts";
import type { ImapResponse } from "./response_parser.ts";

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

/**
 * A command written (or being written) and not yet answered. The greeting is awaited as a command with
 * tag `*`.
 *
 * @example
 * ```ts
 * const cmd: InFlight = { tag: "S1", name: "NOOP", untagged: [], resolve() {}, reject() {}, finished: false };
 * ```
 */
export interface InFlight {
  /** `S1`, `S2`, ... (`*` for the greeting). */
  tag: string;
  /** The command name for messages and timeouts (`APPEND`, `UID SEARCH`). */
  name: string;
  /** Untagged responses received for it so far. */
  untagged: ImapResponse[];
  /** Called with the result on the tagged OK. */
  resolve(r: CommandResult): void;
  /** Called on NO/BAD or when the connection fails. */
  reject(e: unknown): void;
  /** Set once the tagged response arrived: stops writing the rest of the command. */
  finished: boolean;
  /** Whether literal bytes were sent without the server asking (LITERAL+). */
  sentUnasked?: boolean;
}

/**
 * What the dispatcher asks of the connection.
 *
 * @example
 * ```ts
 * import { ImapError } from "./errors.ts";
 * const events: DispatchEvents = {
 *   settled() {},
 *   fail(cause) { console.error(cause); },
 *   startTlsAccepted() {},
 *   refusal: (name, r) => new ImapError("E_IMAP_NO", `${name} failed: ${r.text}`),
 * };
 * ```
 */
export interface DispatchEvents {
  /** The commands in flight changed: re-arm or clear the idle timer. */
  settled(): void;
  /** The server broke the protocol (or refused literal data already sent): the connection is unusable. */
  fail(cause: unknown, during: string): void;
  /** STARTTLS got its OK: from here on nothing may be read as plaintext. */
  startTlsAccepted(): void;
  /** The error a command's NO or BAD answer is rejected with. */
  refusal(name: string, r: ImapResponse): ImapError;
}

/**
 * The commands in flight on one connection, completed by the responses fed to
 * {@linkcode CommandDispatcher.dispatch}.
 *
 * @example
 * ```ts
 * import { CommandDispatcher } from "./command_dispatcher.ts";
 * import { ImapError } from "./errors.ts";
 * import { parseResponse } from "./response_parser.ts";
 * const caps = new Set<string>();
 * const d = new CommandDispatcher(caps, {
 *   settled() {},
 *   fail(cause) { throw cause; },
 *   startTlsAccepted() {},
 *   refusal: (name, r) => new ImapError("E_IMAP_NO", `${name} failed: ${r.text}`),
 * });
 * d.add({ tag: "S1", name: "CAPABILITY", untagged: [], resolve: console.log, reject() {}, finished: false });
 * d.dispatch(parseResponse({ segments: ["* CAPABILITY IMAP4rev1 LITERAL+"], literals: [] }));
 * d.dispatch(parseResponse({ segments: ["S1 OK done"], literals: [] })); // caps: IMAP4REV1, LITERAL+
 * ```
 */
export class CommandDispatcher {
  /** The text of the server's BYE, once it said BYE. */
  bye?: string;
  #capabilities: Set<string>;
  #events: DispatchEvents;
  #inflight: InFlight[] = [];
  #continuation?: { resolve(): void; reject(e: unknown): void; owner: InFlight };

  /**
   * A dispatcher with nothing in flight.
   *
   * @param capabilities the connection's capability set, replaced in place when the server announces one
   * @param events how the connection reacts
   */
  constructor(capabilities: Set<string>, events: DispatchEvents) {
    this.#capabilities = capabilities;
    this.#events = events;
  }

  /** How many commands await their answer. */
  get size(): number {
    return this.#inflight.length;
  }

  /** The command written first of those in flight (its name goes into timeouts and failures). */
  get oldest(): InFlight | undefined {
    return this.#inflight[0];
  }

  /** Adds a command about to be written; answers are expected in any order. */
  add(cmd: InFlight): void {
    this.#inflight.push(cmd);
  }

  /** Hands one response to the command it belongs to. */
  dispatch(r: ImapResponse): void {
    if (r.code?.toUpperCase().startsWith("CAPABILITY ")) this.#setCapabilities(r.code.split(" ").slice(1));
    if (r.kind === "CAPABILITY") {
      this.#setCapabilities(r.values.filter((v): v is string => typeof v === "string"));
    }
    if (r.tag === "+") {
      const waiter = this.#continuation;
      this.#continuation = undefined;
      if (waiter) waiter.resolve();
      else this.#events.fail(new Error("unexpected continuation request"), "read");
      return;
    }
    if (r.tag === "*") {
      const first = this.#inflight[0];
      if (first?.tag === "*") { // the greeting
        this.#inflight.shift();
        first.resolve({ untagged: [], done: r });
        this.#events.settled();
        return;
      }
      if (r.status === "BYE") this.bye = r.text;
      // ESEARCH names the command it answers (`(TAG "S5")`): pipelined searches cannot be mixed up.
      const correlated = r.kind === "ESEARCH" ? this.#byCorrelator(r) : undefined;
      (correlated ?? first)?.untagged.push(r);
      return;
    }
    this.#complete(r);
  }

  /** Resolves true on `+`, false when the command ended (NO/BAD) instead. */
  awaitContinuation(cmd: InFlight): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#continuation = {
        owner: cmd,
        resolve: () => resolve(true),
        reject: (e) => cmd.finished ? resolve(false) : reject(e),
      };
    });
  }

  /**
   * Ends every command in flight (the connection failed).
   *
   * @param commandError what each command is rejected with
   * @param continuationError what a wait for `+` is rejected with
   */
  rejectAll(commandError: unknown, continuationError: unknown): void {
    for (const cmd of this.#inflight.splice(0)) {
      cmd.finished = true;
      cmd.reject(commandError);
    }
    this.#continuation?.reject(continuationError);
    this.#continuation = undefined;
  }

  #complete(r: ImapResponse): void {
    const i = this.#inflight.findIndex((c) => c.tag === r.tag);
    if (i < 0) return this.#events.fail(new Error(`response for unknown tag ${r.tag}`), "read");
    const [cmd] = this.#inflight.splice(i, 1);
    cmd.finished = true;
    if (this.#continuation?.owner === cmd) {
      this.#continuation.reject(new Error("command ended before its continuation"));
      this.#continuation = undefined;
    }
    this.#events.settled();
    if (r.status === "OK" && cmd.name === "STARTTLS") this.#events.startTlsAccepted();
    if (r.status === "OK") cmd.resolve({ untagged: cmd.untagged, done: r });
    else cmd.reject(this.#events.refusal(cmd.name, r));
    if (r.status === "BAD" && cmd.sentUnasked) {
      // A server that rejects a command while parsing it (Dovecot: a bad date) may not have read the
      // literal bytes sent with LITERAL+; it would take them for commands. Nothing after this is safe.
      this.#events.fail(
        new Error(`the server rejected ${cmd.name} with BAD after literal data was sent`),
        cmd.name,
      );
    }
  }

  #byCorrelator(r: ImapResponse): InFlight | undefined {
    const c = r.values[0];
    if (!Array.isArray(c) || String(c[0]).toUpperCase() !== "TAG") return undefined;
    return this.#inflight.find((cmd) => cmd.tag === c[1]);
  }

  #setCapabilities(words: string[]): void {
    this.#capabilities.clear();
    for (const w of words) this.#capabilities.add(w.toUpperCase());
  }
}
