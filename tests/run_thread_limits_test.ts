/**
 * The heap of a CLI run's thread under Deno follows the memory budget: a small one (below 192 MiB) gets a
 * smaller old generation and no pool worker started ahead.
 */
import { after, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { budgetOfRun, declaredMemory, runThreadLimits } from "../cli/run_thread_limits.ts";
import { runtime } from "../engine/runtime/mod.ts";

const MB = 1024 * 1024;

describe("run thread limits", () => {
  let dir = "";
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a budget below 192 MiB gets a 256 MB old generation and no pool worker ahead", () => {
    assert.deepEqual(runThreadLimits(128 * MB), {
      youngGenerationMb: 8,
      oldGenerationMb: 256,
      prestartPoolWorker: false,
    });
    assert.deepEqual(runThreadLimits(undefined), {
      youngGenerationMb: 8,
      oldGenerationMb: 512,
      prestartPoolWorker: true,
    });
    assert.equal(runThreadLimits(192 * MB).prestartPoolWorker, true);
  });

  test("the pipeline file's top-level memory: line, quoted or commented; nothing else", () => {
    assert.equal(declaredMemory("name: x\nmemory: 128MB\nstages: []\n"), 128 * MB);
    assert.equal(declaredMemory('name: x\nmemory: "64 MiB" # small\n'), 64 * MB);
    assert.equal(declaredMemory("name: x\r\nmemory: 1GB\r\n"), 1024 * MB);
    assert.equal(declaredMemory("name: x\nstages:\n  - use: fetch\n    memory: 1MB\n"), undefined);
    assert.equal(declaredMemory("name: x\nmemory: ${MEM:-128MB}\n", {}), 128 * MB);
    assert.equal(declaredMemory("name: x\nmemory: ${MEM}\n", { MEM: "96MB" }), 96 * MB);
    assert.equal(declaredMemory("name: x\nmemory: ${MEM}\n", {}), undefined);
    assert.equal(declaredMemory("name: x\nmemory: lots\n"), undefined);
    assert.equal(declaredMemory("name: x\n# memory: 128MB\n"), undefined);
  });

  test("--max-memory wins over the file; a file that cannot be read says nothing", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-limits-"));
    const file = path.join(dir, "p.yaml");
    await writeFile(file, "name: p\nmemory: 128MB\nstages: []\n");
    assert.equal(await budgetOfRun(undefined, file), 128 * MB);
    assert.equal(await budgetOfRun(512 * MB, file), 512 * MB);
    assert.equal(await budgetOfRun(undefined, path.join(dir, "missing.yaml")), undefined);
  });

  test("under Deno the run's thread sees the smaller heap a small budget gives it", async () => {
    if (!runtime.runHeapLimited) return;
    dir ||= await mkdtemp(path.join(tmpdir(), "sluice-limits-"));
    const out = path.join(dir, "out.json");
    const { youngGenerationMb, oldGenerationMb } = runThreadLimits(128 * MB);
    const code = await runtime.runHeapLimited(
      new URL("./fixtures/heap_limited_entry.ts", import.meta.url),
      [out, "0"],
      { youngGenerationMb, oldGenerationMb },
    );
    assert.equal(code, 0);
    const seen = JSON.parse(await readFile(out, "utf8"));
    assert.ok(
      seen.youngGenerationBytes > 0 && seen.youngGenerationBytes <= 4 * MB,
      String(seen.youngGenerationBytes),
    );
    // V8's limit is the old generation's plus the young generation's (and a little more for large objects).
    assert.ok(seen.heapSizeLimitBytes <= 300 * MB, String(seen.heapSizeLimitBytes));
  });
});
