/**
 * Watching a pipeline from outside: `--metrics HOST:PORT` serves its counters in the Prometheus text
 * format at `/metrics` and its health at `/healthz`, across every run of a schedule.
 *
 * @example
 * ```ts ignore
 * import { PipelineMonitor, serveMetrics } from "./mod.ts";
 * const monitor = new PipelineMonitor();
 * const server = await serveMetrics("127.0.0.1:9464", monitor);
 * ```
 * @module
 */
export { type MonitorSnapshot, PipelineMonitor } from "./pipeline_monitor.ts";
export { PROMETHEUS_CONTENT_TYPE, prometheusText } from "./prometheus_text.ts";
export { type MetricsServer, parseListenAddress, serveMetrics } from "./metrics_server.ts";
