/**
 * Runs a chain of stages (a pipeline, or one branch of a fan-out): one bounded channel between
 * neighbours, each stage's workers with its concurrency, retries, time limit and error policy.
 * `runPipeline` (runner.ts) sets up the run around it.
 * @module
 */
import { chan, type Channel } from "../kernel/mod.ts";
import { redactUrlsIn, runStopperIn, SluiceError } from "../errors.ts";
import { permissionProblem } from "../permission_error.ts";
import { yieldWhenBusy } from "../placement/loop_slice.ts";
import type { Emitted, Placement, Stage, StageContext } from "./stage.ts";
import { observeProcessing, type RunMetrics, type StageMetrics } from "./metrics.ts";
import type { Tracer } from "./trace.ts";
import type { Logger } from "./logger.ts";
import type { ItemFailure } from "./item_failure.ts";
import { withRetry } from "./retry.ts";
import { deadLetterOf, writeDeadLetter } from "./dead_letter.ts";
import { InOrder } from "./in_order.ts";
import { describeItem } from "./describe_item.ts";
import { messageOf, StageFailedError } from "./stage_failed_error.ts";
import type { BytesInFlight } from "./bytes_in_flight.ts";

/** What a {@linkcode ChainRunner} shares with the run around it. */
export interface ChainDeps {
  metrics: RunMetrics;
  contextFor(stage: string, m: StageMetrics, placement: Placement): StageContext;
  hard: AbortController;
  failures: ItemFailure[];
  logger: Logger;
  tracer: Tracer;
  /** The run's memory budget: what emitted items weigh (`bytesOf`) is held until the next stage is done. */
  memory: BytesInFlight;
}

/**
 * Runs a chain of stages (a pipeline, or one branch of a fan-out).
 *
 * @example Not run here: an internal step of `runPipeline`, which builds its dependencies.
 * ```ts ignore
 * await new ChainRunner(deps).run(pipeline.stages, undefined);
 * ```
 */
export class ChainRunner {
  /** Each stage's place in the run (a branch's stages come after the stage that fans out to them). */
  #positions = 0;

  constructor(private deps: ChainDeps) {}

  async run(stages: Array<Stage<unknown, unknown>>, input: Channel<unknown> | undefined): Promise<void> {
    const tasks: Promise<void>[] = [];
    let current = input;
    stages.forEach((stage, i) => {
      const o = stage.options;
      const m = this.deps.metrics.stage(o.name, o.placement, o.concurrency, o.capacity);
      const last = i === stages.length - 1;
      const out = last || stage.body.kind === "branch"
        ? undefined
        : chan<unknown>(stages[i + 1].options.capacity);
      if (out) this.deps.metrics.watchDepth(stages[i + 1].options.name, () => out.length);
      tasks.push(this.runStage(stage, m, current, out, this.#positions++));
      current = out;
    });
    const results = await Promise.allSettled(tasks);
    for (const r of results) {
      if (r.status === "rejected" && !this.deps.hard.signal.aborted) {
        this.deps.hard.abort(r.reason);
      }
    }
  }

  private async runStage(
    stage: Stage<unknown, unknown>,
    m: StageMetrics,
    input: Channel<unknown> | undefined,
    out: Channel<unknown> | undefined,
    position: number,
  ): Promise<void> {
    const ctx = this.deps.contextFor(stage.options.name, m, stage.options.placement);
    const body = stage.body;
    const send = this.sender(stage, position, out, ctx);
    try {
      switch (body.kind) {
        case "source":
          return await this.runSource(body.produce, ctx, m, send);
        case "transform":
          return await this.runTransform(stage, body, ctx, m, input!, send);
        case "stream":
          return await this.runStream(stage, body.stream, ctx, m, input!, send);
        case "branch":
          return await this.runBranch(body.branches, ctx, m, input!);
      }
    } catch (error) {
      if (!this.deps.hard.signal.aborted) {
        const e = error instanceof SluiceError
          ? error
          : new StageFailedError(stage.options.name, undefined, error);
        this.deps.logger.log("error", messageOf(e), { stage: stage.options.name });
        this.deps.hard.abort(e);
      }
    } finally {
      out?.close();
      if (input && this.deps.hard.signal.aborted) this.drain(input);
    }
  }

  /**
   * How a stage hands an item downstream: the bytes its `bytesOf` gives are taken from the run's budget
   * first (waiting while it is used up, for bytes held at this stage or downstream only), and given back
   * if the item never gets into the channel. The last stage sends nowhere and holds nothing.
   */
  private sender(
    stage: Stage<unknown, unknown>,
    position: number,
    out: Channel<unknown> | undefined,
    ctx: StageContext,
  ): Send {
    if (!out) return () => Promise.resolve();
    const bytesOf = stage.options.bytesOf;
    const memory = this.deps.memory;
    if (!bytesOf) return (value) => out.send(value, { signal: ctx.signal });
    return async (value) => {
      await memory.hold(value, bytesOf(value), position, ctx.signal);
      try {
        await out.send(value, { signal: ctx.signal });
      } catch (e) {
        memory.release(value);
        throw e;
      }
    };
  }

  /** Empties a channel after an abort so that no sender stays blocked on it; its items' bytes go back. */
  private drain(ch: Channel<unknown>): void {
    for (let r = ch.tryRecv(); r?.ok; r = ch.tryRecv()) this.deps.memory.release(r.value);
  }

  private async runSource(
    produce: (ctx: StageContext) => AsyncIterable<unknown> | Iterable<unknown>,
    ctx: StageContext,
    m: StageMetrics,
    send: Send,
  ): Promise<void> {
    for await (const value of produce(ctx)) {
      if (ctx.stopSignal.aborted) break;
      m.itemsOut++;
      await send(value);
    }
  }

  private async runStream(
    stage: Stage<unknown, unknown>,
    stream: Extract<Stage<unknown, unknown>["body"], { kind: "stream" }>["stream"],
    ctx: StageContext,
    m: StageMetrics,
    input: Channel<unknown>,
    send: Send,
  ): Promise<void> {
    const memory = this.deps.memory;
    // A stream stage keeps no per-item account: an item's bytes go back once the stage has taken it.
    const counted = async function* () {
      while (true) {
        const r = await input.recv({ signal: ctx.signal });
        if (!r.ok) return;
        m.itemsIn++;
        memory.release(r.value);
        yield r.value;
      }
    };
    const fail = (item: unknown, error: unknown) =>
      this.failItem(stage, ctx, m, item, describeItem(item), error);
    for await (const value of stream(counted(), ctx, fail)) {
      m.itemsOut++;
      await send(value);
    }
  }

  private async runBranch(
    branches: Array<Array<Stage<unknown, unknown>>>,
    ctx: StageContext,
    m: StageMetrics,
    input: Channel<unknown>,
  ): Promise<void> {
    const inputs = branches.map((b) => chan<unknown>(b[0].options.capacity));
    const runs = branches.map((b, i) => this.run(b, inputs[i]));
    try {
      while (true) {
        const r = await input.recv({ signal: ctx.signal });
        if (!r.ok) break;
        m.itemsIn++;
        for (const ch of inputs) await ch.send(r.value, { signal: ctx.signal });
        m.itemsOut++;
      }
    } finally {
      for (const ch of inputs) ch.close();
      await Promise.all(runs);
    }
  }

  private async runTransform(
    stage: Stage<unknown, unknown>,
    body: Extract<Stage<unknown, unknown>["body"], { kind: "transform" }>,
    ctx: StageContext,
    m: StageMetrics,
    input: Channel<unknown>,
    send: Send,
  ): Promise<void> {
    const o = stage.options;
    const memory = this.deps.memory;
    await body.open?.(ctx);
    const order = o.ordered && o.concurrency > 1 ? new InOrder() : undefined;
    let seq = 0;
    const laneOf = this.deps.tracer.stageLanes(o.placement === "owner" ? "owner" : o.placement, o.name);
    const worker = async (_: unknown, slot: number) => {
      const lane = laneOf(slot);
      while (true) {
        const r = await input.recv({ signal: ctx.signal });
        if (!r.ok) return;
        const mySeq = seq++; // taken at once: the order items came in, whatever waits after
        // Items arrive by microtasks: without this, a burst would run back to back in one event-loop task.
        const pause = yieldWhenBusy();
        if (pause) await pause;
        m.itemsIn++;
        m.inFlight++;
        m.maxInFlight = Math.max(m.maxInFlight, m.inFlight + input.length);
        const t0 = performance.now();
        const label = describeItem(r.value);
        const endSpan = this.deps.tracer.begin(lane, o.name, label);
        let emitted: Awaited<ReturnType<typeof body.handle>> | undefined;
        try {
          // Without retries or a time limit, the item goes straight to the stage: the retry machinery's
          // promises and closures were a large part of what every item of every stage allocated.
          emitted = !o.retry && !o.timeoutMs ? await body.handle(r.value, ctx) : await withRetry(
            (signal) => body.handle(r.value, signal === ctx.signal ? ctx : withSignal(ctx, signal)),
            {
              stage: o.name,
              retry: o.retry,
              timeoutMs: o.timeoutMs,
              signal: ctx.signal,
              onRetry: (error, attempt) => {
                m.retries++;
                ctx.log("debug", `retry ${attempt} after: ${messageOf(error)}`, { item: label });
              },
            },
          );
          m.itemsDone++;
        } catch (error) {
          memory.release(r.value);
          if (ctx.signal.aborted) return;
          await this.failItem(stage, ctx, m, r.value, label, error);
        } finally {
          const ms = performance.now() - t0;
          m.busyMs += ms;
          observeProcessing(m, ms);
          m.inFlight--;
          endSpan();
        }
        // The item's bytes go back now that the stage is done with it, unless it goes on itself (a filter).
        if (emitted && !passesOn(emitted, r.value)) memory.release(r.value);
        if (order) await order.turn(mySeq, ctx.signal);
        try {
          if (emitted && "one" in emitted) {
            m.itemsOut++;
            await send(emitted.one);
          } else if (emitted) await this.emit(emitted, m, send);
        } finally {
          order?.done(mySeq);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: o.concurrency }, worker));
    } finally {
      await body.close?.(ctx);
    }
  }

  private async emit(
    emitted: { one: unknown } | { many: Iterable<unknown> | AsyncIterable<unknown> } | { none: true },
    m: StageMetrics,
    send: Send,
  ): Promise<void> {
    if ("none" in emitted) return;
    if ("one" in emitted) {
      m.itemsOut++;
      await send(emitted.one);
      return;
    }
    for await (const v of emitted.many) {
      m.itemsOut++;
      await send(v);
    }
  }

  private async failItem(
    stage: Stage<unknown, unknown>,
    ctx: StageContext,
    m: StageMetrics,
    item: unknown,
    label: string | undefined,
    error: unknown,
  ): Promise<void> {
    const o = stage.options;
    m.errors++;
    // A refused permission or login stops the run whatever `on-error` says: no other item would get further.
    const refused = permissionProblem(error, `stage \`${o.name}\`${label ? ` on ${label}` : ""}`);
    if (refused) throw refused;
    const stopper = runStopperIn(error);
    if (stopper) throw stopper;
    const failure: ItemFailure = {
      stage: o.name,
      item: label,
      error: messageOf(error),
      ...(error instanceof SluiceError ? { code: error.code } : {}),
      ...(error instanceof SluiceError && error.hint ? { hint: redactUrlsIn(error.hint) } : {}),
    };
    // The hint says what to do (which option raises a limit, what to fix in the list): keep it with the reason.
    const reason = failure.hint ? `${failure.error} (${failure.hint})` : failure.error;
    if (o.onError === "fail") throw new StageFailedError(o.name, label, error);
    this.deps.failures.push(failure);
    if (o.onError === "dead-letter" && o.deadLetter) {
      m.deadLettered++;
      await writeDeadLetter(o.deadLetter, deadLetterOf(o.name, item, error));
      ctx.log("warn", `dead-lettered: ${reason}`, { item: label });
    } else {
      m.dropped++;
      ctx.log("warn", `dropped: ${reason}`, { item: label });
    }
  }
}

/** The context with another abort signal (an attempt's timeout); getters stay lazy. */
function withSignal(ctx: StageContext, signal: AbortSignal): StageContext {
  return Object.create(ctx, { signal: { value: signal } });
}

/** Hands one item downstream (see `ChainRunner.sender`). */
type Send = (value: unknown) => Promise<void>;

/** Whether a transform's results include its input item itself (then its bytes stay held by it). */
function passesOn(emitted: Emitted<unknown>, item: unknown): boolean {
  if ("one" in emitted) return emitted.one === item;
  return "many" in emitted && Array.isArray(emitted.many) && emitted.many.includes(item);
}
