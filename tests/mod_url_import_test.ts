/**
 * Every entry point (mod.ts, kernel.ts, stages.ts, config.ts, testing.ts) must stay importable by URL from
 * a Deno script that has no config of its own, with full static types: serve the repository over HTTP the
 * way a user's static host would, then `deno check` and `deno run` a script in an empty folder that
 * imports them. Under Bun the same entry points are package.json subpath exports (`sluice/kernel`):
 * a script in a folder whose node_modules holds sluice imports each of them.
 */
import { after, before, test } from "./support/testing.ts";
import { CLI_CHILD_TIMEOUT_MS } from "./support/cli_child.ts";
import assert from "node:assert/strict";
import http from "node:http";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const deno = path.join(repo, "node_modules", ".bin", "deno");
const bun = path.join(repo, "node_modules", ".bin", "bun");
let server: http.Server;
let base = "";
let dir = "";

function run(args: string[], cwd: string, bin = deno): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
      timeout: CLI_CHILD_TIMEOUT_MS,
      killSignal: "SIGKILL",
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

before(async () => {
  server = http.createServer(async (req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = path.join(repo, path.normalize(rel));
    if (!file.startsWith(repo)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": "application/typescript; charset=utf-8" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  dir = await mkdtemp(path.join(tmpdir(), "sluice-url-"));
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

test("a config-less Deno script imports every entry point by URL, with the types of each", async () => {
  const script = path.join(dir, "entry_points.ts");
  await writeFile(
    script,
    `import { map, pipeline, runPipeline } from "${base}/mod.ts";
import { chan, TaskGroup } from "${base}/kernel.ts";
import { builtinStages, mime } from "${base}/stages.ts";
import { parseDuration } from "${base}/config.ts";
import { collectInto, fromIterable, MemoryStore, runStage } from "${base}/testing.ts";

const ch = chan<number>(1);
await ch.send(1);
// @ts-expect-error kernel.ts: a channel of numbers takes no string
await ch.trySend("one");
const group = new TaskGroup();
group.go(() => {});
await group.wait();

const out: number[] = [];
const summary = await runPipeline(pipeline(fromIterable([1, 2])).to(collectInto(out)));
// @ts-expect-error mod.ts: a summary's ok is a boolean
const notNumber: number = summary.ok;

// @ts-expect-error stages.ts: mime's options have no field "colour"
mime({ colour: "red" });
// @ts-expect-error config.ts: parseDuration returns a number
const ms: string = parseDuration("2s");

const { outputs } = await runStage(map((n: number) => n * 2), [21]);
// @ts-expect-error testing.ts: outputs of a number stage are numbers
const first: string | undefined = outputs[0];
await new MemoryStore().close();
console.log("entry points", summary.ok, out.join(","), builtinStages().names().length > 0, ms, outputs[0], notNumber, first);
`,
  );
  const reload = `--reload=${base}`;
  const checked = await run(["check", "--allow-import", reload, script], dir);
  assert.equal(checked.code, 0, checked.out);
  const ran = await run(["run", "-A", reload, script], dir);
  assert.equal(ran.code, 0, ran.out);
  assert.match(ran.out, /entry points true 1,2 true 2000 42/);
});

test("under Bun, package.json exports give every entry point by name (sluice, sluice/kernel, ...)", async () => {
  const project = path.join(dir, "bun-project");
  await mkdir(path.join(project, "node_modules"), { recursive: true });
  await symlink(repo, path.join(project, "node_modules", "sluice"), "dir");
  const script = path.join(project, "entry_points.ts");
  await writeFile(
    script,
    `import { pipeline, runPipeline } from "sluice";
import { chan } from "sluice/kernel";
import { builtinStages } from "sluice/stages";
import { parseDuration } from "sluice/config";
import { collectInto, fromIterable } from "sluice/testing";
const ch = chan<number>(1);
await ch.send(41);
const out: number[] = [];
await runPipeline(pipeline(fromIterable([1, 2])).to(collectInto(out)));
console.log("bun entry points", ((await ch.recv()).value ?? 0) + 1, out.join(","), builtinStages().names().includes("fetch"), parseDuration("2s"));
`,
  );
  // Outside the sluice folder Bun needs the npm: plugin as a preload (README, "Using sluice from Bun").
  const plugin = path.join(repo, "engine", "runtime", "bun_npm_plugin.ts");
  const ran = await run(["--preload", plugin, script], project, bun);
  assert.equal(ran.code, 0, ran.out);
  assert.match(ran.out, /bun entry points 42 1,2 true 2000/);
});
