/**
 * What the cluster costs and what it buys, on the project's feed farm and a private Dovecot:
 *
 * - W3 (200 feeds x 30 entries x 1 image, 100 ms latency) run locally, then on a cluster of one worker
 *   (nats-server on loopback, the submitter and the worker on this machine): the cluster's overhead;
 * - W4 (2,000 feeds x 30 entries x 1 image, 100 ms, the shared harness's shape) with 1, 2 and 4 workers
 *   against one Dovecot.
 *
 * Each run starts with a fresh Dovecot and a fresh state; the wall time is the submitting process's (from
 * start to its summary), so it includes the workers' work; delivered messages are counted in the Maildir.
 * Workers are started (and have joined) before the clock starts. Figures are printed, never asserted.
 *
 * @example
 * ```sh
 * deno run -A bench/cluster_bench.ts                       # W3 local vs 1 worker, W4 with 1/2/4 workers
 * deno run -A bench/cluster_bench.ts --only W3 --runtime bun
 * deno run -A bench/cluster_bench.ts --only W4 --w4-feeds 500 --workers 1,2
 * deno run -A bench/cluster_bench.ts --w3-feeds 20 --w4-feeds 40   # a quick check that it all works
 * ```
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { startFeedFarm } from "../tests/support/feed_farm.ts";
import { startDovecot } from "../tests/support/dovecot.ts";
import { startNatsServer } from "../tests/support/nats_server.ts";
import { measureChild } from "./child_figures.ts";
import { countMaildirMessages } from "./maildir_count.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const runtimeName = option("runtime", "deno");
const cliCommand = runtimeName === "bun"
  ? ["bun", path.join(repo, "cli.ts")]
  : [process.execPath.endsWith("deno") ? process.execPath : "deno", "run", "-A", path.join(repo, "cli.ts")];

interface Row {
  workload: string;
  how: string;
  wallS: number;
  delivered: number;
  expected: number;
  exitCode: number;
}

/** Starts `n` workers and resolves once each has said it joined. */
async function startWorkers(n: number, nats: string, imapUrl: string): Promise<ChildProcess[]> {
  const children: ChildProcess[] = [];
  await Promise.all(Array.from({ length: n }, () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(cliCommand[0], [...cliCommand.slice(1), "worker", "--nats", nats], {
        cwd: repo,
        // The IMAP password is a secret: workers take it from their own environment, never from NATS.
        env: { ...process.env, IMAP_URL: imapUrl },
        stdio: ["ignore", "ignore", "pipe"],
      });
      children.push(child);
      let text = "";
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (d: string) => {
        text += d;
        if (text.includes("joined the cluster")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`worker exited (${code}): ${text.slice(-500)}`)));
    })));
  return children;
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null) return resolve();
      c.removeAllListeners("exit");
      c.once("exit", () => resolve());
      c.kill("SIGTERM");
    })
  ));
}

async function runOnce(
  workload: { name: string; feeds: number; entries: number; images: number; latencyMs: number },
  workers: number,
  farm: Awaited<ReturnType<typeof startFeedFarm>>,
): Promise<Row> {
  const dir = await mkdtemp(path.join(tmpdir(), "sluice-cluster-bench-"));
  const dove = await startDovecot({ fsync: false });
  const nats = workers > 0 ? await startNatsServer() : undefined;
  const children = nats ? await startWorkers(workers, nats.url, dove.url) : [];
  try {
    const list = path.join(dir, "feeds.txt");
    await writeFile(list, farm.feedListText);
    const figures = await measureChild(
      [
        ...cliCommand,
        path.join(repo, "pipelines", "rss2imap.yaml"),
        "--quiet",
        ...(nats ? ["--nats", nats.url] : []),
      ],
      {
        cwd: repo,
        env: { ...process.env, FEEDS: list, IMAP_URL: dove.url, STATE_DIR: path.join(dir, "state") },
      },
    );
    if (figures.exitCode !== 0) console.error(figures.stderrTail);
    return {
      workload: workload.name,
      how: workers > 0 ? `cluster, ${workers} worker${workers > 1 ? "s" : ""}` : "local",
      wallS: figures.wallS,
      delivered: await countMaildirMessages(dove.mailRoot),
      expected: workload.feeds * workload.entries,
      exitCode: figures.exitCode,
    };
  } finally {
    await stopWorkers(children);
    await nats?.stop();
    await dove.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const only = option("only", "W3,W4").split(",");
  const workerCounts = option("workers", "1,2,4").split(",").map(Number);
  const rows: Row[] = [];
  const print = (r: Row) =>
    console.error(
      `${runtimeName} ${r.workload} ${r.how}: wall ${r.wallS.toFixed(2)} s, ${r.delivered}/${r.expected} ` +
        `delivered, ${(r.delivered / r.wallS).toFixed(0)} msg/s, exit ${r.exitCode}`,
    );
  if (only.includes("W3")) {
    const w3 = {
      name: "W3",
      feeds: Number(option("w3-feeds", "200")),
      entries: 30,
      images: 1,
      latencyMs: 100,
    };
    const farm = await startFeedFarm(w3);
    try {
      for (const workers of [0, 1]) {
        const row = await runOnce(w3, workers, farm);
        rows.push(row);
        print(row);
      }
    } finally {
      await farm.close();
    }
  }
  if (only.includes("W4")) {
    const w4 = {
      name: "W4",
      feeds: Number(option("w4-feeds", "2000")),
      entries: 30,
      images: 1,
      latencyMs: 100,
    };
    const farm = await startFeedFarm(w4);
    try {
      for (const workers of workerCounts) {
        const row = await runOnce(w4, workers, farm);
        rows.push(row);
        print(row);
      }
    } finally {
      await farm.close();
    }
  }
  const local = rows.find((r) => r.workload === "W3" && r.how === "local");
  const one = rows.find((r) => r.workload === "W3" && r.how.startsWith("cluster, 1 "));
  console.log(`| runtime | workload | how | wall s | delivered | msg/s |\n|---|---|---|---:|---:|---:|`);
  for (const r of rows) {
    console.log(
      `| ${runtimeName} | ${r.workload} | ${r.how} | ${r.wallS.toFixed(2)} | ${r.delivered}/${r.expected} | ${
        (r.delivered / r.wallS).toFixed(0)
      } |`,
    );
  }
  if (local && one) {
    console.log(`W3 cluster (1 worker) / local wall: ${(one.wallS / local.wallS).toFixed(2)}x`);
  }
}

if (import.meta.main) await main();
