/**
 * A tiny HTTP server for tests: routes defined per test, on 127.0.0.1 and a free port, counting requests
 * per path and the most requests in flight at once. `close()` drops open sockets too, so a test with a
 * server that never answers leaves nothing behind.
 * @module
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Handles one request; `server` gives access to the counters (e.g. to answer differently the 2nd time).
 * What it returns is ignored, but a returned promise is awaited (so `(_req, res) => res.end("x")` fits).
 */
export type Route = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  server: TestServer,
) => unknown;

/**
 * A running test server.
 *
 * @example
 * ```ts
 * import { startServer } from "./http_server.ts";
 * const server = await startServer({ "/feed.xml": (_req, res) => res.end("<rss/>") });
 * await (await fetch(server.url("/feed.xml"))).text();
 * server.hits("/feed.xml"); // 1
 * await server.close();
 * ```
 */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Absolute URL of `path` on this server. */
  url(path: string): string;
  /** Requests received for `path` (query string excluded), or in all when `path` is omitted. */
  hits(path?: string): number;
  /** Requests whose response is not finished yet. */
  readonly inFlight: number;
  /** The highest `inFlight` seen. */
  readonly maxInFlight: number;
  /** Headers of every request received, in arrival order. */
  readonly requests: Array<{ path: string; headers: http.IncomingHttpHeaders }>;
  /** Resolves when `hits(path)` reaches `count` (already reached: at once); bounded as `waitFor` is. */
  waitForHits(path: string, count: number): Promise<void>;
  /**
   * Resolves once `condition()` is true, checking now and after each request's handler has started (so
   * state the handler set synchronously, like a list of held responses, is visible). Bounded: rejects when
   * the condition does not hold within `timeoutMs` (default 100 s, under the 120 s a test may take) or when
   * the server closes first.
   */
  waitFor(condition: () => boolean, timeoutMs?: number): Promise<void>;
  /** Adds or replaces a route. */
  route(path: string, handler: Route): void;
  /** Closes all sockets and the server. */
  close(): Promise<void>;
}

/**
 * Starts a server with `routes` (exact paths, query string ignored); unknown paths answer 404.
 *
 * @example
 * ```ts
 * import { startServer } from "./http_server.ts";
 * const server = await startServer({ "/": (_req, res) => res.writeHead(204).end() });
 * await server.close();
 * ```
 */
export async function startServer(routes: Record<string, Route> = {}): Promise<TestServer> {
  const table = new Map(Object.entries(routes));
  const counts = new Map<string, number>();
  interface Waiter {
    condition: () => boolean;
    resolve: () => void;
    reject: (e: Error) => void;
    timer: ReturnType<typeof setTimeout>;
  }
  const waiters: Waiter[] = [];
  const settle = (w: Waiter, error?: Error) => {
    const at = waiters.indexOf(w);
    if (at >= 0) waiters.splice(at, 1);
    clearTimeout(w.timer);
    if (error) w.reject(error);
    else w.resolve();
  };
  const requests: Array<{ path: string; headers: http.IncomingHttpHeaders }> = [];
  let total = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    total++;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    requests.push({ path, headers: req.headers });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on("close", () => inFlight--);
    const handler = table.get(path);
    if (!handler) res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    else {
      Promise.resolve(handler(req, res, api)).catch((e) => {
        if (!res.headersSent) res.writeHead(500).end(String(e));
        else res.destroy();
      });
    }
    for (const w of waiters.filter((w) => w.condition())) settle(w);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const api: TestServer = {
    origin,
    url: (path) => origin + path,
    hits: (path) => path === undefined ? total : counts.get(path) ?? 0,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    requests,
    waitForHits: (path, count) => api.waitFor(() => (counts.get(path) ?? 0) >= count),
    waitFor(condition, timeoutMs = 100_000) {
      if (condition()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          condition,
          resolve,
          reject,
          timer: setTimeout(
            () =>
              settle(
                waiter,
                new Error(
                  `the test server waited ${timeoutMs} ms (${total} requests so far) for: ${condition}`,
                ),
              ),
            timeoutMs,
          ),
        };
        waiters.push(waiter);
      });
    },
    route: (path, handler) => void table.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of [...waiters]) settle(w, new Error(`the test server closed before: ${w.condition}`));
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}
