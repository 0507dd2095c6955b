/**
 * `--metrics HOST:PORT`: `/metrics` in the Prometheus text format while a pipeline runs (scraped in the
 * middle of a run, waiting on the run's own events), counters that add up across runs, and `/healthz`
 * turning 503 with the reason when a watched resource breaks or the last run failed.
 */
import { describe, test } from "./support/testing.ts";
import { CLI_CHILD_TIMEOUT_MS } from "./support/cli_child.ts";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  fromIterable,
  map,
  pipeline,
  RunMetrics,
  runPipeline,
  RunResources,
  silentLogger,
  sink,
  task,
} from "../engine/pipeline/mod.ts";
import { owner } from "../engine/kernel/mod.ts";
import net from "node:net";
import { mailboxStage } from "../stages/mailbox_factories.ts";
import { PipelineMonitor, serveMetrics } from "../engine/monitor/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { type Exposition, readPrometheusText, valueOf } from "./support/prometheus_reader.ts";

const tasks = new URL("./fixtures/pipeline_tasks.ts", import.meta.url).href;
const stagesModule = fileURLToPath(new URL("./fixtures/cli/stages.ts", import.meta.url));

async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return readPrometheusText(await res.text());
}

/** Naming rules: the sluice_ prefix, counters end in _total, times in seconds; histograms add up. */
function assertConventions(e: Exposition): void {
  for (const [name, type] of e.types) {
    assert.match(name, /^sluice_/);
    if (type === "counter") assert.match(name, /_total$/, name);
    if (type === "histogram") assert.match(name, /_seconds$/, name);
  }
  const byStage = Map.groupBy(
    e.samples.filter((s) => s.name === "sluice_stage_processing_seconds_bucket"),
    (s) => s.labels.stage,
  );
  for (const [stage, buckets] of byStage) {
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, stage);
    assert.equal(buckets[buckets.length - 1].labels.le, "+Inf");
    assert.equal(
      buckets[buckets.length - 1].value,
      valueOf(e, "sluice_stage_processing_seconds_count", { stage }),
    );
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("metrics endpoint", () => {
  test("a scrape in the middle of a run sees the stages, the pool, and the run in progress", async () => {
    const monitor = new PipelineMonitor();
    const server = await serveMetrics("127.0.0.1:0", monitor);
    try {
      const reached = deferred();
      const release = deferred();
      const p = pipeline(fromIterable([1, 2, 3]))
        .pipe(task<number, number>({ module: tasks, export: "square" }, { name: "square" }))
        .pipe(map(async (n: number) => {
          if (n === 4) {
            reached.resolve();
            await release.promise;
          }
          return n;
        }, { name: "hold" }))
        .to(sink(() => {}, { name: "out" }));
      const metrics = new RunMetrics();
      const resources = new RunResources();
      monitor.runStarted(metrics, resources);
      const run = runPipeline(p, { logger: silentLogger, metrics, resources });
      // However the checks below end, the run must finish (its worker pool closes with it).
      const finished = run.finally(() => {});
      const checks = reached.promise.then(() => scrape(server.url));
      checks.finally(() => release.resolve()).catch(() => {});
      await reached.promise;
      const during = await checks;
      assertConventions(during);
      assert.equal(valueOf(during, "sluice_run_in_progress"), 1);
      assert.equal(valueOf(during, "sluice_runs_started_total"), 1);
      assert.equal(valueOf(during, "sluice_stage_items_in_total", { stage: "hold" }), 2);
      assert.equal(valueOf(during, "sluice_stage_in_flight", { stage: "hold" }), 1);
      assert.ok((valueOf(during, "sluice_stage_items_out_total", { stage: "square" }) ?? 0) >= 2);
      assert.ok((valueOf(during, "sluice_pool_workers") ?? 0) >= 1, "the run's pool is watched");
      assert.notEqual(valueOf(during, "sluice_event_loop_lag_seconds", { quantile: "0.99" }), undefined);
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(await health.text(), "ok\n");
      const summary = await finished;
      monitor.runFinished(summary, 0);

      // A second run adds to the first: counters only grow.
      const again = new RunMetrics();
      monitor.runStarted(again, new RunResources());
      monitor.runFinished(await runPipeline(p, { logger: silentLogger, metrics: again }), 0);
      const after = await scrape(server.url);
      assertConventions(after);
      assert.equal(valueOf(after, "sluice_stage_items_in_total", { stage: "hold" }), 6);
      assert.equal(valueOf(after, "sluice_stage_processing_seconds_count", { stage: "hold" }), 6);
      assert.equal(valueOf(after, "sluice_runs_finished_total"), 2);
      assert.equal(valueOf(after, "sluice_runs_failed_total"), 0);
      assert.equal(valueOf(after, "sluice_last_run_exit_status"), 0);
      assert.equal(valueOf(after, "sluice_run_in_progress"), 0);
      assert.equal(await fetch(`${server.url}/nosuch`).then(async (r) => (await r.text(), r.status)), 404);
    } finally {
      await server.close();
    }
  });

  test("/healthz is 503 with the reason while a sink's connection is down, and after a failed run", async () => {
    const monitor = new PipelineMonitor();
    const server = await serveMetrics("127.0.0.1:0", monitor);
    try {
      let up = false;
      const conn = owner({
        name: "mailbox",
        open: () =>
          up ? Promise.resolve({}) : Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), {
            code: "ECONNREFUSED",
          })),
        actions: { ping: () => Promise.resolve("pong") },
      });
      const resources = new RunResources();
      resources.watchHealth(
        "mailbox imap://mail.example.org",
        () => conn.broken === undefined ? undefined : `not connected: ${(conn.broken as Error).message}`,
      );
      monitor.runStarted(new RunMetrics(), resources);
      await assert.rejects(conn.call.ping());
      const down = await fetch(`${server.url}/healthz`);
      assert.equal(down.status, 503);
      assert.equal(
        await down.text(),
        "mailbox imap://mail.example.org: not connected: connect ECONNREFUSED\n",
      );
      up = true;
      assert.equal(await conn.call.ping(), "pong");
      const back = await fetch(`${server.url}/healthz`);
      assert.equal(back.status, 200);
      await back.text();
      await conn.close();

      const failed = await runPipeline(
        pipeline(fromIterable([1])).to(sink(() => {
          throw new Error("mailbox gone");
        }, { name: "out", onError: "fail" })),
        { logger: silentLogger, measureLag: false },
      );
      monitor.runFinished(failed, 3);
      const res = await fetch(`${server.url}/healthz`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /^the last run failed \(exit 3\): .*mailbox gone/);
      const e = await scrape(server.url);
      assert.equal(valueOf(e, "sluice_runs_failed_total"), 1);
      assert.equal(valueOf(e, "sluice_last_run_exit_status"), 3);
    } finally {
      await server.close();
    }
  });

  test("the mailbox sink reports its IMAP connection down (no password in the reason)", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const stage = mailboxStage.create({
      url: `imap://reader:hunter2@127.0.0.1:${port}`,
      maildir: "./mail",
      state: "memory:",
      "max-batch": 50,
      "server-check": false,
      "ca-file": "",
      connections: 1,
      fsync: false,
    }, {});
    const message = {
      folder: "News",
      raw: new TextEncoder().encode("Subject: x\r\n\r\nbody\r\n"),
      date: new Date(0),
      feedUrl: "https://example.org/feed",
      entryId: "1",
      messageId: "<1@sluice>",
    };
    const resources = new RunResources();
    const whileRetrying: string[][] = [];
    await runPipeline(pipeline(fromIterable([message])).to(stage as never), {
      resources,
      measureLag: false,
      // The sink retries a failed append: its first retry is the moment the connection is known down.
      logger: {
        log: (_level, text) => void (/^retry 1\b/.test(text) && whileRetrying.push(resources.unhealthy())),
      },
    });
    assert.equal(whileRetrying.length, 1);
    const [reason] = whileRetrying[0];
    assert.match(
      reason,
      new RegExp(
        `^mailbox imap://.*127\\.0\\.0\\.1:${port} \\(connection 1\\): not connected: .*ECONNREFUSED`,
      ),
    );
    assert.doesNotMatch(reason, /hunter2/);
    assert.deepEqual(resources.unhealthy(), [], "the run's resources are closed, and their checks with them");
  });

  test("cli.ts with `metrics:` in the YAML serves /metrics while it runs; a bad --metrics is a usage error", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-metrics-"));
    // The run is endless: whatever fails below, the finally block kills it.
    let child: ChildProcess | undefined;
    let exited: Promise<number | null> = Promise.resolve(null);
    try {
      const file = path.join(dir, "endless.yaml");
      await writeFile(
        file,
        `name: endless
metrics: 127.0.0.1:0
stages:
  - use: ${stagesModule}#numbers
    with: { count: 0 }
  - use: ${stagesModule}#double
  - use: ${stagesModule}#lines
    with: { file: ${dir}/out.txt }
`,
      );
      const pre = runtime.name === "deno" ? ["run", "-A", "--unstable-kv", "--unstable-cron"] : [];
      const cli = fileURLToPath(new URL("../cli.ts", import.meta.url));
      const run = spawn(process.execPath, [...pre, cli, file], {
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "ignore", "pipe"],
        timeout: CLI_CHILD_TIMEOUT_MS,
        killSignal: "SIGKILL",
      });
      child = run;
      exited = new Promise<number | null>((resolve) => run.on("close", (code) => resolve(code)));
      let stderr = "";
      const url = await new Promise<string>((resolve, reject) => {
        run.stderr.on("data", (d) => {
          stderr += d;
          const m = /metrics at (http:\/\/\S+)\/metrics/.exec(stderr);
          if (m) resolve(m[1]);
        });
        run.on("close", () => reject(new Error(`exited before serving metrics: ${stderr}`)));
      });
      // Scrape until the run has moved items through `double` (each scrape waits on the server's answer).
      let e = await scrape(url);
      while (!((valueOf(e, "sluice_stage_items_out_total", { stage: "double" }) ?? 0) > 0)) {
        e = await scrape(url);
      }
      assertConventions(e);
      assert.equal(valueOf(e, "sluice_run_in_progress"), 1);
      process.kill(run.pid!, "SIGINT");
      assert.equal(await exited, 130, stderr);

      const bad = spawn(process.execPath, [...pre, cli, file, "--metrics", "nohost"], {
        stdio: "ignore",
        timeout: CLI_CHILD_TIMEOUT_MS,
        killSignal: "SIGKILL",
      });
      assert.equal(await new Promise((resolve) => bad.on("close", resolve)), 64);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
