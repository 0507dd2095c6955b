/**
 * Chrome trace-event recording (`--trace FILE`): one span per item and stage, each on the lane (thread
 * id) of the stage's concurrent slot, so that spans on one lane never overlap and the run opens in
 * Perfetto (ui.perfetto.dev) or chrome://tracing as nested, readable tracks.
 * @module
 */
import { writeFile } from "node:fs/promises";

/** One complete ("X") trace event or metadata ("M") event, in the trace-event format. */
export interface TraceEvent {
  /** The span's stage name, the counter's name, or the metadata kind (`thread_name`...). */
  name: string;
  /** Category shown by the viewer (`stage` for item spans); unset on metadata and counters. */
  cat?: string;
  /** Phase: `X` complete span, `M` metadata, `i` instant, `C` counter sample. */
  ph: "X" | "M" | "i" | "C";
  /** Start time in microseconds since the tracer was created (0 for metadata). */
  ts: number;
  /** Span length in microseconds (at least 1); only on `X` events. */
  dur?: number;
  /** Process id in the trace; always 1 (one sluice run). */
  pid: number;
  /** Thread id: the lane (event loop, pool, owner) the event belongs to; 0 for process-wide events. */
  tid: number;
  /** Extra data shown with the event (`item` label, counter values, metadata name). */
  args?: Record<string, unknown>;
  /** Scope of an instant (`i`) event: global, process or thread. */
  s?: "g" | "p" | "t";
}

/**
 * Records spans when enabled; costs one branch per span when not.
 *
 * @example
 * ```ts
 * const t = new Tracer(true);
 * const end = t.begin("loop", "fetch", "https://example.org/feed");
 * end();
 * console.log(t.toJSON().traceEvents.length > 0);
 * ```
 */
export class Tracer {
  /** Whether spans are recorded; when false, `begin` and `counter` do nothing. */
  readonly enabled: boolean;
  #events: TraceEvent[] = [];
  #lanes = new Map<string, number>();
  #prefixes = new Set<string>();
  #origin = performance.now();

  /** Creates a tracer; it records only when `enabled` is true (default false). */
  constructor(enabled = false) {
    this.enabled = enabled;
  }

  /** The thread id of a lane (`loop`, `pool`, `owner:imap`...), naming it in the trace on first use. */
  lane(name: string): number {
    let tid = this.#lanes.get(name);
    if (tid === undefined) {
      tid = this.#lanes.size + 1;
      this.#lanes.set(name, tid);
      this.#events.push({ name: "thread_name", ph: "M", ts: 0, pid: 1, tid, args: { name } });
      this.#events.push({
        name: "thread_sort_index",
        ph: "M",
        ts: 0,
        pid: 1,
        tid,
        args: { sort_index: tid },
      });
    }
    return tid;
  }

  /**
   * The lanes of one stage's concurrent slots: slot `k` of a stage runs one item at a time, so its spans
   * never overlap, while spans of different slots do and would make a shared lane unreadable (a viewer
   * draws overlapping spans of one thread wrongly or rejects them). The name `where stage` is made unique
   * (` (2)`...) when another stage of the run already has it (the shards of a route, branches).
   *
   * @example
   * ```ts
   * const t = new Tracer(true);
   * const slot = t.stageLanes("loop", "fetch");
   * t.begin(slot(0), "fetch")();
   * t.begin(slot(1), "fetch")();
   * console.log(t.toJSON().traceEvents.filter((e) => e.ph === "X").map((e) => e.tid)); // [1, 2]
   * ```
   */
  stageLanes(where: string, stage: string): (slot: number) => string {
    if (!this.enabled) return () => where;
    let prefix = `${where} ${stage}`;
    for (let n = 2; this.#prefixes.has(prefix); n++) prefix = `${where} ${stage} (${n})`;
    this.#prefixes.add(prefix);
    return (slot) => `${prefix} #${slot + 1}`;
  }

  /** Starts a span on `lane`; call the returned function when it ends. */
  begin(lane: string, stage: string, label?: string): (args?: Record<string, unknown>) => void {
    if (!this.enabled) return noop;
    const start = performance.now();
    return (args) => {
      const tid = this.lane(lane);
      const event: TraceEvent = {
        name: stage,
        cat: "stage",
        ph: "X",
        ts: Math.round((start - this.#origin) * 1000),
        dur: Math.max(1, Math.round((performance.now() - start) * 1000)),
        pid: 1,
        tid,
      };
      if (label !== undefined || args) {
        event.args = { ...(label !== undefined ? { item: label } : {}), ...args };
      }
      this.#events.push(event);
    };
  }

  /** Records a counter sample (queue depth, event-loop lag). */
  counter(name: string, values: Record<string, number>): void {
    if (!this.enabled) return;
    const ts = Math.round((performance.now() - this.#origin) * 1000);
    this.#events.push({ name, ph: "C", ts, pid: 1, tid: 0, args: values });
  }

  /** The trace as the JSON object format Perfetto reads. */
  toJSON(): { traceEvents: TraceEvent[]; displayTimeUnit: "ms" } {
    const meta: TraceEvent = {
      name: "process_name",
      ph: "M",
      ts: 0,
      pid: 1,
      tid: 0,
      args: { name: "sluice" },
    };
    return { traceEvents: [meta, ...this.#events], displayTimeUnit: "ms" };
  }

  /** Writes the trace to `file`. */
  async write(file: string): Promise<void> {
    await writeFile(file, JSON.stringify(this.toJSON()));
  }
}

function noop(): void {}
