/**
 * `http`: a request per item against a real server on 127.0.0.1: templated URL and JSON body, JSON
 * responses parsed, retries of a 503 (with Retry-After), a 404 failing the item, errors at file:line:col.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildPipeline, ConfigErrors, loadPipelineConfig } from "../engine/config/mod.ts";
import {
  fromIterable,
  pipeline,
  runPipeline,
  silentLogger,
  sink,
  withOptions,
} from "../engine/pipeline/mod.ts";
import { builtinStages } from "../stages/registry.ts";
import { httpRequests, type HttpResult } from "../stages/http.ts";
import { startServer, type TestServer } from "./support/http_server.ts";

const quiet = { logger: silentLogger, measureLag: false };
let dir = "";
let server: TestServer;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-http-"));
  server = await startServer({
    "/users/1": (_req, res) =>
      void res.writeHead(200, { "content-type": "application/json" }).end('{"name":"ann"}'),
    "/users/2": (_req, res) =>
      void res.writeHead(200, { "content-type": "application/json" }).end('{"name":"bob"}'),
    "/text": (_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end("plain"),
    "/flaky": (_req, res, s) => {
      if (s.hits("/flaky") === 1) res.writeHead(503, { "retry-after": "0" }).end();
      else res.writeHead(200, { "content-type": "text/plain" }).end("ok now");
    },
    "/echo": (req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () =>
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({ method: req.method, type: req.headers["content-type"], got: JSON.parse(body) }),
        ));
    },
  });
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("http stage", () => {
  test("YAML: URL templated from the item, JSON parsed, written as jsonl", async () => {
    await writeFile(path.join(dir, "ids.jsonl"), '{"id":1}\n{"id":2}\n');
    const file = path.join(dir, "users.yaml");
    await writeFile(
      file,
      `name: users\nstages:\n  - use: read\n    with: { path: ids.jsonl }\n` +
        `  - use: http\n    with: { url: "${server.origin}/users/{{ item.id }}" }\n` +
        `  - use: map\n    with: { expr: '({ id: item.item.id, name: item.body.name, status: item.status })' }\n` +
        `  - use: write\n    with: { path: users.jsonl }\n`,
    );
    const registry = builtinStages();
    const spec = await loadPipelineConfig(file, { catalog: registry, env: () => undefined });
    const summary = await runPipeline(buildPipeline(spec, registry), quiet);
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const rows = (await readFile(path.join(dir, "users.jsonl"), "utf8")).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(rows.sort((a, b) => a.id - b.id), [
      { id: 1, name: "ann", status: 200 },
      { id: 2, name: "bob", status: 200 },
    ]);
  });

  test("TypeScript: POST with a JSON body, a retried 503, text bodies, a 404 that fails its item", async () => {
    const out: HttpResult[] = [];
    const summary = await runPipeline(
      pipeline(fromIterable([{ p: "/echo", v: 1 }, { p: "/flaky" }, { p: "/text" }, { p: "/missing" }]))
        .pipe(withOptions(
          httpRequests({
            url: `${server.origin}{{ item.p }}`,
            method: "POST",
            json: "item",
            retryBaseDelayMs: 1,
          }),
          { onError: "drop" },
        ))
        .to(sink((r: HttpResult) => void out.push(r))),
      { ...quiet },
    );
    const byPath = new Map(out.map((r) => [(r.item as { p: string }).p, r]));
    assert.deepEqual(byPath.get("/echo")?.body, {
      method: "POST",
      type: "application/json",
      got: { p: "/echo", v: 1 },
    });
    assert.equal(byPath.get("/flaky")?.body, "ok now");
    assert.equal(server.hits("/flaky"), 2);
    assert.equal(byPath.get("/text")?.body, "plain");
    assert.equal(summary.failures.length, 1);
    assert.match(summary.failures[0].error, /HTTP 404/);
  });

  test("a template that does not compile is a check error at its option", async () => {
    const file = path.join(dir, "bad.yaml");
    await writeFile(
      file,
      "name: bad\nstages:\n  - use: read\n    with: { path: ids.jsonl }\n  - use: http\n    with:\n      url: http://x/{{ item. }}\n",
    );
    const e = await loadPipelineConfig(file, { catalog: builtinStages(), env: () => undefined }).catch((e) =>
      e
    );
    assert.ok(e instanceof ConfigErrors);
    assert.match(
      e.errors[0].message,
      /bad\.yaml:7:12: stage `http`: expression does not compile: in \{\{ item\. \}\}/,
    );
  });
});
