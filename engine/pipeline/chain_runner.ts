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
import type { Placement, Stage, StageContext } from "./stage.ts";
import { observeProcessing, type RunMetrics, type StageMetrics } from "./metrics.ts";
import type { Tracer } from "./trace.ts";
import type { Logger } from "./logger.ts";
import type { ItemFailure } from "./item_failure.ts";
import { withRetry } from "./retry.ts";
import { deadLetterOf, writeDeadLetter } from "./dead_letter.ts";
import { InOrder } from "./in_order.ts";
import { describeItem } from "./describe_item.ts";
import { messageOf, StageFailedError } from "./stage_failed_error.ts";

/** What a {@linkcode ChainRunner} shares with the run around it. */
export interface ChainDeps {
  metrics: RunMetrics;
  contextFor(stage: string, m: StageMetrics, placement: Placement): StageContext;
  hard: AbortController;
  failures: ItemFailure[];
  logger: Logger;
  tracer: Tracer;
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
      tasks.push(this.runStage(stage, m, current, out));
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
  ): Promise<void> {
    const ctx = this.deps.contextFor(stage.options.name, m, stage.options.placement);
    const body = stage.body;
    try {
      switch (body.kind) {
        case "source":
          return await this.runSource(body.produce, ctx, m, out);
        case "transform":
          return await this.runTransform(stage, body, ctx, m, input!, out);
        case "stream":
          return await this.runStream(stage, body.stream, ctx, m, input!, out);
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
      if (input && this.deps.hard.signal.aborted) drain(input);
    }
  }

  private async runSource(
    produce: (ctx: StageContext) => AsyncIterable<unknown> | Iterable<unknown>,
    ctx: StageContext,
    m: StageMetrics,
    out: Channel<unknown> | undefined,
  ): Promise<void> {
    for await (const value of produce(ctx)) {
      if (ctx.stopSignal.aborted) break;
      m.itemsOut++;
      if (out) await out.send(value, { signal: ctx.signal });
    }
  }

  private async runStream(
    stage: Stage<unknown, unknown>,
    stream: Extract<Stage<unknown, unknown>["body"], { kind: "stream" }>["stream"],
    ctx: StageContext,
    m: StageMetrics,
    input: Channel<unknown>,
    out: Channel<unknown> | undefined,
  ): Promise<void> {
    const counted = async function* () {
      while (true) {
        const r = await input.recv({ signal: ctx.signal });
        if (!r.ok) return;
        m.itemsIn++;
        yield r.value;
      }
    };
    const fail = (item: unknown, error: unknown) =>
      this.failItem(stage, ctx, m, item, describeItem(item), error);
    for await (const value of stream(counted(), ctx, fail)) {
      m.itemsOut++;
      if (out) await out.send(value, { signal: ctx.signal });
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
    out: Channel<unknown> | undefined,
  ): Promise<void> {
    const o = stage.options;
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
        await yieldWhenBusy();
        m.itemsIn++;
        m.inFlight++;
        m.maxInFlight = Math.max(m.maxInFlight, m.inFlight + input.length);
        const t0 = performance.now();
        const label = describeItem(r.value);
        const endSpan = this.deps.tracer.begin(lane, o.name, label);
        let emitted: Awaited<ReturnType<typeof body.handle>> | undefined;
        try {
          emitted = await withRetry(
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
          if (ctx.signal.aborted) return;
          await this.failItem(stage, ctx, m, r.value, label, error);
        } finally {
          const ms = performance.now() - t0;
          m.busyMs += ms;
          observeProcessing(m, ms);
          m.inFlight--;
          endSpan();
        }
        if (order) await order.turn(mySeq, ctx.signal);
        try {
          if (emitted) await this.emit(emitted, m, out, ctx);
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
    out: Channel<unknown> | undefined,
    ctx: StageContext,
  ): Promise<void> {
    if ("none" in emitted) return;
    if ("one" in emitted) {
      m.itemsOut++;
      if (out) await out.send(emitted.one, { signal: ctx.signal });
      return;
    }
    for await (const v of emitted.many) {
      m.itemsOut++;
      if (out) await out.send(v, { signal: ctx.signal });
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

/** Empties a channel after an abort so that no sender stays blocked on it. */
function drain(ch: Channel<unknown>): void {
  while (ch.tryRecv()?.ok) { /* discard */ }
}
