/**
 * `read` and `write`: formats, globs, stdin and stdout, append and atomic replace, paths relative to the
 * pipeline file, types that `check` verifies, and a failed write that fails its items instead of losing them.
 */
import { after, before, describe, test } from "./support/testing.ts";
import { CLI_CHILD_TIMEOUT_MS } from "./support/cli_child.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { buildPipeline, ConfigErrors, loadPipelineConfig } from "../engine/config/mod.ts";
import {
  fromIterable,
  pipeline,
  runPipeline,
  type RunSummary,
  silentLogger,
} from "../engine/pipeline/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { CsvParser, readRecords } from "../lib/records/mod.ts";
import { builtinStages } from "../stages/registry.ts";
import { writeRecords } from "../stages/write.ts";

const quiet = { logger: silentLogger, measureLag: false };
let dir = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-rw-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runYaml(name: string, yaml: string): Promise<RunSummary> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, `name: ${name}\n${yaml}`);
  const registry = builtinStages();
  const spec = await loadPipelineConfig(file, { catalog: registry, env: () => undefined });
  return await runPipeline(buildPipeline(spec, registry), quiet);
}

describe("read and write", () => {
  test("jsonl in, filter and map, jsonl appended (paths relative to the YAML)", async () => {
    await writeFile(
      path.join(dir, "events.jsonl"),
      '{"user":"ann","score":5}\n{"user":"bob","score":1}\n\n{"user":"cy","score":4}',
    );
    const yaml = "stages:\n  - use: read\n    with: { path: events.jsonl }\n" +
      "  - use: filter\n    with: { expr: item.score > 3 }\n" +
      "  - use: map\n    with: { expr: '({ who: item.user })' }\n" +
      "  - use: write\n    with: { path: out/kept.jsonl }\n";
    await mkdir(path.join(dir, "out"));
    assert.equal((await runYaml("jsonl", yaml)).ok, true);
    assert.equal((await runYaml("jsonl", yaml)).ok, true);
    const lines = (await readFile(path.join(dir, "out/kept.jsonl"), "utf8")).trim().split("\n");
    assert.deepEqual(lines.map((l) => JSON.parse(l)), [{ who: "ann" }, { who: "cy" }, { who: "ann" }, {
      who: "cy",
    }]);
  });

  test("csv in (quoted commas, quotes, newlines), csv out replaced", async () => {
    await writeFile(
      path.join(dir, "in.csv"),
      'name,note\r\nann,"likes a, b"\nbob,"said ""hi""\nthen left"\n',
    );
    await writeFile(path.join(dir, "out.csv"), "old content\n");
    const summary = await runYaml(
      "csv",
      "stages:\n  - use: read\n    with: { path: in.csv }\n  - use: write\n    with: { path: out.csv, mode: replace }\n",
    );
    assert.equal(summary.ok, true);
    const text = await readFile(path.join(dir, "out.csv"), "utf8");
    const rows = [...new CsvParser().push(text)];
    assert.deepEqual(rows, [["name", "note"], ["ann", "likes a, b"], ["bob", 'said "hi"\nthen left']]);
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith(".tmp")), []);
  });

  test("a glob reads the matching files in name order; lines out", async () => {
    await mkdir(path.join(dir, "logs"));
    await writeFile(path.join(dir, "logs/b.log"), "b1\nb2\n");
    await writeFile(path.join(dir, "logs/a.log"), "a1\r\na2");
    await writeFile(path.join(dir, "logs/skip.txt"), "no\n");
    const summary = await runYaml(
      "glob",
      "stages:\n  - use: read\n    with: { path: 'logs/*.log' }\n  - use: write\n    with: { path: all.txt, format: lines, mode: replace }\n",
    );
    assert.equal(summary.ok, true);
    assert.equal(await readFile(path.join(dir, "all.txt"), "utf8"), "a1\na2\nb1\nb2\n");
  });

  test("replace is atomic: a run that fails keeps the old file and leaves no temporary file", async () => {
    await writeFile(path.join(dir, "nums.jsonl"), "1\n2\n3\n");
    await writeFile(path.join(dir, "kept.json"), "[1]\n");
    const summary = await runYaml(
      "atomic",
      "stages:\n  - use: read\n    with: { path: nums.jsonl }\n" +
        "  - use: map\n    with: { expr: 'item === 3 ? item.boom.bang : item' }\n" +
        "  - use: write\n    with: { path: kept.json, mode: replace }\n",
    );
    assert.equal(summary.ok, false);
    assert.equal(await readFile(path.join(dir, "kept.json"), "utf8"), "[1]\n");
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith(".tmp")), []);
    const ok = await runYaml(
      "atomic-ok",
      "stages:\n  - use: read\n    with: { path: nums.jsonl }\n  - use: write\n    with: { path: kept.json, mode: replace }\n",
    );
    assert.equal(ok.ok, true);
    assert.deepEqual(JSON.parse(await readFile(path.join(dir, "kept.json"), "utf8")), [1, 2, 3]);
  });

  test("a write that fails stops the run and names the file", async () => {
    const out: string[] = [];
    const summary = await runPipeline(
      pipeline(fromIterable([{ a: 1 }, { a: 2 }])).to(
        writeRecords(path.join(dir, "no-such-folder", "x.jsonl"), { format: "jsonl", mode: "append" }),
      ),
      quiet,
    );
    out.push(String(summary.error));
    assert.equal(summary.ok, false);
    assert.match(out[0], /cannot write .*no-such-folder/);
    assert.equal(summary.metrics.stages.find((s) => s.name === "write")?.itemsOut ?? 0, 0);
  });

  test("check: json cannot be appended; read's type follows its format", async () => {
    const file = path.join(dir, "bad.yaml");
    await writeFile(
      file,
      "name: bad\nstages:\n  - use: read\n    with: { path: x.txt }\n  - use: fetch\n  - use: write\n    with: { path: o.json }\n",
    );
    const e = await loadPipelineConfig(file, { catalog: builtinStages(), env: () => undefined }).catch((e) =>
      e
    );
    assert.ok(e instanceof ConfigErrors);
    const text = e.errors.map((x) => x.message).join("\n");
    assert.match(text, /stage `fetch` \(line 5\) takes `FeedRef` but `read` \(line 3\) produces `string`/);
    assert.match(text, /bad\.yaml:7:11: stage `write`: a JSON array cannot be appended to/);
  });

  test("lines that span 64 KiB chunks, CRLF endings and non-ASCII text come through whole", async () => {
    // Records of 1,000 to 1,400 characters, some with characters of 2, 3 and 4 bytes in UTF-8: over 300 KiB,
    // so lines and CRLF pairs fall across the reader's chunks, and records across the writer's buffer.
    const records = Array.from({ length: 300 }, (_, i) => ({
      i,
      text: (i % 3 === 0 ? "é€😀" : "ab").repeat(100 + i) + "x".repeat(1000),
    }));
    const input = path.join(dir, "spanning.jsonl");
    await writeFile(input, records.map((r) => JSON.stringify(r) + "\r\n").join(""));
    const read: unknown[] = [];
    for await (const r of readRecords(input, { format: "jsonl" })) read.push(r);
    assert.deepEqual(read, records);
    const out = path.join(dir, "spanning-out.jsonl");
    const summary = await runPipeline(
      pipeline(fromIterable(records)).to(writeRecords(out, { format: "jsonl", mode: "replace" })),
      quiet,
    );
    assert.equal(summary.ok, true);
    assert.equal(await readFile(out, "utf8"), records.map((r) => JSON.stringify(r) + "\n").join(""));
    const lines: unknown[] = [];
    for await (const l of readRecords(input, { format: "lines" })) lines.push(l);
    assert.deepEqual(lines, records.map((r) => JSON.stringify(r)));
  });

  test("TypeScript: readRecords streams a large file line by line", async () => {
    const big = path.join(dir, "big.jsonl");
    await writeFile(big, Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i })).join("\n") + "\n");
    let n = 0;
    for await (const r of readRecords(big, { format: "jsonl" })) if ((r as { i: number }).i === n) n++;
    assert.equal(n, 20_000);
  });

  test("stdin to stdout through cli.ts (read -, write -)", async () => {
    const file = path.join(dir, "pipe.yaml");
    await writeFile(
      file,
      "name: pipe\nstages:\n  - use: read\n    with: { path: '-', format: jsonl }\n" +
        "  - use: map\n    with: { expr: item.n * 10 }\n  - use: write\n    with: { path: '-', format: lines }\n",
    );
    const repo = fileURLToPath(new URL("..", import.meta.url));
    const pre = runtime.name === "deno"
      ? ["run", "-A", path.join(repo, "cli.ts")]
      : [path.join(repo, "cli.ts")];
    const child = spawn(process.execPath, [...pre, file, "--quiet"], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: "1" },
      timeout: CLI_CHILD_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.resume();
    child.stdin.end('{"n":1}\n{"n":2}\n');
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(code, 0);
    assert.equal(stdout, "10\n20\n");
  });
});
