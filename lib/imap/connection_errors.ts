/**
 * How one connection words its failures: every message names the connection (`user@host:port`) and
 * the command, is scrubbed of the password, and says whether the connection is gone
 * (`ImapConnectionError`), the server refused one command (`E_IMAP_NO` / `E_IMAP_BAD`), or the server's
 * certificate was not accepted (`E_IMAP_TLS`, a configuration problem rather than a dropped connection).
 * @module
 */
import { ImapConnectionError, ImapError } from "./errors.ts";
import type { ImapResponse } from "./response_parser.ts";

/**
 * The connection the errors are about.
 *
 * @example
 * ```ts
 * const s: FailureSubject = { label: "bob@mail.example:993", host: "mail.example", secrets: ["hunter2"] };
 * ```
 */
export interface FailureSubject {
  /** e.g. `bob@mail.example:993` (no password). */
  label: string;
  /** The host the certificate is checked against. */
  host: string;
  /** Strings scrubbed from every message (the password). */
  secrets?: string[];
}

/** Error texts of certificate problems, from `node:tls` (codes) and Deno's rustls (messages). */
const CERTIFICATE_PROBLEM =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|certificate|UnknownIssuer|NotValidForName/i;

/**
 * The errors of one connection.
 *
 * @example
 * ```ts
 * import { ConnectionErrors } from "./connection_errors.ts";
 * const errors = new ConnectionErrors({ label: "bob@127.0.0.1:143", host: "127.0.0.1" });
 * errors.timeout(60_000, "APPEND").code; // "E_IMAP_TIMEOUT"
 * ```
 */
export class ConnectionErrors {
  #subject: FailureSubject;

  /**
   * Errors worded for one connection.
   *
   * @param subject the connection's label, host and secrets
   */
  constructor(subject: FailureSubject) {
    this.#subject = subject;
  }

  /**
   * What the connection is marked broken with when `cause` ended it: an `ImapConnectionError` as it is,
   * another `ImapError` turned into one (keeping its code), anything else as a lost connection.
   *
   * @param cause what ended it (undefined: the socket closed)
   * @param command the oldest command in flight, or what the connection was doing
   * @param bye the text of the server's BYE, when it said BYE
   */
  broken(cause: unknown, command: string, bye: string | undefined): ImapConnectionError {
    if (cause instanceof ImapConnectionError) return cause;
    if (cause instanceof ImapError) {
      return new ImapConnectionError(cause.message, cause.hint, { command, cause, code: cause.code });
    }
    return this.#dropped(cause, command, bye);
  }

  /** The server answered `name` with NO or BAD. */
  refusal(name: string, r: ImapResponse): ImapError {
    const code = r.code ? `[${r.code}] ` : "";
    const word = r.status === "BAD" ? "BAD" : "NO";
    return new ImapError(
      `E_IMAP_${word}`,
      this.#scrub(`${name} on ${this.#subject.label} failed: ${word} ${code}${r.text}`),
      word === "BAD"
        ? "the server did not understand the command; report this as a sluice bug with the server's name"
        : "see the server's reason above (quota, permissions, mailbox name)",
      { command: name, responseCode: r.code?.split(" ")[0].toUpperCase() },
    );
  }

  /** The server said nothing for `ms` while `what` was in flight. */
  timeout(ms: number, what: string): ImapConnectionError {
    return new ImapConnectionError(
      `${this.#subject.label}: no answer within ${ms} ms during ${what}`,
      undefined,
      {
        command: what,
        code: "E_IMAP_TIMEOUT",
      },
    );
  }

  /** A certificate problem on connect is a configuration error, not a dropped connection. */
  certificate(cause: unknown): ImapError | undefined {
    if (!(cause instanceof Error) || cause instanceof ImapError) return undefined;
    const text = `${(cause as { code?: string }).code ?? ""} ${cause.message}`;
    return CERTIFICATE_PROBLEM.test(text) ? this.tls(cause) : undefined;
  }

  /** The TLS handshake failed (certificate not accepted, or no handshake in time). */
  tls(cause: unknown): ImapError {
    const text = cause instanceof Error ? cause.message : String(cause);
    return new ImapError(
      "E_IMAP_TLS",
      `${this.#subject.label}: TLS certificate of ${this.#subject.host} not accepted: ${text}`,
      "give the server's CA certificate (option ca, PEM) or, only for a test server, tlsRejectUnauthorized: false",
      { command: "TLS", cause },
    );
  }

  #dropped(cause: unknown, command: string, bye: string | undefined): ImapConnectionError {
    const reason = cause === undefined
      ? bye ? `the server closed the connection (BYE ${bye})` : "the server closed the connection"
      : cause instanceof Error
      ? cause.message
      : String(cause);
    const what = command === "connect" ? "cannot connect" : `connection lost during ${command}`;
    return new ImapConnectionError(this.#scrub(`${this.#subject.label}: ${what}: ${reason}`), undefined, {
      command,
      cause,
    });
  }

  #scrub(s: string): string {
    for (const secret of this.#subject.secrets ?? []) if (secret) s = s.replaceAll(secret, "***");
    return s;
  }
}
