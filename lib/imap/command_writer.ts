/**
 * Writing one command: the tag, then its parts in order. A literal goes out as `{n+}` and its bytes at
 * once when the server has LITERAL+ (or LITERAL- and at most 4096 bytes), else as `{n}` followed by a
 * wait for the server's `+`; a SASL line also waits for `+`. Writing stops when the command already
 * ended (the server said NO or BAD instead of `+`).
 * @module
 */
import type { CommandPart } from "./command_syntax.ts";
import type { InFlight } from "./command_dispatcher.ts";

const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");

/** Literals up to this size need no `+` from a server with LITERAL- (RFC 7888). */
const LITERAL_MINUS_MAX = 4096;

/**
 * What the writer needs from the connection.
 *
 * @example
 * ```ts
 * const sent: Uint8Array[] = [];
 * const wire: CommandWire = {
 *   capabilities: new Set(["LITERAL+"]),
 *   send: async (chunks) => void sent.push(...chunks),
 *   awaitContinuation: () => Promise.resolve(true),
 * };
 * ```
 */
export interface CommandWire {
  /** The server's capabilities (LITERAL+ / LITERAL- decide how literals go out). */
  readonly capabilities: ReadonlySet<string>;
  /** Writes bytes to the server. */
  send(chunks: Uint8Array[]): Promise<void>;
  /** Resolves true on the server's `+`, false when the command ended instead. */
  awaitContinuation(cmd: InFlight): Promise<boolean>;
}

/**
 * Writes `cmd` with its `parts`, waiting for `+` before each synchronising literal and SASL line.
 *
 * @param cmd the command in flight (its tag, and whether it already ended)
 * @param parts the command after the tag
 * @param wire where the bytes go
 * @example
 * ```ts
 * import { writeCommand } from "./command_writer.ts";
 * const cmd = { tag: "S1", name: "NOOP", untagged: [], resolve() {}, reject() {}, finished: false };
 * const wire = { capabilities: new Set<string>(), send: async () => {}, awaitContinuation: async () => true };
 * await writeCommand(cmd, ["NOOP"], wire); // sends "S1 NOOP\r\n"
 * ```
 */
export async function writeCommand(cmd: InFlight, parts: CommandPart[], wire: CommandWire): Promise<void> {
  let pending: Uint8Array[] = [encoder.encode(`${cmd.tag} `)];
  const flush = async () => {
    await wire.send(pending);
    pending = [];
  };
  for (const part of parts) {
    if (cmd.finished) return;
    if (typeof part === "string") pending.push(encoder.encode(part));
    else if ("literal" in part) {
      const n = part.literal.length;
      const plus = wire.capabilities.has("LITERAL+") ||
        (wire.capabilities.has("LITERAL-") && n <= LITERAL_MINUS_MAX);
      pending.push(encoder.encode(plus ? `{${n}+}\r\n` : `{${n}}\r\n`));
      if (!plus) {
        await flush();
        if (!await wire.awaitContinuation(cmd)) return;
      } else cmd.sentUnasked = true;
      pending.push(part.literal);
    } else {
      // The line before a SASL response ends before the server's `+` can come.
      pending.push(CRLF);
      await flush();
      if (!await wire.awaitContinuation(cmd)) return;
      pending.push(encoder.encode(part.afterContinuation));
    }
  }
  pending.push(CRLF);
  await flush();
}
