/**
 * The CPU cost of one `/metrics` scrape of an rss2imap-sized run (7 stages with their counters and
 * histograms): the snapshot plus the text, rendered in-process; the time one scrape a second takes from
 * the event loop (wall time, so a loaded machine inflates it). `deno run -A bench/metrics_scrape_bench.ts` or `bun bench/metrics_scrape_bench.ts`.
 * @module
 */
import { observeProcessing, RunMetrics, RunResources } from "../engine/pipeline/mod.ts";
import { PipelineMonitor, prometheusText } from "../engine/monitor/mod.ts";

const metrics = new RunMetrics();
for (const name of ["feeds", "fetch", "parse", "dedupe", "rewrite-images", "mime", "mailbox"]) {
  const s = metrics.stage(name, "loop", 32, 64);
  s.itemsIn = 6000;
  s.itemsOut = 6000;
  s.counters.notModified = 12;
  for (let i = 0; i < 6000; i++) observeProcessing(s, (i % 97) * 1.7);
}
const monitor = new PipelineMonitor();
monitor.runStarted(metrics, new RunResources());

let bytes = 0;
for (let i = 0; i < 200; i++) bytes += prometheusText(monitor.snapshot()).length; // warm up
const n = 2000;
const started = performance.now();
for (let i = 0; i < n; i++) bytes += prometheusText(monitor.snapshot()).length;
const perScrapeUs = ((performance.now() - started) / n) * 1000;
console.log(
  `one scrape: ${perScrapeUs.toFixed(1)} us on the event loop (wall time), ${
    Math.round(bytes / (n + 200))
  } bytes; ` +
    `at one scrape a second: ${(perScrapeUs / 1e6 * 100).toFixed(3)}% of the loop's time`,
);
