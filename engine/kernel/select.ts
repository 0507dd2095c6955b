/**
 * Go's `select`: wait on several channel operations, commit exactly one. When several are ready, one
 * is chosen uniformly at random; otherwise a waiter is parked on every channel, all sharing one
 * select, and the first channel that claims one of them fires the select, which removes the others
 * before anything else runs (like Go's sudogs). A losing case never takes or drops a value.
 * @module
 */
import {
  ChannelImpl,
  ChanWaiter,
  type ReceiveChannel,
  type SelectFiring,
  type SendChannel,
} from "./channel.ts";
import { KernelUsageError } from "./errors.ts";

/** A receive case, made by {@linkcode recvCase}. */
export interface RecvCase<T> {
  /** Discriminant. */
  readonly kind: "recv";
  /** The channel to receive from. */
  readonly ch: ReceiveChannel<T>;
}

/** A send case, made by {@linkcode sendCase}. */
export interface SendCase<T> {
  /** Discriminant. */
  readonly kind: "send";
  /** The channel to send on. */
  readonly ch: SendChannel<T>;
  /** The value to send if this case is chosen. */
  readonly value: T;
}

/** One case of a {@linkcode select}. */
// deno-lint-ignore no-explicit-any
export type SelectCase = RecvCase<any> | SendCase<any>;

/** Options of {@linkcode select}. */
export interface SelectOptions {
  /** Aborting rejects with `signal.reason`; no case commits. */
  signal?: AbortSignal;
  /** Milliseconds to wait before resolving `{ index: -1, timedOut: true }`. */
  timeout?: number;
  /** When no case is ready now, resolve `{ index: -1 }` at once (Go's `default:`). */
  default?: boolean;
}

/** The committed case: `index` into the cases, or -1 when the default or the timeout was taken. */
export interface SelectResult {
  /** Index of the case that committed, -1 for default/timeout. */
  index: number;
  /** For a receive case, the value received (undefined when `ok` is false). */
  value?: unknown;
  /** Receive: false when the channel was closed and drained. Send: true. Default/timeout: false. */
  ok: boolean;
  /** True when the timeout fired. */
  timedOut?: boolean;
}

function channelOf<T>(ch: ReceiveChannel<T> | SendChannel<T>): ChannelImpl<T> {
  if (ch instanceof ChannelImpl) return ch;
  throw new KernelUsageError(
    "select case on a value that is not a sluice channel",
    "build cases with recvCase(ch)/sendCase(ch, v) on channels made by chan()",
  );
}

/**
 * A case that receives from `ch`.
 *
 * @example
 * ```ts
 * import { chan } from "./channel.ts";
 * import { recvCase, select } from "./select.ts";
 * const ch = chan<number>(1);
 * ch.trySend(7);
 * console.log(await select([recvCase(ch)])); // { index: 0, value: 7, ok: true }
 * ```
 */
export function recvCase<T>(ch: ReceiveChannel<T>): RecvCase<T> {
  channelOf(ch);
  return { kind: "recv", ch };
}

/**
 * A case that sends `value` on `ch`; if another case commits, `value` is not sent.
 *
 * @example
 * ```ts
 * import { chan } from "./channel.ts";
 * import { sendCase, select } from "./select.ts";
 * const ch = chan<number>(1);
 * console.log((await select([sendCase(ch, 1)])).index); // 0
 * ```
 */
export function sendCase<T>(ch: SendChannel<T>, value: T): SendCase<T> {
  channelOf(ch);
  return { kind: "send", ch, value };
}

/** Performs case `i`, which is known to be ready. Throws ChannelClosedError for a send on a closed channel. */
function commit(c: SelectCase, index: number): SelectResult {
  const ch = c.ch as ChannelImpl<unknown>;
  if (c.kind === "send") {
    ch.pollSend(c.value);
    return { index, ok: true };
  }
  ch.pollRecv();
  const value = ch.polledValue;
  ch.polledValue = undefined;
  return { index, value, ok: ch.polledOk };
}

/**
 * Waits until one of `cases` can proceed and performs exactly that one. Among cases ready at once,
 * each is equally likely. A send case on a closed channel rejects with ChannelClosedError when chosen
 * (as Go panics). With no cases and no timeout/signal it waits forever, like `select {}`.
 *
 * @param cases receive and send cases
 * @param opts `signal`, `timeout` in ms, `default` to not wait
 * @returns which case committed and what it received
 * @example
 * ```ts
 * import { chan } from "./channel.ts";
 * import { recvCase, select, sendCase } from "./select.ts";
 * const jobs = chan<string>(1);
 * const quit = chan<void>();
 * const r = await select([sendCase(jobs, "a"), recvCase(quit)], { timeout: 100 });
 * if (r.index === 0) console.log("queued");
 * else if (r.timedOut) console.log("busy");
 * ```
 */
export function select(cases: readonly SelectCase[], opts?: SelectOptions): Promise<SelectResult> {
  const signal = opts?.signal;
  if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
  // One pass of reservoir sampling picks uniformly among the ready cases.
  let chosen = -1;
  let ready = 0;
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    const ch = channelOf(c.ch);
    if (c.kind === "recv" ? ch.canRecv() : ch.canSend()) {
      ready++;
      if (ready === 1 || Math.random() * ready < 1) chosen = i;
    }
  }
  if (chosen >= 0) {
    try {
      return Promise.resolve(commit(cases[chosen], chosen));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  if (opts?.default) return Promise.resolve({ index: -1, ok: false });
  const timeout = opts?.timeout;
  if (timeout !== undefined && timeout <= 0) return Promise.resolve({ index: -1, ok: false, timedOut: true });
  return new PendingSelect(cases, signal, timeout).promise;
}

/** A select parked on every channel of its cases until one fires, the timeout passes or it is aborted. */
class PendingSelect implements SelectFiring {
  readonly promise: Promise<SelectResult>;
  private resolve!: (r: SelectResult) => void;
  private reject!: (e: unknown) => void;
  private readonly waiters: ChanWaiter<unknown>[];
  private readonly kinds: ("recv" | "send")[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private done = false;

  constructor(cases: readonly SelectCase[], private readonly signal?: AbortSignal, timeout?: number) {
    this.promise = new Promise<SelectResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.waiters = new Array(cases.length);
    this.kinds = new Array(cases.length);
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      const ch = c.ch as ChannelImpl<unknown>;
      const w = new ChanWaiter<unknown>();
      w.sel = this;
      w.index = i;
      this.kinds[i] = c.kind;
      if (c.kind === "send") {
        w.value = c.value;
        ch.sendq.push(w);
      } else {
        ch.recvq.push(w);
      }
      this.waiters[i] = w;
    }
    signal?.addEventListener("abort", this, { once: true });
    if (timeout !== undefined) {
      this.timer = setTimeout(() => {
        if (this.finish()) this.resolve({ index: -1, ok: false, timedOut: true });
      }, timeout);
    }
  }

  /** Marks the select done and withdraws every other waiter; false when it was already done. */
  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    for (const w of this.waiters) w.queue?.remove(w);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.signal?.removeEventListener("abort", this);
    return true;
  }

  fire(index: number, value: unknown, ok: boolean): void {
    if (!this.finish()) return;
    this.resolve(this.kinds[index] === "send" ? { index, ok: true } : { index, value, ok });
  }

  fail(error: unknown): void {
    if (this.finish()) this.reject(error);
  }

  /** Abort listener. */
  handleEvent(): void {
    if (this.finish()) this.reject(this.signal!.reason);
  }
}
