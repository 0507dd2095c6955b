/**
 * The HTTP endpoint of `--metrics HOST:PORT`: `GET /metrics` in the Prometheus text format and
 * `GET /healthz` (200 `ok`, or 503 with the reasons). `node:http` behaves the same under Deno and Bun,
 * so no runtime adapter is needed.
 * @module
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SluiceError } from "../errors.ts";
import type { PipelineMonitor } from "./pipeline_monitor.ts";
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "./prometheus_text.ts";

/**
 * A listening metrics endpoint.
 *
 * @example
 * ```ts ignore
 * const server: MetricsServer = await serveMetrics("127.0.0.1:0", monitor);
 * console.log(server.url); // http://127.0.0.1:40123
 * ```
 */
export interface MetricsServer {
  /** `http://host:port` as it listens (the real port when 0 was asked for). */
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Splits `HOST:PORT` (or a bare `PORT`, then 127.0.0.1); `[::1]:9464` for IPv6.
 *
 * @example
 * ```ts
 * import { parseListenAddress } from "./metrics_server.ts";
 * console.log(parseListenAddress("0.0.0.0:9464")); // { host: "0.0.0.0", port: 9464 }
 * ```
 */
export function parseListenAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(address) ?? /^()()(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new SluiceError(
      "E_METRICS_ADDRESS",
      `--metrics: \`${address}\` is not HOST:PORT`,
      "write e.g. 127.0.0.1:9464 (or 0.0.0.0:9464 to be scraped from other hosts; port 0 picks a free one)",
    );
  }
  return { host: m[1] || m[2] || "127.0.0.1", port };
}

/**
 * Serves `monitor` at `address` until closed.
 *
 * @example
 * ```ts ignore
 * const server = await serveMetrics("127.0.0.1:9464", monitor);
 * console.log(`${server.url}/metrics`);
 * await server.close();
 * ```
 */
export async function serveMetrics(address: string, monitor: PipelineMonitor): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(address);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
    } else if (path === "/metrics") {
      res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(prometheusText(monitor.snapshot()));
    } else if (path === "/healthz") {
      const { ok, reasons } = monitor.health();
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain; charset=utf-8" })
        .end(ok ? "ok\n" : reasons.join("\n") + "\n");
    } else {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("try /metrics or /healthz\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => {
      reject(
        new SluiceError(
          "E_METRICS_LISTEN",
          `--metrics: cannot listen on ${address}: ${e.message}`,
          "pick another port, or stop what listens there",
          { cause: e },
        ),
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === "IPv6" || bound.address.includes(":")
    ? `[${bound.address}]`
    : bound.address;
  return {
    url: `http://${shownHost}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
