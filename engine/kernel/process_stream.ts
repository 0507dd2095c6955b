/**
 * The `process` placement: a stage's items stream through an external command, one line each, through
 * its stdin and stdout. Runs the command with zx 8 (quoting, environment, exit status; its output store is
 * replaced by one that keeps nothing, so an endless stream does not grow memory).
 *
 * The command runs in its own process group, and stopping it signals the whole group: a plain
 * `child.kill()` leaves the grandchildren of `sh -c "..."` holding the pipes open, and killing a process
 * tree found with `ps` races with a shell that forks its next command meanwhile. The cost: a terminal's
 * Ctrl-C no longer reaches the command directly; sluice's own signal handling aborts the stage instead.
 * @module
 */
import type { Buffer } from "node:buffer";
import process from "node:process";
import type { Readable, Writable } from "node:stream";
import { setTimeout as setNodeTimeout } from "node:timers";
import { SluiceError } from "../errors.ts";
import { AnswerLedger } from "./answer_ledger.ts";
import {
  ProcessItemError,
  ProcessStageError,
  ProcessStreamFormatError,
  showCommand,
} from "./process_errors.ts";

export { ProcessItemError, ProcessStageError, ProcessStreamFormatError } from "./process_errors.ts";

/** Options of {@linkcode streamThroughCommand}. */
export interface StreamThroughCommandOptions {
  /** The program and its arguments, each passed as one argument (quoted for the shell by zx). */
  command: string[];
  /**
   * `lines`: each item is written as one line (a string as it is, a number or boolean as text, an object
   * or array as JSON), each output line is yielded as a string (without the line break). `jsonl`: items are
   * written as JSON lines, output lines parsed.
   */
  format: "lines" | "jsonl";
  /**
   * Set when the command prints one line per item, in order (`jq -c`, `tr`, `sed`): once it has ended
   * with status 0, each item it printed no line for is handed here with a {@linkcode ProcessItemError}
   * quoting what it said on stderr about it (see `answer_ledger.ts`). Unset, items are not tracked.
   */
  onUnanswered?: (item: unknown, error: ProcessItemError) => Promise<void> | void;
  /** Aborting kills the command (and its children) and makes the iteration throw `signal.reason`. */
  signal?: AbortSignal;
  /** Working directory of the command. */
  cwd?: string;
  /** Variables added to (or, when `undefined`, removed from) this process's environment for the command. */
  env?: Record<string, string | undefined>;
}

const STDERR_TAIL_LINES = 10;

// zx costs 70-90 ms to import; only programs that run a process stage should pay for it.
type Zx = typeof import("npm:zx@^8.8.5");
let zx: Promise<Zx> | undefined;
const loadZx = (): Promise<Zx> => (zx ??= import("npm:zx@^8.8.5"));

/**
 * Streams `items` through `command`: each item becomes a line on its stdin (waiting when the pipe is
 * full), each line it prints is yielded (parsed for `jsonl`). Throws {@linkcode ProcessStageError} when
 * the command cannot start or exits non-zero (after yielding what it printed), and kills the command
 * when the consumer stops early, the signal aborts, or `items` throws.
 *
 * @param items what to write, one line each
 * @param options the command, line format, abort signal, working directory and environment
 * @returns the command's output lines
 * @example
 * ```ts
 * import { streamThroughCommand } from "./process_stream.ts";
 * async function* words() { yield "b"; yield "a"; }
 * for await (const line of streamThroughCommand<string, string>(words(), { command: ["sort"], format: "lines" })) {
 *   console.log(line); // "a", then "b"
 * }
 * ```
 */
export async function* streamThroughCommand<In, Out>(
  items: AsyncIterable<In>,
  options: StreamThroughCommandOptions,
): AsyncGenerator<Out, void, undefined> {
  const { command, format, signal } = options;
  if (command.length === 0) {
    throw new ProcessStreamFormatError("a process stage needs a command", 'give command: ["program", "arg"]');
  }
  signal?.throwIfAborted();
  const ledger = options.onUnanswered ? new AnswerLedger<unknown>() : undefined;
  const cmd = await RunningCommand.start(command, options, ledger);
  let feedError: unknown;
  const stop = () => cmd.stop();
  signal?.addEventListener("abort", stop, { once: true });
  const feeding = feed(items, cmd, format, command, ledger).catch((e) => {
    feedError = e;
    cmd.stop();
  });

  let finished = false;
  try {
    let lineNo = 0;
    for await (const line of readLines(cmd.child.stdout, ledger)) {
      lineNo++;
      yield (format === "jsonl" ? parseJsonLine(line, lineNo, command) : line) as Out;
    }
    const out = await cmd.child;
    signal?.throwIfAborted();
    if (feedError !== undefined) throw feedError;
    if (out.cause) throw startFailure(command, out.cause);
    const failure = () =>
      new ProcessStageError(command, out.exitCode, out.signal ?? null, cmd.stderr.lines());
    // Per item only when the command ran and answered items: a command that answered none, is missing
    // (127), could not run (126) or was killed is broken as a whole, and the stage fails.
    const perItem = ledger !== undefined && lineNo > 0 && out.exitCode !== null && out.exitCode < 126;
    if (out.exitCode !== 0 && !perItem) throw failure();
    if (ledger) {
      const onUnanswered = options.onUnanswered!;
      const exit = out.exitCode === 0 ? undefined : `exit code ${out.exitCode}`;
      cmd.stderr.flush();
      // From here on the feeder hands each further item over as it comes; what it wrote so far is settled here.
      let late = 0;
      cmd.lateItem = (item, n) => {
        late++;
        return onUnanswered(item, new ProcessItemError(command, n, [], { ended: exit ?? "status 0" }));
      };
      const unanswered = ledger.unanswered();
      for (const u of unanswered) {
        await onUnanswered(u.item, new ProcessItemError(command, u.index, u.stderr, { exit }));
      }
      await feeding;
      if (feedError !== undefined) throw feedError;
      // A failing status with every item answered names no item: it is the stage's.
      if (exit && unanswered.length === 0 && late === 0) throw failure();
    }
    finished = true;
  } catch (e) {
    // Stopping the command ends stdout with a stream error; the abort or the source's error is the story.
    signal?.throwIfAborted();
    if (feedError !== undefined) throw feedError;
    // A command that never started also ends stdout early ("premature close"): say why it did not start.
    if (!(e instanceof SluiceError)) {
      const cause = await cmd.stopAndWait();
      if (cause) throw startFailure(command, cause);
    }
    throw e;
  } finally {
    signal?.removeEventListener("abort", stop);
    if (!finished) await cmd.stopAndWait();
    cmd.stopping = true; // the feeder may still wait on `items`; it ends at its next item
  }
}

type ZxProcess = InstanceType<Zx["ProcessPromise"]>;

/**
 * The command's process, started by zx in its own process group, and how to stop it: SIGTERM to the
 * whole group, then SIGKILL after 2 s for a command that ignores it.
 */
class RunningCommand {
  readonly child: ZxProcess;
  readonly stderr = new LineTail(STDERR_TAIL_LINES);
  /** No more input is wanted: the command is being stopped, or its output is over. */
  stopping = false;
  /** Set once the command has ended with status 0: where each item that comes after goes. */
  lateItem?: (item: unknown, n: number) => Promise<void> | void;

  private constructor(child: ZxProcess, ledger: AnswerLedger<unknown> | undefined) {
    this.child = child;
    if (ledger) this.stderr.onLine = (line) => ledger.complained(line);
    child.stderr.on("data", (chunk: Uint8Array | string) => this.stderr.push(chunk));
  }

  static async start(
    command: string[],
    options: StreamThroughCommandOptions,
    ledger?: AnswerLedger<unknown>,
  ): Promise<RunningCommand> {
    const { $ } = await loadZx();
    const child = $({
      quiet: true,
      nothrow: true,
      detached: true, // its own process group, see the module comment
      verbose: false,
      cwd: options.cwd,
      env: options.env ? commandEnv(options.env) : process.env,
      // zx keeps every output chunk for its ProcessOutput; this stream may be endless, so keep none.
      store: { stdout: new DiscardedChunks(), stderr: new DiscardedChunks(), stdall: new DiscardedChunks() },
    })`${command}`;
    return new RunningCommand(child, ledger);
  }

  /** Signals the group and stops reading; safe to call again. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.#signalGroup("SIGTERM");
    // A daemonised grandchild could still hold the pipes; nothing more is read from them anyway.
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }

  /** Stops the command and waits for it to end; returns why it could not start, if it never did. */
  async stopAndWait(): Promise<unknown> {
    this.stop();
    const escalate = setNodeTimeout(() => this.#signalGroup("SIGKILL"), 2000);
    escalate.unref();
    try {
      return await this.child.then((out) => out.cause, () => undefined);
    } finally {
      clearTimeout(escalate);
    }
  }

  #signalGroup(name: "SIGTERM" | "SIGKILL"): void {
    const pid = this.child.child?.pid;
    try {
      if (pid) process.kill(-pid, name);
    } catch {
      // the group is already gone
    }
  }
}

function startFailure(command: string[], cause: unknown): ProcessStageError {
  const err = cause as { code?: string; message?: string };
  const why = err.code === "ENOENT"
    ? "ENOENT: the working directory or the shell does not exist"
    : err.message;
  return new ProcessStageError(command, null, null, [], why ?? String(cause));
}

/** Writes the items to the command's stdin, one line each, honouring backpressure; then closes stdin. */
async function feed<In>(
  items: AsyncIterable<In>,
  cmd: RunningCommand,
  format: "lines" | "jsonl",
  command: string[],
  ledger: AnswerLedger<unknown> | undefined,
): Promise<void> {
  const stdin = cmd.child.stdin;
  // The command may exit without reading everything (EPIPE): its exit code tells what happened.
  stdin.on("error", () => {});
  let n = 0;
  for await (const item of items) {
    if (cmd.stopping) return;
    n++;
    if (cmd.lateItem) {
      await cmd.lateItem(item, n);
      continue;
    }
    if (stdin.destroyed) {
      // Wait for the exit status: a failure stops the stage, a success fails this item (`lateItem`).
      if (!ledger) return;
      ledger.sent(item);
      continue;
    }
    const line = encodeLine(item, n, format, command);
    ledger?.sent(item, line.slice(0, -1));
    if (!stdin.write(line)) await drained(stdin);
  }
  stdin.end();
}

function encodeLine(item: unknown, n: number, format: "lines" | "jsonl", command: string[]): string {
  // An object in `lines` is written as JSON: `String(item)` would send "[object Object]" for every one.
  const line = format === "jsonl" || (typeof item === "object" && item !== null)
    ? JSON.stringify(item)
    : String(item);
  if (line === undefined) {
    throw new ProcessStreamFormatError(
      `input item ${n} for command ${showCommand(command)} has no JSON form (${typeof item})`,
      "send JSON-serialisable values to a jsonl process stage",
    );
  }
  if (format === "lines" && /[\r\n]/.test(line)) {
    throw new ProcessStreamFormatError(
      `input item ${n} for command ${showCommand(command)} contains a line break, which would split it`,
      'use format: "jsonl", or replace line breaks before this stage',
    );
  }
  return line + "\n";
}

function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done).off("close", done).off("error", done);
      resolve();
    };
    stream.on("drain", done).on("close", done).on("error", done);
  });
}

const READ_AHEAD_LINES = 1024;

/**
 * Splits a byte stream into lines (without `\n` or `\r\n`); yields a last line that lacks a break. Lines
 * are counted into `ledger` as they arrive from the pipe, not as they are consumed, so that they keep
 * their order with the stderr lines (read ahead is bounded: the stream pauses past 1024 lines).
 */
async function* readLines(stream: Readable, ledger?: AnswerLedger<unknown>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let lines: string[] = [];
  let head = 0;
  let rest = "";
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const arrived = (line: string) => {
    lines.push(line);
    ledger?.answered();
  };
  const onData = (chunk: Uint8Array | string) => {
    rest += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n", start)) {
      const end = nl > start && rest.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      arrived(rest.slice(start, end));
      start = nl + 1;
    }
    rest = rest.slice(start);
    if (lines.length - head > READ_AHEAD_LINES) stream.pause();
    notify();
  };
  const onEnd = () => {
    rest += decoder.decode();
    if (rest.length > 0) arrived(rest.endsWith("\r") ? rest.slice(0, -1) : rest);
    rest = "";
    ended = true;
    notify();
  };
  const onError = (e: unknown) => {
    failure ??= e;
    notify();
  };
  // Destroyed before its end (the command was stopped, or never started).
  const onClose = () => onError(ended ? undefined : new Error("premature close"));
  stream.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  try {
    while (true) {
      if (head < lines.length) {
        const line = lines[head++];
        if (head === lines.length) {
          lines = [];
          head = 0;
        }
        if (stream.isPaused() && lines.length - head <= READ_AHEAD_LINES / 2) stream.resume();
        yield line;
      } else if (failure !== undefined) {
        throw failure;
      } else if (ended) {
        return;
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    stream.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
  }
}

function parseJsonLine(line: string, lineNo: number, command: string[]): unknown {
  try {
    return JSON.parse(line);
  } catch (e) {
    const shown = line.length > 80 ? `${line.slice(0, 80)}...` : line;
    throw new ProcessStreamFormatError(
      `output line ${lineNo} of command ${showCommand(command)} is not valid JSON ` +
        `(${(e as Error).message}): ${JSON.stringify(shown)}`,
      'make the command print one JSON value per line, or use format: "lines"',
    );
  }
}

/** This process's environment with `extra` laid over it (`undefined` removes a variable). */
function commandEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...extra })) if (v !== undefined) env[k] = v;
  return env;
}

/** Keeps the last `max` lines written to a stream, for an error message. */
class LineTail {
  /** Called with each complete line as it arrives (before the tail drops old ones). */
  onLine?: (line: string) => void;
  readonly #max: number;
  readonly #lines: string[] = [];
  readonly #decoder = new TextDecoder();
  #partial = "";

  constructor(max: number) {
    this.#max = max;
  }

  push(chunk: Uint8Array | string): void {
    const text = this.#partial +
      (typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true }));
    const parts = text.split(/\r?\n/);
    this.#partial = (parts.pop() ?? "").slice(-1000);
    for (const p of parts) if (p.trim()) this.#add(p.length > 500 ? `${p.slice(0, 500)}...` : p);
    if (this.#lines.length > this.#max) this.#lines.splice(0, this.#lines.length - this.#max);
  }

  /** Takes a last line that lacks its line break as complete (the stream has ended). */
  flush(): void {
    const last = this.#partial + this.#decoder.decode();
    this.#partial = "";
    if (last.trim()) this.#add(last.length > 500 ? `${last.slice(0, 500)}...` : last);
    if (this.#lines.length > this.#max) this.#lines.splice(0, this.#lines.length - this.#max);
  }

  #add(line: string): void {
    this.#lines.push(line);
    this.onLine?.(line);
  }

  lines(): string[] {
    return this.#partial.trim() ? [...this.#lines, this.#partial].slice(-this.#max) : [...this.#lines];
  }
}

/** A chunk list for zx's output store that keeps nothing (memory stays flat on endless streams). */
class DiscardedChunks extends Array<string | Buffer> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  override push(): number {
    return 0;
  }
}
