/**
 * Go channels: `chan<T>(capacity)` gives a FIFO that hands values from producers to consumers with
 * back-pressure. Capacity 0 is a rendezvous (a send completes only when a receiver has taken the
 * value); otherwise sends wait while the buffer is full. Closing wakes waiting senders with
 * {@linkcode ChannelClosedError} and lets receivers drain the buffer before they see `ok: false`.
 *
 * Hot paths allocate as little as possible: a send that fits returns one shared resolved promise, a
 * send that finds a waiting receiver hands the value over directly, and waiters are nodes of an
 * intrusive list (no closures; the waiter object itself is the abort listener).
 * @module
 */
import { ChannelClosedError, KernelUsageError } from "./errors.ts";
import { RingBuffer } from "./ring_buffer.ts";
import { WaitNode, WaitQueue } from "./wait_queue.ts";

/** What a receive yields: `ok` is false (and `value` undefined) once the channel is closed and drained. */
export interface RecvResult<T> {
  /** The value received, or undefined when `ok` is false. */
  readonly value: T | undefined;
  /** False when the channel is closed and its buffer drained. */
  readonly ok: boolean;
}

/** Options of a blocking channel operation. */
export interface ChannelOpOptions {
  /** Aborting removes the waiting operation (nothing sent, nothing taken) and rejects with the reason. */
  signal?: AbortSignal;
}

/**
 * The receiving side of a channel (Go's `<-chan T`): hand it to consumers that must not send or close.
 *
 * @example
 * ```ts
 * import { chan, type ReceiveChannel } from "./channel.ts";
 * async function total(input: ReceiveChannel<number>) {
 *   let sum = 0;
 *   for await (const n of input) sum += n;
 *   return sum;
 * }
 * const ch = chan<number>(2);
 * await ch.send(1); await ch.send(2); ch.close();
 * console.log(await total(ch)); // 3
 * ```
 */
export interface ReceiveChannel<T> extends AsyncIterable<T> {
  /** Buffer size: 0 for a rendezvous channel. */
  readonly capacity: number;
  /** Values buffered now. */
  readonly length: number;
  /** Whether `close()` was called (buffered values may remain). */
  readonly closed: boolean;
  /** Receives the next value, waiting for one; `{ ok: false }` once closed and drained. */
  recv(opts?: ChannelOpOptions): Promise<RecvResult<T>>;
  /** Receives without waiting: undefined when it would block. */
  tryRecv(): RecvResult<T> | undefined;
}

/**
 * The sending side of a channel (Go's `chan<- T`): hand it to producers.
 *
 * @example
 * ```ts
 * import { chan, type SendChannel } from "./channel.ts";
 * async function produce(out: SendChannel<number>) {
 *   for (let i = 0; i < 3; i++) await out.send(i);
 *   out.close();
 * }
 * const ch = chan<number>(3);
 * await produce(ch);
 * console.log(ch.length); // 3
 * ```
 */
export interface SendChannel<T> {
  /** Buffer size: 0 for a rendezvous channel. */
  readonly capacity: number;
  /** Values buffered now. */
  readonly length: number;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /** Sends `value`, waiting for buffer space or a receiver; rejects with ChannelClosedError if closed. */
  send(value: T, opts?: ChannelOpOptions): Promise<void>;
  /** Sends without waiting: false when it would block; throws ChannelClosedError if closed. */
  trySend(value: T): boolean;
  /** Closes the channel; throws ChannelClosedError when already closed. */
  close(): void;
}

/**
 * A Go-style channel: both sides. Iterate it with `for await` to receive until it is closed and
 * drained.
 *
 * @example
 * ```ts
 * import { chan } from "./channel.ts";
 * const ch = chan<number>(8);
 * (async () => { for (let i = 0; i < 3; i++) await ch.send(i); ch.close(); })();
 * for await (const n of ch) console.log(n); // 0 1 2
 * ```
 */
export interface Channel<T> extends ReceiveChannel<T>, SendChannel<T> {}

/** Options of {@linkcode chan}. */
export interface ChanOptions {
  /** A name used in error messages (`send on closed channel "items"`). */
  name?: string;
}

/**
 * The side of a `select` that owns several waiters; the first waiter a channel claims fires it.
 * @internal
 */
export interface SelectFiring {
  /** Case `index` completed (a receive got `value`/`ok`, or a send was taken). */
  fire(index: number, value: unknown, ok: boolean): void;
  /** A send case's channel was closed while it waited. */
  fail(error: unknown): void;
}

const RESOLVED: Promise<void> = Promise.resolve();
const CLOSED_RESULT: RecvResult<never> = Object.freeze({ value: undefined, ok: false });
const CLOSED_PROMISE: Promise<RecvResult<never>> = Promise.resolve(CLOSED_RESULT);
const DONE_RESULT: IteratorResult<never> = Object.freeze({ value: undefined, done: true });
const DONE_PROMISE: Promise<IteratorResult<never>> = Promise.resolve(DONE_RESULT);

// A shared executor captures resolve/reject without allocating a closure per blocked operation.
let capturedResolve: (value: unknown) => void;
let capturedReject: (reason: unknown) => void;
function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

function noop(): void {}

/**
 * One parked operation on a channel (Go's sudog): a sender with its value, or a receiver. A waiter of
 * a `select` points at the select (`sel`) and its case index instead of having its own promise.
 * @internal
 */
export class ChanWaiter<T> extends WaitNode {
  /** The value a sender offers. */
  value: T | undefined = undefined;
  resolve: (value: unknown) => void = noop;
  reject: (reason: unknown) => void = noop;
  signal: AbortSignal | undefined = undefined;
  sel: SelectFiring | null = null;
  index = 0;
  /** A receiver parked by `for await` wants an iterator step instead of a RecvResult. */
  iter = false;

  /** Abort listener: a waiter still queued leaves the queue and rejects; nothing was sent or taken. */
  handleEvent(): void {
    const queue = this.queue;
    if (queue !== null && queue.remove(this)) this.reject(this.signal!.reason);
  }
}

function park<T>(queue: WaitQueue<ChanWaiter<T>>, signal: AbortSignal | undefined, w: ChanWaiter<T>) {
  const promise = new Promise(capture);
  w.resolve = capturedResolve;
  w.reject = capturedReject;
  if (signal !== undefined) {
    w.signal = signal;
    signal.addEventListener("abort", w, { once: true });
  }
  queue.push(w);
  return promise;
}

function wakeReceiver<T>(w: ChanWaiter<T>, value: T | undefined, ok: boolean): void {
  if (w.sel !== null) return w.sel.fire(w.index, value, ok);
  if (w.signal !== undefined) w.signal.removeEventListener("abort", w);
  if (w.iter) w.resolve(ok ? { value, done: false } : DONE_RESULT);
  else w.resolve(ok ? { value, ok: true } : CLOSED_RESULT);
}

function wakeSender<T>(w: ChanWaiter<T>): void {
  w.value = undefined;
  if (w.sel !== null) return w.sel.fire(w.index, undefined, true);
  if (w.signal !== undefined) w.signal.removeEventListener("abort", w);
  w.resolve(undefined);
}

function failSender<T>(w: ChanWaiter<T>, error: ChannelClosedError): void {
  w.value = undefined;
  if (w.sel !== null) return w.sel.fail(error);
  if (w.signal !== undefined) w.signal.removeEventListener("abort", w);
  w.reject(error);
}

/**
 * The channel implementation. Exported for `select`, which drives the `poll*` methods and queues.
 * @internal
 */
export class ChannelImpl<T> implements Channel<T> {
  readonly capacity: number;
  /** Parked receivers (only while the buffer is empty). */
  readonly recvq: WaitQueue<ChanWaiter<T>> = new WaitQueue();
  /** Parked senders (only while the buffer is full). */
  readonly sendq: WaitQueue<ChanWaiter<T>> = new WaitQueue();
  private readonly ring: RingBuffer<T>;
  private readonly label: string;
  private isClosed = false;
  /** Out-parameters of {@linkcode pollRecv}, so the fast path allocates nothing. */
  polledValue: T | undefined = undefined;
  polledOk = false;

  constructor(capacity: number, name?: string) {
    this.capacity = capacity;
    this.ring = new RingBuffer<T>(capacity);
    this.label = name === undefined ? "channel" : `channel "${name}"`;
  }

  get length(): number {
    return this.ring.count;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Whether a receive would complete now (value, waiting sender, or closed). */
  canRecv(): boolean {
    return this.ring.count > 0 || this.sendq.size > 0 || this.isClosed;
  }

  /** Whether a send would complete now (or fail because the channel is closed). */
  canSend(): boolean {
    return this.isClosed || this.recvq.size > 0 || this.ring.count < this.capacity;
  }

  /** Receives without waiting; true when `polledValue`/`polledOk` hold a result. */
  pollRecv(): boolean {
    const ring = this.ring;
    if (ring.count > 0) {
      this.polledValue = ring.shift();
      this.polledOk = true;
      const s = this.sendq.shift();
      if (s !== null) {
        ring.push(s.value as T);
        wakeSender(s);
      }
      return true;
    }
    const s = this.sendq.shift();
    if (s !== null) {
      this.polledValue = s.value;
      this.polledOk = true;
      wakeSender(s);
      return true;
    }
    if (this.isClosed) {
      this.polledValue = undefined;
      this.polledOk = false;
      return true;
    }
    return false;
  }

  /** Sends without waiting; false when it would block; throws ChannelClosedError when closed. */
  pollSend(value: T): boolean {
    if (this.isClosed) throw new ChannelClosedError(`send on closed ${this.label}`);
    const r = this.recvq.shift();
    if (r !== null) {
      wakeReceiver(r, value, true);
      return true;
    }
    if (this.ring.count < this.capacity) {
      this.ring.push(value);
      return true;
    }
    return false;
  }

  send(value: T, opts?: ChannelOpOptions): Promise<void> {
    const signal = opts?.signal;
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    try {
      if (this.pollSend(value)) return RESOLVED;
    } catch (e) {
      return Promise.reject(e);
    }
    const w = new ChanWaiter<T>();
    w.value = value;
    return park(this.sendq, signal, w) as Promise<void>;
  }

  recv(opts?: ChannelOpOptions): Promise<RecvResult<T>> {
    const signal = opts?.signal;
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    if (this.pollRecv()) {
      if (!this.polledOk) return CLOSED_PROMISE;
      const value = this.polledValue;
      this.polledValue = undefined;
      return Promise.resolve({ value, ok: true });
    }
    return park(this.recvq, signal, new ChanWaiter<T>()) as Promise<RecvResult<T>>;
  }

  /** `recv` shaped as an iterator step, for `for await`. */
  next(): Promise<IteratorResult<T>> {
    if (this.pollRecv()) {
      if (!this.polledOk) return DONE_PROMISE;
      const value = this.polledValue as T;
      this.polledValue = undefined;
      return Promise.resolve({ value, done: false });
    }
    const w = new ChanWaiter<T>();
    w.iter = true;
    return park(this.recvq, undefined, w) as Promise<IteratorResult<T>>;
  }

  trySend(value: T): boolean {
    return this.pollSend(value);
  }

  tryRecv(): RecvResult<T> | undefined {
    if (!this.pollRecv()) return undefined;
    if (!this.polledOk) return CLOSED_RESULT;
    const value = this.polledValue;
    this.polledValue = undefined;
    return { value, ok: true };
  }

  close(): void {
    if (this.isClosed) throw new ChannelClosedError(`close of closed ${this.label}`);
    this.isClosed = true;
    // Receivers only wait while the buffer is empty, so none of them is owed a buffered value.
    for (let r = this.recvq.shift(); r !== null; r = this.recvq.shift()) wakeReceiver(r, undefined, false);
    for (let s = this.sendq.shift(); s !== null; s = this.sendq.shift()) {
      failSender(s, new ChannelClosedError(`send on ${this.label} closed while the send waited`));
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new ChannelIterator(this);
  }
}

/** Iterates a channel; breaking out of `for await` leaves the channel untouched. */
class ChannelIterator<T> implements AsyncIterator<T> {
  constructor(private readonly ch: ChannelImpl<T>) {}
  next(): Promise<IteratorResult<T>> {
    return this.ch.next();
  }
  return(): Promise<IteratorResult<T>> {
    return DONE_PROMISE;
  }
}

/**
 * Makes a channel. `capacity` 0 (the default) is a rendezvous; a positive integer bounds the buffer;
 * `Infinity` makes it unbounded (sends never wait).
 *
 * @param capacity buffer size
 * @param options a name for error messages
 * @returns a new open channel
 * @example
 * ```ts
 * import { chan } from "./channel.ts";
 * const ch = chan<string>();          // rendezvous
 * const done = ch.send("hi");         // pending until received
 * console.log(await ch.recv());       // { value: "hi", ok: true }
 * await done;
 * ```
 */
export function chan<T>(capacity = 0, options?: ChanOptions): Channel<T> {
  if (!(capacity >= 0) || (capacity !== Infinity && !Number.isInteger(capacity))) {
    throw new KernelUsageError(
      `chan(${capacity}): capacity must be a non-negative integer or Infinity`,
      "use 0 for a rendezvous channel or the number of values to buffer",
    );
  }
  return new ChannelImpl<T>(capacity, options?.name);
}
