/**
 * The errors the IMAP client raises. Every message names the server (`user@host:port`), the command and
 * the server's own words, and never contains the password.
 *
 * Which one tells the owner what to do:
 * - {@linkcode ImapConnectionError}: the connection is gone (dropped, timed out, BYE, refused); open a
 *   new one and retry. {@linkcode isConnectionError} says so.
 * - {@linkcode ImapError} with `E_IMAP_NO` / `E_IMAP_BAD`: the server refused one command; the
 *   connection still works.
 * - `E_IMAP_AUTH`, `E_IMAP_TLS`, `E_IMAP_PLAINTEXT`, `E_IMAP_URL`: configuration problems; retrying
 *   will not help.
 * @module
 */
import { findInCauses, SluiceError } from "../../engine/errors.ts";

/** Problems of the account or setup: every later command would fail the same way, so a run stops. */
const CONFIGURATION_CODES = new Set(["E_IMAP_AUTH", "E_IMAP_TLS", "E_IMAP_PLAINTEXT", "E_IMAP_URL"]);

/**
 * An IMAP failure: the server answered NO or BAD, refused the login, or the URL or TLS setup is wrong.
 *
 * @example
 * ```ts
 * import { ImapError } from "./errors.ts";
 * const e = new ImapError("E_IMAP_NO", "APPEND to News on bob@mail.example:993 failed: NO quota", "free space");
 * console.log(e.code, e.command); // E_IMAP_NO undefined
 * ```
 */
export class ImapError extends SluiceError {
  /** The IMAP command that failed (`APPEND`, `LOGIN`, ...), when one did. */
  readonly command?: string;
  /** The server's response code without brackets (`TRYCREATE`, `AUTHENTICATIONFAILED`), when it sent one. */
  readonly responseCode?: string;

  /**
   * @param code `E_IMAP_*`
   * @param message what failed, naming server, command and the server's text (never the password)
   * @param hint what to do
   * @param details the command and response code, and the cause
   */
  constructor(
    code: string,
    message: string,
    hint?: string,
    details: { command?: string; responseCode?: string; cause?: unknown } = {},
  ) {
    super(code, message, hint, { cause: details.cause, stopsRun: CONFIGURATION_CODES.has(code) });
    this.command = details.command;
    this.responseCode = details.responseCode;
  }
}

/**
 * The connection to the IMAP server is lost or unusable (closed mid-command, timeout, BYE, refused).
 * Every command in flight is rejected with it; open a new connection to continue.
 *
 * @example
 * ```ts
 * import { ImapConnectionError } from "./errors.ts";
 * const error = new ImapConnectionError("connection to mail.example:993 closed during APPEND");
 * console.log(error.message);
 * ```
 */
export class ImapConnectionError extends ImapError {
  /**
   * @param message what happened, naming the server and the command in flight
   * @param hint what to do (default: check the server, sluice reconnects on its own)
   * @param details the command and the cause
   */
  constructor(
    message: string,
    hint = "check that the IMAP server is running and reachable; sluice reconnects and retries",
    details: { command?: string; cause?: unknown; code?: string } = {},
  ) {
    super(details.code ?? "E_IMAP_CONNECTION", message, hint, details);
  }
}

/**
 * Whether `e` means the connection is broken (reconnect and retry) rather than a refused command or a
 * configuration problem.
 *
 * @example
 * ```ts
 * import { ImapConnectionError, isConnectionError } from "./errors.ts";
 * isConnectionError(new ImapConnectionError("closed")); // true
 * isConnectionError(new Error("x")); // false
 * ```
 */
export function isConnectionError(e: unknown): boolean {
  return e instanceof ImapConnectionError;
}

/**
 * Response codes (RFC 5530) after which the same command fails again: the message is too large or the
 * mailbox full, the folder cannot be made or used.
 */
const PERMANENT_RESPONSE_CODES = new Set(["LIMIT", "OVERQUOTA", "TOOBIG", "CANNOT", "NOPERM", "NONEXISTENT"]);

/**
 * Whether `error` (or one of its causes) is the server refusing for good: retrying within the run only
 * costs back-off time; the entry is tried again on the next run.
 *
 * @param error anything thrown
 * @returns true for an {@linkcode ImapError} whose response code is LIMIT, OVERQUOTA, TOOBIG, CANNOT, NOPERM
 *   or NONEXISTENT
 * @example
 * ```ts
 * import { ImapError, isPermanentRefusal } from "./errors.ts";
 * const e = new ImapError("E_IMAP_NO", "APPEND failed: NO [LIMIT] too big", "smaller", { responseCode: "LIMIT" });
 * isPermanentRefusal(e); // true
 * ```
 */
export function isPermanentRefusal(error: unknown): boolean {
  return findInCauses(error, (e): e is ImapError =>
    e instanceof ImapError && e.responseCode !== undefined &&
    PERMANENT_RESPONSE_CODES.has(e.responseCode.split(" ")[0].toUpperCase())) !== undefined;
}
