/**
 * `serve`: an HTTP server as a source. Each POST body is an item; the answer is 202 once the item is
 * accepted downstream (the next stage's channel took it), 503 with `Retry-After` while the pipeline is
 * full, and on stop the server takes no new items while those already taken drain.
 * @module
 */
import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { StageFactory } from "../engine/config/mod.ts";
import { concatBytes } from "../engine/concat_bytes.ts";
import { chan } from "../engine/kernel/mod.ts";
import { source, type Stage } from "../engine/pipeline/mod.ts";

/** Options of {@linkcode serveRequests}. */
export interface ServeOptions {
  /** Port to listen on (0: any free port, see `onListen`). */
  port: number;
  /** Address to bind (default 127.0.0.1: only this machine). */
  host?: string;
  /** The path that takes items (default `/`); other paths answer 404. */
  path?: string;
  /** `json` (default: a body that is not JSON answers 400) or `text`. */
  format?: "json" | "text";
  /** Largest body in bytes (default 1 MiB; larger answers 413). */
  maxBytes?: number;
  /** Items that may wait for the pipeline before the server answers 503 (default 16). */
  queue?: number;
  /** Seconds a client is asked to wait in a 503's `Retry-After` (default 1). */
  retryAfterSeconds?: number;
  /** Called with the bound address once the server listens. */
  onListen?: (address: { host: string; port: number; url: string }) => void;
}

/**
 * The `serve` stage for YAML.
 *
 * @example
 * ```ts
 * import { serveStage } from "./serve.ts";
 * const stage = serveStage.create({ port: 8080, host: "127.0.0.1", path: "/", format: "json" }, {});
 * ```
 */
export const serveStage: StageFactory = {
  name: "serve",
  description: "an HTTP server source: each POST body is an item (202 once accepted, 503 when full)",
  inType: "none",
  outType: "any",
  options: {
    port: { type: "integer", min: 0, max: 65535, required: true, description: "the port (0: any free port)" },
    host: {
      type: "string",
      default: "127.0.0.1",
      description: "the address to bind (0.0.0.0: every interface)",
    },
    path: { type: "string", default: "/", description: "the path that takes POSTs" },
    format: {
      type: "string",
      enum: ["json", "text"],
      default: "json",
      description: "how a body becomes an item",
    },
    "max-size": { type: "integer", min: 1, default: 1024 * 1024, description: "largest body in bytes" },
    queue: { type: "integer", min: 0, default: 16, description: "items waiting for the pipeline before 503" },
  },
  placements: ["loop"],
  placementNote:
    "it does its I/O on the event loop, where waiting costs nothing; a worker would only add a copy of each item",
  create: (o) =>
    serveRequests({
      port: o.port as number,
      host: o.host as string,
      path: o.path as string,
      format: o.format as "json" | "text",
      maxBytes: o["max-size"] as number,
      queue: o.queue as number,
    }),
};

interface Waiting {
  item: unknown;
  accepted: () => void;
  refused: () => void;
}

/**
 * A source stage serving HTTP: see the module description.
 *
 * @example
 * ```ts
 * import { serveRequests } from "./serve.ts";
 * const hooks = serveRequests({ port: 0, onListen: ({ url }) => console.log(`POST items to ${url}`) });
 * ```
 */
export function serveRequests(options: ServeOptions): Stage<never, unknown> {
  const host = options.host ?? "127.0.0.1";
  const wanted = options.path ?? "/";
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  return source(async function* (ctx) {
    // Loaded here, not with the module: every run loads the built-in stages, and node:http costs a Deno
    // thread 8-22 ms of CPU to load (measured in a run's thread), a run that serves nothing included.
    const { createServer } = await import("node:http");
    const items = chan<Waiting>(options.queue ?? 16);
    let closing = false;
    const answer = (
      res: http.ServerResponse,
      status: number,
      text: string,
      headers: Record<string, string> = {},
    ) => void res.writeHead(status, { "content-type": "text/plain", ...headers }).end(text + "\n");
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (path !== wanted) return answer(res, 404, `POST items to ${wanted}`);
      if (req.method !== "POST") return answer(res, 405, "POST only", { allow: "POST" });
      if (closing) return answer(res, 503, "stopping", { connection: "close" });
      const chunks: Uint8Array[] = [];
      let size = 0;
      let refused = false;
      req.on("data", (c: Uint8Array) => {
        size += c.length;
        if (size > maxBytes && !refused) {
          refused = true;
          answer(res, 413, `a body may have at most ${maxBytes} bytes`, { connection: "close" });
        } else if (!refused) chunks.push(c);
      });
      req.on("end", () => {
        if (refused) return;
        const text = new TextDecoder().decode(concatBytes(chunks));
        let item: unknown = text;
        if (options.format !== "text") {
          try {
            item = JSON.parse(text);
          } catch (e) {
            return answer(res, 400, `the body is not JSON: ${(e as Error).message}`);
          }
        }
        const full = () =>
          answer(res, 503, closing ? "stopping; try again later" : "the pipeline is full; try again", {
            "retry-after": String(options.retryAfterSeconds ?? 1),
          });
        const waiting: Waiting = { item, accepted: () => answer(res, 202, "accepted"), refused: full };
        if (closing || !items.trySend(waiting)) full();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}${wanted}`;
    ctx.log("info", `serving: POST items to ${url}`);
    options.onListen?.({ host, port: address.port, url });
    const stop = () => {
      closing = true;
      items.close();
      server.close();
    };
    ctx.stopSignal.addEventListener("abort", stop, { once: true });
    let last: Waiting | undefined;
    try {
      while (true) {
        // The runner asks for the next item only once it has passed the last one on: that one is accepted.
        last?.accepted();
        last = undefined;
        const r = await items.recv({ signal: ctx.signal });
        if (!r.ok) return;
        last = r.value!;
        yield r.value!.item;
      }
    } finally {
      // Stopped with an item in hand (the runner drops the value it gets after a stop) or waiting in the
      // queue: none of them was accepted, so their clients hear 503 and send them again later.
      closing = true;
      ctx.stopSignal.removeEventListener("abort", stop);
      last?.refused();
      if (!items.closed) items.close();
      for (let r = items.tryRecv(); r?.ok; r = items.tryRecv()) r.value!.refused();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
    }
  }, { name: "serve", outType: "any" });
}
