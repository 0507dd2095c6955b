/**
 * `owner(spec)`: a single-owner actor. One task owns a resource that must not be shared (an IMAP
 * connection, stdout); callers send it typed requests (`o.call.append(msg)`) and get the reply as a
 * promise. Requests are served strictly one at a time, in arrival order across all actions. When an
 * error says the resource is broken (`isFatal`), the owner closes it, reopens it with exponential
 * backoff and retries the request, failing it with {@linkcode OwnerReconnectError} once the attempts
 * are spent. `close()` answers every pending request; none is left hanging.
 * @module
 */
import { runStopperIn } from "../errors.ts";
import { OwnerClosedError, OwnerReconnectError } from "./errors.ts";
import { WaitNode, WaitQueue } from "./wait_queue.ts";
import { backoffDelay, sleep } from "./backoff.ts";

/** What an action receives besides the resource and the request. */
export interface ActionContext {
  /** Aborted when the owner is closed with `drain: false`; long actions may stop early. */
  readonly signal: AbortSignal;
}

/** An action: does one request against the resource. */
// deno-lint-ignore no-explicit-any
export type OwnerAction<R> = (resource: R, request: any, ctx: ActionContext) => Promise<unknown>;

/** How an owner brings a broken resource back. */
export interface ReconnectPolicy {
  /** Reopen-and-retry rounds after the first fatal failure of a request (0 = fail at once). */
  attempts: number;
  /** Wait before the first retry; doubles each retry. */
  backoffMs: number;
  /** Cap of the wait (default 30 000 ms). */
  maxBackoffMs?: number;
}

/** The definition of an owner. */
export interface OwnerSpec<R, A extends Record<string, OwnerAction<R>>> {
  /** Used in errors (`owner "imap": ...`). */
  name: string;
  /** Opens the resource; `signal` aborts when the owner is closed without draining. */
  open(signal: AbortSignal): Promise<R>;
  /** Closes the resource (after a fatal error, and at `close()`). */
  close?(resource: R): Promise<void>;
  /** The requests the owner serves, by name. */
  actions: A;
  /** Reopen and retry on fatal errors (default: no retry; the next request reopens). */
  reconnect?: ReconnectPolicy;
  /**
   * Whether an error (from `open` or an action) means the resource is broken and must be reopened.
   * Default: {@linkcode isConnectionError}. A non-fatal action error fails only that request.
   */
  isFatal?(error: unknown): boolean;
  /** Open the resource as soon as the owner starts rather than at the first request. */
  openOnStart?: boolean;
}

/** Options of one call. */
export interface CallOptions {
  /** Aborting a call still queued withdraws it; a call already running completes and reports its outcome. */
  signal?: AbortSignal;
}

/** The typed callers of an owner's actions: `call.append(msg)` for `actions.append(conn, msg)`. */
export type OwnerCalls<A> = {
  // deno-lint-ignore no-explicit-any
  [K in keyof A]: A[K] extends (resource: any, ...rest: infer P) => Promise<infer S>
    ? P extends [] ? (request?: undefined, opts?: CallOptions) => Promise<S>
    : undefined extends P[0] ? (request?: P[0], opts?: CallOptions) => Promise<S>
    : (request: P[0], opts?: CallOptions) => Promise<S>
    : never;
};

/** A running owner. */
export interface Owner<A> {
  /** The owner's name. */
  readonly name: string;
  /** One function per action. */
  readonly call: OwnerCalls<A>;
  /** Calls not yet answered (queued plus the one running), for metrics. */
  readonly pending: number;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /**
   * The error that left the resource broken (its `open` failed, or an action failed with a fatal error),
   * until it opens again; undefined while it is open or has not been tried (for health checks).
   */
  readonly broken: unknown;
  /**
   * Stops accepting calls, answers every pending one and closes the resource. With `drain` (the
   * default) queued calls are served first; with `drain: false` they fail with OwnerClosedError and
   * the running action's signal is aborted (also when an earlier draining close is still running).
   */
  close(opts?: { drain?: boolean }): Promise<void>;
}

const CONNECTION_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTCONN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ERR_SOCKET_CLOSED",
  "ERR_STREAM_DESTROYED",
]);

/**
 * The default `isFatal`: a network error code (ECONNRESET, EPIPE, ...) or an error flagged
 * `fatal: true` / `connectionBroken: true`.
 *
 * @example
 * ```ts
 * import { isConnectionError } from "./owner.ts";
 * console.log(isConnectionError(Object.assign(new Error("reset"), { code: "ECONNRESET" }))); // true
 * ```
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; fatal?: unknown; connectionBroken?: unknown };
  return e.fatal === true || e.connectionBroken === true ||
    (typeof e.code === "string" && CONNECTION_CODES.has(e.code));
}

class OwnerRequest extends WaitNode {
  constructor(
    readonly action: string,
    readonly request: unknown,
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {
    super();
  }

  /** Abort listener: only a request still queued is withdrawn. */
  handleEvent(): void {
    if (this.queue?.remove(this)) this.reject(this.signal!.reason);
  }
}

/**
 * Starts an owner for `spec`.
 *
 * @param spec how to open and close the resource, the actions, and the reconnect policy
 * @returns the owner, with one typed caller per action in `call`
 * @example
 * ```ts
 * import { owner } from "./owner.ts";
 * interface Conn { send(line: string): Promise<number> }
 * const imap = owner({
 *   name: "imap",
 *   open: async (): Promise<Conn> => ({ send: async (l) => l.length }),
 *   actions: { append: async (conn: Conn, msg: string) => await conn.send(msg) },
 *   reconnect: { attempts: 3, backoffMs: 200 },
 * });
 * const uid: number = await imap.call.append("Subject: hi");
 * await imap.close();
 * ```
 */
export function owner<R, A extends Record<string, OwnerAction<R>>>(spec: OwnerSpec<R, A>): Owner<A> {
  return new ResourceOwner<R, A>(spec);
}

class ResourceOwner<R, A extends Record<string, OwnerAction<R>>> implements Owner<A> {
  readonly call: OwnerCalls<A>;
  private readonly queue = new WaitQueue<OwnerRequest>();
  private readonly stop = new AbortController();
  private readonly ctx: ActionContext = { signal: this.stop.signal };
  private readonly isFatal: (error: unknown) => boolean;
  private resource: { value: R } | undefined;
  /** See {@linkcode Owner.broken}. */
  private brokenBy: unknown;
  /** An open failure that stops runs (a refused login): every later request fails with it. */
  private finalOpenError: unknown;
  private running = false;
  private closing = false;
  private wake: (() => void) | undefined;
  private readonly finished: Promise<void>;

  constructor(private readonly spec: OwnerSpec<R, A>) {
    this.isFatal = spec.isFatal ?? isConnectionError;
    const call: Record<string, (request?: unknown, opts?: CallOptions) => Promise<unknown>> = {};
    for (const action of Object.keys(spec.actions)) {
      call[action] = (request, opts) => this.enqueue(action, request, opts?.signal);
    }
    this.call = Object.freeze(call) as OwnerCalls<A>;
    this.finished = this.serve();
  }

  get name(): string {
    return this.spec.name;
  }

  get pending(): number {
    return this.queue.size + (this.running ? 1 : 0);
  }

  get closed(): boolean {
    return this.closing;
  }

  get broken(): unknown {
    return this.brokenBy;
  }

  close(opts?: { drain?: boolean }): Promise<void> {
    this.closing = true;
    // A later close({ drain: false }) may cut short a draining close that is taking too long.
    if (opts?.drain === false && !this.stop.signal.aborted) {
      for (let r = this.queue.shift(); r !== null; r = this.queue.shift()) {
        r.signal?.removeEventListener("abort", r);
        r.reject(new OwnerClosedError(this.spec.name, r.action));
      }
      this.stop.abort(new OwnerClosedError(this.spec.name, "close"));
    }
    this.wake?.();
    return this.finished;
  }

  private enqueue(action: string, request: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.closing) return Promise.reject(new OwnerClosedError(this.spec.name, action));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const r = new OwnerRequest(action, request, resolve, reject, signal);
      signal?.addEventListener("abort", r, { once: true });
      this.queue.push(r);
      this.wake?.();
    });
  }

  /** The owner's task: one request at a time until closed and drained, then the resource is closed. */
  private async serve(): Promise<void> {
    // An open failure at start is not reported here: the first request reopens and reports it.
    if (this.spec.openOnStart) await this.openResource().catch(() => {});
    for (;;) {
      const r = this.queue.shift();
      if (r === null) {
        if (this.closing) break;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      r.signal?.removeEventListener("abort", r); // from here on the caller gets the real outcome
      this.running = true;
      try {
        r.resolve(await this.perform(r));
      } catch (e) {
        r.reject(e);
      } finally {
        this.running = false;
      }
    }
    const held = this.resource;
    this.resource = undefined;
    if (held !== undefined) await this.spec.close?.(held.value);
  }

  private async openResource(): Promise<R> {
    if (this.resource !== undefined) return this.resource.value;
    if (this.finalOpenError !== undefined) throw this.finalOpenError;
    try {
      this.resource = { value: await this.spec.open(this.stop.signal) };
      this.brokenBy = undefined;
    } catch (e) {
      this.brokenBy = e;
      // A refused login will be refused again: later requests get the same error without a new attempt
      // (each costs the server's failed-login delay, seconds on Dovecot).
      if (runStopperIn(e)) this.finalOpenError = e;
      throw e;
    }
    return this.resource.value;
  }

  /** Runs one request, reopening the resource and retrying while errors are fatal and attempts remain. */
  private async perform(r: OwnerRequest): Promise<unknown> {
    const action = this.spec.actions[r.action];
    const attempts = this.spec.reconnect?.attempts ?? 0;
    // Attempt N that fails with a fatal error is followed by reconnect number N, while reconnects remain.
    for (let attempt = 1;; attempt++) {
      if (this.stop.signal.aborted) throw new OwnerClosedError(this.spec.name, r.action);
      let failure: unknown;
      try {
        const resource = await this.openResource();
        return await action(resource, r.request, this.ctx);
      } catch (e) {
        if (!this.isFatal(e)) throw e;
        failure = e;
        this.brokenBy = e;
      }
      await this.dropResource();
      if (attempts === 0) throw failure;
      if (attempt > attempts) throw new OwnerReconnectError(this.spec.name, r.action, attempts, failure);
      if (!(await this.backoff(attempt))) throw new OwnerClosedError(this.spec.name, r.action);
    }
  }

  /** Closes a broken resource; its close error is expected (the connection is gone) and dropped. */
  private async dropResource(): Promise<void> {
    const held = this.resource;
    this.resource = undefined;
    if (held !== undefined) await this.spec.close?.(held.value).catch(() => {});
  }

  /** Waits before reconnect number `retry` (1-based); false when `close({ drain: false })` cut it short. */
  private backoff(retry: number): Promise<boolean> {
    const policy = this.spec.reconnect!;
    const ms = backoffDelay(retry, { baseMs: policy.backoffMs, maxMs: policy.maxBackoffMs, jitter: false });
    return sleep(ms, this.stop.signal).then(() => true, () => false);
  }
}
