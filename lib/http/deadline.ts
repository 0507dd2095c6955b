/**
 * The two clocks of one HTTP attempt: a short one until response headers arrive (fetch has no separate
 * connect phase, so "connect timeout" means "no answer yet") and a longer one for the whole attempt,
 * combined with the caller's signal. Timers are cleared on `dispose`, so nothing outlives the attempt.
 * @module
 */

/** Which clock ran out. */
export interface TimedOut {
  phase: "headers" | "total";
  ms: number;
}

/**
 * One attempt's abort signal: aborts when the caller's signal does, when no headers came within
 * `headersMs` of `startHeaders()`, or when `totalMs` passed since construction. `timedOut` says which
 * clock fired (undefined when the caller aborted).
 *
 * @example
 * ```ts
 * import { Deadline } from "./deadline.ts";
 * import { startServer } from "../../tests/support/http_server.ts";
 * const server = await startServer({ "/": (_req, res) => res.end("hello") });
 * const deadline = new Deadline({ headersMs: 10_000, totalMs: 30_000 });
 * try {
 *   deadline.startHeaders();
 *   const res = await fetch(server.url("/"), { signal: deadline.signal });
 *   deadline.headersReceived();
 *   await res.arrayBuffer();
 * } finally {
 *   deadline.dispose();
 *   await server.close();
 * }
 * ```
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #parent?: AbortSignal;
  readonly #headersMs: number;
  readonly #total: ReturnType<typeof setTimeout>;
  #headers?: ReturnType<typeof setTimeout>;
  #timedOut?: TimedOut;
  readonly #onParentAbort = () => this.#controller.abort(this.#parent!.reason);

  /** @param opts the two limits in ms and the caller's signal */
  constructor(opts: { headersMs: number; totalMs: number; signal?: AbortSignal }) {
    this.#parent = opts.signal;
    this.#headersMs = opts.headersMs;
    this.#total = setTimeout(() => this.#fire({ phase: "total", ms: opts.totalMs }), opts.totalMs);
    if (this.#parent?.aborted) this.#onParentAbort();
    else this.#parent?.addEventListener("abort", this.#onParentAbort, { once: true });
  }

  /** Aborts when any clock fires or the caller aborts. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Which clock fired, if one did. */
  get timedOut(): TimedOut | undefined {
    return this.#timedOut;
  }

  /** Starts (or restarts, for the next redirect hop) the wait for response headers. */
  startHeaders(): void {
    clearTimeout(this.#headers);
    this.#headers = setTimeout(() => this.#fire({ phase: "headers", ms: this.#headersMs }), this.#headersMs);
  }

  /** Stops the headers clock; the total clock keeps running while the body streams. */
  headersReceived(): void {
    clearTimeout(this.#headers);
  }

  /** Clears both clocks and detaches from the caller's signal. */
  dispose(): void {
    clearTimeout(this.#headers);
    clearTimeout(this.#total);
    this.#parent?.removeEventListener("abort", this.#onParentAbort);
  }

  #fire(timedOut: TimedOut): void {
    if (this.#controller.signal.aborted) return;
    this.#timedOut = timedOut;
    this.#controller.abort(new DOMException(`no response within ${timedOut.ms} ms`, "TimeoutError"));
  }
}
