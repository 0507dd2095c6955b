/**
 * Progress while a pipeline runs: on a terminal, per-stage counters and rates redrawn in place; when not
 * a terminal, a plain line every few seconds; with `--json`, a JSON line.
 * @module
 */
import type { RunMetrics } from "../engine/pipeline/mod.ts";

/** How progress is shown. */
export type ProgressMode = "tty" | "lines" | "json" | "off";

/**
 * Starts reporting the progress of `metrics`; the returned function stops it (and clears the live view).
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { RunMetrics } from "../engine/pipeline/mod.ts";
 * const metrics = new RunMetrics();
 * const stop = startProgress(metrics, "lines", (s) => process.stderr.write(s));
 * stop();
 * ```
 */
export function startProgress(
  metrics: RunMetrics,
  mode: ProgressMode,
  write: (text: string) => void,
): () => void {
  if (mode === "off") return () => {};
  let drawn = 0;
  let last = new Map<string, { out: number; at: number }>();
  const draw = () => {
    const snap = metrics.snapshot();
    const now = performance.now();
    const rates = new Map<string, number>();
    const done = (
      i: number,
    ) => (i === snap.stages.length - 1 ? snap.stages[i].itemsIn : snap.stages[i].itemsOut);
    snap.stages.forEach((s, i) => {
      const prev = last.get(s.name);
      rates.set(s.name, prev ? ((done(i) - prev.out) * 1000) / Math.max(1, now - prev.at) : 0);
    });
    last = new Map(snap.stages.map((s, i) => [s.name, { out: done(i), at: now }]));
    const elapsed = (snap.elapsedMs / 1000).toFixed(1);
    if (mode === "json") {
      write(
        JSON.stringify({
          progress: true,
          elapsedS: Number(elapsed),
          stages: snap.stages.map((s) => ({
            name: s.name,
            in: s.itemsIn,
            out: s.itemsOut,
            errors: s.errors,
            queue: s.queueDepth,
            inFlight: s.inFlight,
          })),
        }) + "\n",
      );
      return;
    }
    if (mode === "lines") {
      write(
        `[${elapsed}s] ` + snap.stages.map((s) =>
          `${s.name} ${s.itemsIn}/${s.itemsOut}${s.errors ? ` !${s.errors}` : ""}`
        ).join("  ") + "\n",
      );
      return;
    }
    const width = Math.max(...snap.stages.map((s) => s.name.length));
    const lines = snap.stages.map((s) =>
      `  ${s.name.padEnd(width)}  ${s.placement.padEnd(5)}  in ${String(s.itemsIn).padStart(6)}  out ${
        String(s.itemsOut).padStart(6)
      }  ${(rates.get(s.name) ?? 0).toFixed(0).padStart(5)}/s  queue ${
        String(s.queueDepth).padStart(3)
      }  busy ${String(s.inFlight).padStart(3)}${s.errors ? `  errors ${s.errors}` : ""}`
    );
    lines.unshift(`sluice: ${elapsed}s, event-loop lag p99 ${snap.lag.p99.toFixed(0)} ms`);
    write((drawn ? `\x1b[${drawn}F` : "") + lines.map((l) => `\x1b[2K${l}`).join("\n") + "\n");
    drawn = lines.length;
  };
  const timer = setInterval(draw, mode === "tty" ? 250 : mode === "json" ? 1_000 : 5_000);
  return () => {
    clearInterval(timer);
    if (mode === "tty" && drawn) write(`\x1b[${drawn}F\x1b[0J`);
  };
}
