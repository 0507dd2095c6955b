/**
 * Errors raised by the concurrency kernel: a send on a closed channel, a call to a closed owner, an
 * owner that could not bring its resource back, and a primitive used the wrong way.
 * @module
 */
import { SluiceError } from "../errors.ts";

/**
 * A send on (or a second close of) a closed channel. Values already buffered are still delivered; the
 * value of a failed send was never enqueued.
 *
 * @example
 * ```ts
 * import { ChannelClosedError } from "./errors.ts";
 * // What `send` on a closed channel (channel.ts) rejects with:
 * const e = new ChannelClosedError('send on closed channel "items"');
 * console.log(e.code); // "E_CHANNEL_CLOSED"
 * ```
 */
export class ChannelClosedError extends SluiceError {
  /**
   * Creates the error with code `E_CHANNEL_CLOSED`; `what` becomes the message.
   *
   * @param what the operation that failed, e.g. `send on closed channel "items"`
   */
  constructor(what: string) {
    super(
      "E_CHANNEL_CLOSED",
      what,
      "only the producer closes a channel, once, after its last send; receivers see ok=false when drained",
    );
  }
}

/**
 * A call to an owner that is closed or closing, or a queued call dropped by `close({ drain: false })`.
 *
 * @example
 * ```ts
 * import { OwnerClosedError } from "./errors.ts";
 * // What a call to a closed owner (owner.ts) rejects with:
 * const e = new OwnerClosedError("stdout", "log");
 * console.log(e.message); // owner "stdout": call to "log" after close
 * ```
 */
export class OwnerClosedError extends SluiceError {
  /**
   * Creates the error with code `E_OWNER_CLOSED`, naming the owner and the action.
   *
   * @param name the owner's name
   * @param action the action that was called
   */
  constructor(name: string, action: string) {
    super(
      "E_OWNER_CLOSED",
      `owner "${name}": call to "${action}" after close`,
      "stop calling an owner once its pipeline is shutting down; close it after its last caller is done",
    );
  }
}

/**
 * An owner lost its resource and could not reopen it (or the action kept failing fatally) within the
 * configured reconnect attempts. `cause` holds the last error.
 *
 * @example
 * ```ts
 * import { OwnerReconnectError } from "./errors.ts";
 * const e = new OwnerReconnectError("imap", "append", 3, new Error("ECONNRESET"));
 * console.log(e.code); // "E_OWNER_RECONNECT"
 * ```
 */
export class OwnerReconnectError extends SluiceError {
  /**
   * Creates the error with code `E_OWNER_RECONNECT`; the last error becomes `cause` and is quoted in the
   * message.
   *
   * @param name the owner's name
   * @param action the action that failed
   * @param attempts how many reconnects were tried
   * @param cause the last error
   */
  constructor(name: string, action: string, attempts: number, cause: unknown) {
    super(
      "E_OWNER_RECONNECT",
      `owner "${name}": "${action}" failed after ${attempts} reconnect attempt(s): ${describe(cause)}`,
      "check that the service is reachable and the credentials are right, or raise reconnect.attempts",
      { cause },
    );
  }
}

/**
 * A kernel primitive used in a way that can never be right (unlock of an unlocked mutex, a negative
 * wait-group counter, an invalid capacity).
 *
 * @example
 * ```ts
 * import { KernelUsageError } from "./errors.ts";
 * // What `unlock()` of an unlocked mutex (mutex.ts) throws:
 * const e = new KernelUsageError("unlock of an unlocked mutex", "call unlock() once per lock()");
 * console.log(e.code); // "E_KERNEL_USAGE"
 * ```
 */
export class KernelUsageError extends SluiceError {
  /**
   * Creates the error with code `E_KERNEL_USAGE`.
   *
   * @param message what was wrong, naming the value
   * @param hint what to do instead
   */
  constructor(message: string, hint: string) {
    super("E_KERNEL_USAGE", message, hint);
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
