/**
 * `plan`: how a pipeline will run, as a table, Mermaid text, or JSON.
 * @module
 */
import type { Pipeline } from "../engine/pipeline/mod.ts";
import type { AnyStage } from "../engine/pipeline/mod.ts";

/** One row of the plan. */
export interface PlanRow {
  name: string;
  kind: string;
  placement: string;
  concurrency: number;
  capacity: number;
  ordered: boolean;
  inType: string;
  outType: string;
  onError: string;
  /** Tries per item in all (1: no retry). */
  attempts: number;
  /** Per-item time limit in ms; undefined: none. */
  timeoutMs?: number;
  /** What the stage was built with (`StageOptions.settings`); empty when it says nothing. */
  settings: Readonly<Record<string, unknown>>;
}

/**
 * The plan rows of `pipeline`, in order.
 *
 * @example
 * ```ts
 * import { fromIterable, map, pipeline, sink } from "../engine/pipeline/mod.ts";
 * const p = pipeline(fromIterable([1, 2])).pipe(map((n: number) => n + 1)).to(sink(() => {}));
 * for (const row of planRows(p)) console.log(row.name, row.placement);
 * ```
 */
export function planRows(pipeline: Pipeline): PlanRow[] {
  return pipeline.stages.map((s: AnyStage) => ({
    name: s.options.name,
    kind: s.body.kind === "transform" ? (s.options.outType === "none" ? "sink" : "map") : s.body.kind,
    placement: s.options.placement,
    concurrency: s.options.concurrency,
    capacity: s.options.capacity,
    ordered: s.options.ordered,
    inType: s.options.inType ?? "any",
    outType: s.options.outType ?? "any",
    onError: s.options.onError,
    attempts: Math.max(1, s.options.retry?.attempts ?? 1),
    ...(s.options.timeoutMs !== undefined ? { timeoutMs: s.options.timeoutMs } : {}),
    settings: s.options.settings ?? {},
  }));
}

/**
 * The plan as an aligned text table.
 *
 * @example
 * ```ts
 * import { fromIterable, map, pipeline, sink } from "../engine/pipeline/mod.ts";
 * const p = pipeline(fromIterable([1, 2])).pipe(map((n: number) => n + 1)).to(sink(() => {}));
 * console.log(planText(p, "numbers"));
 * ```
 */
export function planText(pipeline: Pipeline, name: string): string {
  const rows = planRows(pipeline);
  const header = ["stage", "placement", "concurrency", "capacity", "in -> out", "on error"];
  const lines = rows.map((r) => [
    r.name,
    r.placement,
    String(r.concurrency),
    r.kind === "source" ? "-" : String(r.capacity),
    `${r.kind === "source" ? "none" : r.inType} -> ${r.outType}`,
    r.kind === "source" ? "-" : r.onError,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [`pipeline ${name}: ${rows.length} stages`, fmt(header), ...lines.map(fmt)].join("\n");
}

/**
 * The plan as a Mermaid flowchart: one node per stage labelled with its placement and concurrency, edges
 * labelled with the channel capacity.
 *
 * @example
 * ```ts
 * import { fromIterable, map, pipeline, sink } from "../engine/pipeline/mod.ts";
 * const p = pipeline(fromIterable([1, 2])).pipe(map((n: number) => n + 1)).to(sink(() => {}));
 * console.log(planMermaid(p));
 * ```
 */
export function planMermaid(pipeline: Pipeline): string {
  const rows = planRows(pipeline);
  const id = (i: number) => `s${i}`;
  const shape = (r: PlanRow, i: number) => {
    const label = `${r.name}<br/>${r.placement} x${r.concurrency}`;
    if (r.kind === "source") return `  ${id(i)}[/"${label}"/]`;
    if (r.placement === "owner") return `  ${id(i)}[("${label}")]`;
    if (r.placement === "pool") return `  ${id(i)}[["${label}"]]`;
    return `  ${id(i)}["${label}"]`;
  };
  const lines = ["flowchart LR", ...rows.map(shape)];
  for (let i = 1; i < rows.length; i++) {
    lines.push(`  ${id(i - 1)} -->|"${rows[i].inType} (cap ${rows[i].capacity})"| ${id(i)}`);
  }
  return lines.join("\n");
}
