/**
 * The event-loop heartbeat: a timer that should fire every `intervalMs`, and how late it actually fires.
 * A late heartbeat means something held the loop (a synchronous parse, a big JSON.stringify), so every
 * socket and timer waited that long too. The placement decision and the run summary report it.
 * @module
 */
import { setTimeout as setNodeTimeout } from "node:timers";

/** Lag percentiles in milliseconds over the samples so far. */
export interface LagStats {
  /** Median lag. */
  p50: number;
  /** 99th percentile lag. */
  p99: number;
  /** Largest lag seen. */
  max: number;
  /** Number of heartbeats measured. */
  samples: number;
  /**
   * The same lag less the time the loop's thread waited for a CPU meanwhile (another thread or process had
   * the core): the lateness the run's own work caused. Only with a `cpuWaitMs` reader (Linux).
   */
  withoutCpuWait?: { p50: number; p99: number; max: number };
}

/** Options of {@linkcode startLoopLagMonitor}. */
export interface LoopLagOptions {
  /** Heartbeat period in milliseconds (default 100). */
  intervalMs?: number;
  /** Called with each heartbeat's lag in milliseconds (for live metrics, or a test waiting for one). */
  onSample?: (lagMs: number) => void;
  /**
   * The loop thread's total CPU wait in ms (`threadCpuWaitReader()` of `cpu_wait.ts`); with it, the
   * statistics also give each heartbeat's lag less the wait that fell into it (`withoutCpuWait`).
   */
  cpuWaitMs?: () => number;
}

/** A running heartbeat; see {@linkcode startLoopLagMonitor}. */
export interface LoopLagMonitor {
  /** The statistics so far; the monitor keeps running. */
  snapshot(): LagStats;
  /** Stops the heartbeat (clears its timer) and returns the final statistics. Safe to call twice. */
  stop(): LagStats;
}

/** Histogram resolution: 0.1 ms buckets up to 1 s; later heartbeats land in the last bucket (max is exact). */
const BUCKET_MS = 0.1;
const BUCKETS = 10_000;

/**
 * Starts the heartbeat. Its timer never keeps the process alive (it is `unref`ed), so a finished program
 * exits even if nobody calls `stop()`; call `stop()` anyway to read the result and free the timer.
 *
 * @param options heartbeat period and a per-sample callback
 * @returns the monitor
 * @example
 * ```ts
 * import { startLoopLagMonitor } from "./loop_lag.ts";
 * const lag = startLoopLagMonitor({ intervalMs: 100 });
 * // ... run the pipeline ...
 * const { p50, p99, max } = lag.stop();
 * console.log(`event-loop lag p50 ${p50} ms, p99 ${p99} ms, max ${max} ms`);
 * ```
 */
export function startLoopLagMonitor(options: LoopLagOptions = {}): LoopLagMonitor {
  const intervalMs = Math.max(1, options.intervalMs ?? 100);
  const histogram = new Uint32Array(BUCKETS);
  let samples = 0;
  let max = 0;
  let stopped = false;
  let timer: ReturnType<typeof setNodeTimeout> | undefined;
  let armedAt = 0;
  const cpuWaitMs = options.cpuWaitMs;
  const own = cpuWaitMs ? new Uint32Array(BUCKETS) : undefined;
  let ownMax = 0;
  let waitAtArm = 0;

  // A chain of one-shot timers rather than setInterval: each lag is measured from when its own timer was
  // armed, so one long block counts once instead of leaking into the schedule of the following beats.
  const arm = (): void => {
    armedAt = performance.now();
    if (cpuWaitMs) waitAtArm = cpuWaitMs();
    timer = setNodeTimeout(beat, intervalMs);
    timer.unref();
  };
  const beat = (): void => {
    const lag = Math.max(0, performance.now() - armedAt - intervalMs);
    histogram[Math.min(BUCKETS - 1, Math.floor(lag / BUCKET_MS))]++;
    samples++;
    if (lag > max) max = lag;
    if (own && cpuWaitMs) {
      // The wait since the timer was armed: a heartbeat late only because the thread had no core is not late.
      const ownLag = Math.max(0, lag - (cpuWaitMs() - waitAtArm));
      own[Math.min(BUCKETS - 1, Math.floor(ownLag / BUCKET_MS))]++;
      if (ownLag > ownMax) ownMax = ownLag;
    }
    if (!stopped) arm();
    options.onSample?.(lag);
  };
  const snapshot = (): LagStats => ({
    p50: percentile(histogram, samples, 0.5, max),
    p99: percentile(histogram, samples, 0.99, max),
    max: round(max),
    samples,
    ...(own
      ? {
        withoutCpuWait: {
          p50: percentile(own, samples, 0.5, ownMax),
          p99: percentile(own, samples, 0.99, ownMax),
          max: round(ownMax),
        },
      }
      : {}),
  });
  arm();
  return {
    snapshot,
    stop(): LagStats {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      return snapshot();
    },
  };
}

/** The upper edge of the bucket holding the `q` quantile, never above the exact maximum. */
function percentile(histogram: Uint32Array, samples: number, q: number, max: number): number {
  if (samples === 0) return 0;
  const rank = Math.ceil(q * samples);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank) return round(Math.min((i + 1) * BUCKET_MS, max));
  }
  return round(max);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
