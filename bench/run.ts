/**
 * `deno task bench`: the rss2imap workloads end to end, on the project's own feed farm and a private
 * Dovecot, under Deno and Bun, in three placements of sluice itself measured in the same run:
 *
 * - `default`: the scheduler's placement (I/O on the loop, parsing on the worker pool);
 * - `loop-only`: just as concurrent, but every stage kept on the event loop;
 * - `sequential`: one feed after another, everything on the loop (the classic single-threaded tool).
 *
 * Workloads (the same as `../shared/bench/run-peers.sh`): W1 = 25 feeds x 20 entries x 2 images at
 * 150 ms latency on a fresh store; W2 = W1 again on the same state (conditional requests, nothing
 * new); W3 = 200 feeds x 30 entries x 1 image at 100 ms.
 *
 * Each run is a child process `cli.ts pipelines/rss2imap.yaml --json` under `/usr/bin/time` when it
 * exists, so wall, user and system time and peak memory are the process's own; event-loop lag comes
 * from the run's JSON summary; requests and 304s from the farm's counters; delivered messages are
 * counted in the Maildir behind Dovecot.
 *
 * `--scrape-metrics` runs each workload twice per round, alternating, the second time with
 * `--metrics 127.0.0.1:PORT` and a scraper fetching `/metrics` every second: the cost of being watched.
 *
 * @example
 * ```sh
 * deno task bench                                   # everything (about 10 minutes on 2 cores)
 * deno task bench --workloads W3 --modes default --scrape-metrics --rounds 3
 * deno task bench --workloads W1,W2 --runtimes deno --modes default
 * deno task bench --quick                           # 5 feeds, to see that it works
 * ```
 * @module
 */
import { startFeedFarm } from "../tests/support/feed_farm.ts";
import { startDovecot } from "../tests/support/dovecot.ts";
import { type ChildFigures, measureChild } from "./child_figures.ts";
import { countMaildirMessages } from "./maildir_count.ts";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import process from "node:process";

/** A workload of the shared harness. */
interface Workload {
  name: "W1" | "W2" | "W3";
  feeds: number;
  entries: number;
  images: number;
  latencyMs: number;
  /** Run on the state left by the previous workload (W2 repeats W1). */
  again?: boolean;
}

const WORKLOADS: Workload[] = [
  { name: "W1", feeds: 25, entries: 20, images: 2, latencyMs: 150 },
  { name: "W2", feeds: 25, entries: 20, images: 2, latencyMs: 150, again: true },
  { name: "W3", feeds: 200, entries: 30, images: 1, latencyMs: 100 },
];
type Mode = "default" | "loop-only" | "sequential";
const MODE_FLAGS: Record<Mode, string[]> = {
  default: [],
  "loop-only": ["--placement", "loop"],
  sequential: ["--sequential"],
};

const repo = fileURLToPath(new URL("..", import.meta.url));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const USAGE =
  `deno task bench [--workloads W1,W2,W3] [--runtimes deno,bun] [--modes default,loop-only,sequential]
                [--quick] [--v8-flags FLAGS] [--scrape-metrics] [--rounds N]
  --quick      5 feeds per workload, to see that it works
  --scrape-metrics  run each workload also with --metrics, scraping /metrics every second
                    (alternating with the plain run, so both see the same machine)
  --rounds N   repeat everything N times (default 1)
  --v8-flags   passed to Deno's runs, e.g. --max-semi-space-size=2,--max-old-space-size=80 (small machines)`;

/** Exits with the usage on --help (0) or on an option this script does not know (64). */
function checkArguments(): void {
  const known = new Set(["--workloads", "--runtimes", "--modes", "--v8-flags", "--rounds"]);
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--help" || args[i] === "-h") {
      console.log(USAGE);
      process.exit(0);
    }
    if (args[i] === "--quick" || args[i] === "--scrape-metrics") continue;
    if (!known.has(args[i]) || args[i + 1] === undefined) {
      console.error(`bench/run.ts: unknown or incomplete option '${args[i]}'\n${USAGE}`);
      process.exit(64);
    }
    i++;
  }
}

function runtimeCommand(runtime: string): string[] {
  const bin = path.join(repo, "node_modules", ".bin", runtime);
  const v8Flags = option("v8-flags", "");
  return runtime === "deno"
    ? [bin, "run", "-A", ...(v8Flags ? [`--v8-flags=${v8Flags}`] : []), path.join(repo, "cli.ts")]
    : [bin, path.join(repo, "cli.ts")];
}

/** One row of the results table. */
interface Row extends ChildFigures {
  runtime: string;
  mode: Mode;
  /** Successful scrapes of /metrics during the run; undefined when it ran without --metrics. */
  scrapes?: number;
  workload: string;
  delivered: number;
  expected: number;
  requests: number;
  notModified: number;
  lagP50?: number;
  lagP99?: number;
  lagMax?: number;
}

async function main(): Promise<void> {
  checkArguments();
  const quick = process.argv.includes("--quick");
  const wanted = option("workloads", "W1,W2,W3").split(",");
  const runtimes = option("runtimes", "deno,bun").split(",");
  const modes = option("modes", "default,loop-only,sequential").split(",") as Mode[];
  const rounds = Math.max(1, Number(option("rounds", "1")) || 1);
  const scrapeToo = process.argv.includes("--scrape-metrics");
  const rows: Row[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const runtime of runtimes) {
      for (const mode of modes) {
        // Alternate which goes first, so a slow spell of the shared machine does not favour one.
        const variants = scrapeToo ? (round % 2 === 0 ? [false, true] : [true, false]) : [false];
        for (const scraped of variants) {
          rows.push(...await runWorkloads(runtime, mode, wanted, quick, scraped));
        }
      }
    }
  }
  console.log(table(rows));
}

async function runWorkloads(
  runtime: string,
  mode: Mode,
  wanted: string[],
  quick: boolean,
  scraped: boolean,
): Promise<Row[]> {
  const rows: Row[] = [];
  {
    {
      let previous: {
        state: string;
        farm: Awaited<ReturnType<typeof startFeedFarm>>;
        dove: Awaited<ReturnType<typeof startDovecot>>;
      } | undefined;
      for (const w of WORKLOADS) {
        if (!wanted.includes(w.name)) continue;
        const feeds = quick ? Math.min(w.feeds, 5) : w.feeds;
        let ctx = w.again ? previous : undefined;
        if (!ctx) {
          if (previous) await closeRun(previous);
          const farm = await startFeedFarm({
            feeds,
            entries: w.entries,
            images: w.images,
            latencyMs: w.latencyMs,
          });
          const dove = await startDovecot({ fsync: false });
          const state = await mkdtemp(path.join(tmpdir(), "sluice-bench-"));
          ctx = { farm, dove, state };
        }
        previous = ctx;
        const list = path.join(ctx.state, "feeds.txt");
        await writeFile(list, ctx.farm.feedListText);
        ctx.farm.resetCounters();
        const before = await countMaildirMessages(ctx.dove.mailRoot);
        const summaryFile = path.join(ctx.state, `summary-${w.name}.json`);
        const port = scraped ? await freePort() : 0;
        const scraper = scraped ? scrapeEverySecond(`http://127.0.0.1:${port}/metrics`) : undefined;
        const figures = await measureChild(
          [
            ...runtimeCommand(runtime),
            path.join(repo, "pipelines", "rss2imap.yaml"),
            "--quiet",
            "--summary-json",
            summaryFile,
            ...MODE_FLAGS[mode],
            ...(scraped ? ["--metrics", `127.0.0.1:${port}`] : []),
          ],
          {
            cwd: repo,
            env: {
              ...process.env,
              FEEDS: list,
              IMAP_URL: ctx.dove.url,
              STATE_DIR: path.join(ctx.state, "state"),
            },
          },
        );
        const scrapes = scraper?.stop();
        const delivered = (await countMaildirMessages(ctx.dove.mailRoot)) - before;
        const lag = await readLag(summaryFile);
        const row: Row = {
          runtime,
          mode,
          workload: w.name,
          ...figures,
          delivered,
          expected: w.again ? 0 : feeds * w.entries,
          requests: ctx.farm.counters.requests,
          notModified: ctx.farm.counters.notModified,
          ...lag,
          ...(scraped ? { scrapes } : {}),
        };
        rows.push(row);
        console.error(formatRow(row));
      }
      if (previous) await closeRun(previous);
    }
  }
  return rows;
}

/** A TCP port nothing listens on right now (asked from the system, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Fetches `url` every second (as Prometheus would) until stopped; returns the successful scrapes. */
function scrapeEverySecond(url: string): { stop(): number } {
  let ok = 0;
  const timer = setInterval(() => {
    fetch(url).then(async (res) => {
      await res.text();
      if (res.ok) ok++;
    }, () => {/* not listening yet, or already gone */});
  }, 1000);
  return {
    stop: () => {
      clearInterval(timer);
      return ok;
    },
  };
}

async function closeRun(
  ctx: { state: string; farm: { close(): Promise<void> }; dove: { stop(): Promise<void> } },
) {
  await ctx.farm.close();
  await ctx.dove.stop();
  await rm(ctx.state, { recursive: true, force: true });
}

async function readLag(file: string): Promise<{ lagP50?: number; lagP99?: number; lagMax?: number }> {
  try {
    const { readFile } = await import("node:fs/promises");
    const s = JSON.parse(await readFile(file, "utf8"));
    const lag = s.lag ?? {};
    return { lagP50: lag.p50, lagP99: lag.p99, lagMax: lag.max };
  } catch {
    return {};
  }
}

function formatRow(r: Row): string {
  const f = (n: number | undefined, d = 1) => (n === undefined ? "-" : n.toFixed(d));
  const watched = r.scrapes === undefined ? "" : ` (--metrics, ${r.scrapes} scrapes)`;
  return `${r.runtime} ${r.mode}${watched} ${r.workload}: wall ${f(r.wallS, 2)} s, user ${
    f(r.userS, 2)
  } s, sys ${f(r.sysS, 2)} s, ` +
    `peak ${f(r.maxRssMb, 0)} MB, ${r.delivered}/${r.expected} delivered, ${
      f(r.delivered / r.wallS, 0)
    } msg/s, ` +
    `lag p50/p99/max ${f(r.lagP50)}/${f(r.lagP99)}/${
      f(r.lagMax)
    } ms, ${r.requests} requests, ${r.notModified} 304s, exit ${r.exitCode}`;
}

function table(rows: Row[]): string {
  const head =
    "| runtime | mode | /metrics scrapes | workload | wall s | user s | sys s | peak MB | delivered | msg/s | lag p50/p99/max ms | requests | 304s |";
  const sep = "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
  const f = (n: number | undefined, d = 1) => (n === undefined ? "-" : n.toFixed(d));
  const lines = rows.map((r) =>
    `| ${r.runtime} | ${r.mode} | ${r.scrapes ?? "-"} | ${r.workload} | ${f(r.wallS, 2)} | ${
      f(r.userS, 2)
    } | ${f(r.sysS, 2)} | ${f(r.maxRssMb, 0)} | ` +
    `${r.delivered}/${r.expected} | ${f(r.delivered / r.wallS, 0)} | ${f(r.lagP50)}/${f(r.lagP99)}/${
      f(r.lagMax)
    } | ${r.requests} | ${r.notModified} |`
  );
  return [head, sep, ...lines].join("\n");
}

if (import.meta.main) await main();
