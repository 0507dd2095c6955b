/**
 * Why sluice keeps its own cron parser (`engine/schedule/cron.ts`) instead of croner 11: the same
 * expressions and instants through both, in UTC and in Europe/Berlin across both DST changes of 2026,
 * what each accepts, and the time per next-fire computation. Prints a table of every disagreement.
 *
 *   deno run -A bench/cron_vs_croner.ts        # or: bun bench/cron_vs_croner.ts
 *
 * @example Not run here: a benchmark, run as a script.
 * ```ts ignore
 * // run as a script (above); it exports nothing
 * ```
 * @module
 */
import process from "node:process";
import { Cron } from "npm:croner@^11.0.1";
import { nextFire, parseCron } from "../engine/schedule/cron.ts";

function croner(expr: string, options: { timezone?: string } = {}): Cron | string {
  try {
    return new Cron(expr, { paused: true, ...options });
  } catch (e) {
    return `rejects: ${(e as Error).message}`;
  }
}

function ours(expr: string): string {
  try {
    parseCron(expr);
    return "accepts";
  } catch (e) {
    return `rejects: ${(e as Error).message}`;
  }
}

const UTC_CASES: Array<[string, string]> = [
  ["5/20 * * * *", "2026-01-01T10:45:00Z"],
  ["0 0 1 * MON", "2026-01-27T00:00:00Z"],
  ["0 0 */2 * MON", "2026-01-01T00:00:00Z"],
  ["0 0 31 * *", "2026-04-15T00:00:00Z"],
  ["0 0 29 2 *", "2026-03-01T00:00:00Z"],
];
console.log("next fire (UTC)                 sluice                    croner");
for (const [expr, after] of UTC_CASES) {
  const c = croner(expr, { timezone: "Etc/UTC" });
  const theirs = typeof c === "string" ? c.slice(0, 60) : c.nextRun(new Date(after))?.toISOString();
  console.log(
    `${expr.padEnd(16)} ${after.slice(0, 10)}  ${nextFire(expr, new Date(after)).toISOString()}  ${theirs}`,
  );
}

process.env.TZ = "Europe/Berlin";
console.log("\nlocal time, Europe/Berlin (UTC instants)");
for (
  const [expr, after] of [["30 2 * * *", "2026-03-28T12:00:00Z"], ["*/30 * * * *", "2026-10-25T00:10:00Z"]]
) {
  const mine: string[] = [];
  const theirs: string[] = [];
  const c = croner(expr) as Cron;
  let [a, b] = [new Date(after), new Date(after)];
  for (let i = 0; i < 3; i++) {
    mine.push((a = nextFire(expr, a, { timeZone: "local" })).toISOString().slice(5, 16));
    theirs.push((b = c.nextRun(b)!).toISOString().slice(5, 16));
  }
  console.log(`${expr.padEnd(14)} sluice ${mine.join(" ")}  croner ${theirs.join(" ")}`);
}
delete process.env.TZ;

console.log("\nvalidation");
for (const expr of ["0 0 30 2 *", "0 * * * * *", "0 0 L * *", "0 0 * * 5#2", "* * 0 * *", "0 25 * * *"]) {
  const c = croner(expr);
  console.log(
    `${expr.padEnd(14)} sluice ${ours(expr).slice(0, 70)}\n${"".padEnd(14)} croner ${
      typeof c === "string" ? c.slice(0, 70) : "accepts"
    }`,
  );
}

const N = 20_000;
const expr = "*/7 9-17 * * MON-FRI";
let t = new Date("2026-01-01T00:00:00Z");
let start = performance.now();
const schedule = parseCron(expr);
for (let i = 0; i < N; i++) t = nextFire(schedule, t);
const oursMs = (performance.now() - start) / N;
const c = croner(expr, { timezone: "Etc/UTC" }) as Cron;
t = new Date("2026-01-01T00:00:00Z");
start = performance.now();
for (let i = 0; i < N; i++) t = c.nextRun(t)!;
const theirsMs = (performance.now() - start) / N;
console.log(
  `\nms per next fire (${expr}, ${N} in a row): sluice ${oursMs.toFixed(4)}, croner ${theirsMs.toFixed(4)}`,
);
