/**
 * `http`: a request per item, its method, URL, headers and body templated from the item (`{{ item.id }}`),
 * with the feed fetcher's per-host limits, timeouts and retries; out comes `{ status, headers, body }`.
 * @module
 */
import type { OptionProblem, StageFactory } from "../engine/config/mod.ts";
import { map, type Stage } from "../engine/pipeline/mod.ts";
import { compileExpression, compileTemplate, ExpressionSyntaxError } from "../lib/expr/mod.ts";
import { DEFAULT_FETCH_OPTIONS } from "../lib/feed/conditional_fetcher.ts";
import { HttpClient } from "../lib/http/mod.ts";

/**
 * What the `http` stage emits for each item: the status, the headers (lower-case names) and the body,
 * parsed when the response is JSON, else text. `item` is the item that made the request.
 *
 * @example
 * ```ts
 * const r: HttpResult = { status: 200, headers: { "content-type": "application/json" }, body: { ok: true }, item: {} };
 * ```
 */
export interface HttpResult {
  /** The HTTP status of the response. */
  status: number;
  /** The response headers, names in lower case. */
  headers: Record<string, string>;
  /** The body: parsed when the response is JSON (`application/json`, `+json`), else text. */
  body: unknown;
  /** The item that made the request. */
  item: unknown;
}

/** Options of {@linkcode httpRequests}: templates over `item`, and the client's limits (default: the feed fetcher's). */
export interface HttpStageOptions {
  /** Ms to wait for response headers. */
  connectTimeoutMs?: number;
  /** Ms one attempt may take in all, body included. */
  timeoutMs?: number;
  /** Largest body accepted, in bytes. */
  maxBytes?: number;
  /** Retries after a network error, a timeout, or HTTP 408/429/5xx. */
  retries?: number;
  /** First back-off delay in ms (doubles per retry, with jitter). */
  retryBaseDelayMs?: number;
  /** Concurrent requests per host. */
  perHostConcurrency?: number;
  /** Whether a status outside 200-299 (after retries) fails the item (default true). */
  failOnStatus?: boolean;
  /** `{{ }}` template of the URL. */
  url: string;
  /** The method (default GET). */
  method?: string;
  /** Header templates by name. */
  headers?: Record<string, string>;
  /** A `{{ }}` template of the body text. */
  body?: string;
  /** An expression over `item` whose value is sent as a JSON body (sets content-type). */
  json?: string;
}

/**
 * The `http` stage for YAML.
 *
 * @example
 * ```ts
 * import { httpStage } from "./http.ts";
 * const stage = httpStage.create({ url: "https://example.org/u/{{ item.id }}", method: "GET" }, {});
 * ```
 */
export const httpStage: StageFactory = {
  name: "http",
  description: "a request per item (method, URL, headers, body templated with {{ item.x }}); out: HttpResult",
  inType: "any",
  outType: "HttpResult",
  options: {
    url: {
      type: "string",
      required: true,
      description: "URL template, e.g. https://api.example.org/u/{{ item.id }}",
    },
    method: { type: "string", default: "GET", description: "the HTTP method" },
    headers: {
      type: "object",
      additional: { type: "string", description: "a header template" },
      description: "headers by name ({{ }} templates)",
    },
    body: { type: "string", description: "body template ({{ }} expressions over item)" },
    json: {
      type: "string",
      description: "an expression over item sent as the JSON body, e.g. `item` or `({ id: item.id })`",
    },
    timeout: {
      type: "duration",
      default: DEFAULT_FETCH_OPTIONS.timeoutMs,
      description: "the most one attempt may take",
    },
    "connect-timeout": {
      type: "duration",
      default: DEFAULT_FETCH_OPTIONS.connectTimeoutMs,
      description: "the most the response headers may take",
    },
    retries: {
      type: "integer",
      min: 0,
      default: DEFAULT_FETCH_OPTIONS.retries,
      description: "retries after a network error, timeout, 408, 429 or 5xx",
    },
    "max-size": {
      type: "integer",
      min: 1,
      default: DEFAULT_FETCH_OPTIONS.maxBytes,
      description: "largest response body in bytes",
    },
    "per-host": {
      type: "integer",
      min: 1,
      default: DEFAULT_FETCH_OPTIONS.perHostConcurrency,
      description: "requests in flight per host",
    },
    "fail-on-status": {
      type: "boolean",
      default: true,
      description: "a status outside 2xx (after retries) fails the item; false passes it on",
    },
  },
  placements: ["loop"],
  placementNote:
    "it does its I/O on the event loop, where waiting costs nothing; a worker would only add a copy of each item",
  checkOptions: (o) => {
    const problems: OptionProblem[] = [];
    const check = (option: string, compile: () => unknown) => {
      try {
        compile();
      } catch (e) {
        if (!(e instanceof ExpressionSyntaxError)) throw e;
        problems.push({ option, message: e.message, hint: e.hint });
      }
    };
    check("url", () => compileTemplate(o.url as string));
    if (typeof o.body === "string") check("body", () => compileTemplate(o.body as string));
    if (typeof o.json === "string") check("json", () => compileExpression(o.json as string));
    for (const [name, value] of Object.entries((o.headers ?? {}) as Record<string, string>)) {
      check(`headers.${name}`, () => compileTemplate(value));
    }
    if (o.body !== undefined && o.json !== undefined) {
      problems.push({ option: "json", message: "has both `body:` and `json:`", hint: "keep one of them" });
    }
    return problems;
  },
  create: (o) =>
    httpRequests({
      url: o.url as string,
      method: o.method as string,
      headers: o.headers as Record<string, string> | undefined,
      body: o.body as string | undefined,
      json: o.json as string | undefined,
      timeoutMs: o.timeout as number,
      connectTimeoutMs: o["connect-timeout"] as number,
      retries: o.retries as number,
      maxBytes: o["max-size"] as number,
      perHostConcurrency: o["per-host"] as number,
      failOnStatus: o["fail-on-status"] as boolean,
    }),
};

/**
 * A stage sending one request per item (concurrency 16 by default; the per-host limit still applies).
 *
 * @example
 * ```ts
 * import { httpRequests } from "./http.ts";
 * const lookup = httpRequests({ url: "https://api.example.org/u/{{ item.id }}" });
 * ```
 */
export function httpRequests(options: HttpStageOptions): Stage<unknown, HttpResult> {
  const url = compileTemplate(options.url);
  const body = options.body !== undefined ? compileTemplate(options.body) : undefined;
  const json = options.json !== undefined ? compileExpression(options.json) : undefined;
  const headers = Object.entries(options.headers ?? {}).map(([k, v]) => [k, compileTemplate(v)] as const);
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const client = new HttpClient({ ...DEFAULT_FETCH_OPTIONS, ...defined });
  const decoder = new TextDecoder();
  return map(async (item: unknown, ctx) => {
    const h: Record<string, string> = {};
    for (const [name, value] of headers) h[name] = value(item);
    if (json && !Object.keys(h).some((k) => k.toLowerCase() === "content-type")) {
      h["content-type"] = "application/json";
    }
    const res = await client.request({
      method: (options.method ?? "GET").toUpperCase(),
      url: url(item),
      headers: h,
      body: json ? JSON.stringify(json(item)) : body?.(item),
    }, ctx.signal);
    const text = decoder.decode(res.body);
    const isJson = /[/+]json\b/i.test(res.headers["content-type"] ?? "");
    return {
      status: res.status,
      headers: res.headers,
      body: isJson && text.trim() !== "" ? JSON.parse(text) : text,
      item,
    };
  }, { name: "http", concurrency: 16, outType: "HttpResult" });
}
