/**
 * The example sink of ARCHITECTURE.md (tests/support/append_file_sink.ts) keeps the exactly-once promise:
 * a run that dies at a batch (after its lines were written and before they were recorded, after the
 * "sending" marks and before any line, or inside a line) followed by a normal run leaves every message in
 * the file exactly once. Each run is a child process of the test's runtime, killed by exit code 137.
 */
import { after, before, describe, test } from "./support/testing.ts";
import { CLI_CHILD_TIMEOUT_MS } from "./support/cli_child.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { runtime } from "../engine/runtime/mod.ts";
import { APPEND_FILE_CHILD } from "./support/append_file_child.ts";
import { AppendFileWriter } from "./support/append_file_sink.ts";

const COUNT = 20; // five batches of 4
let dir = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-example-sink-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the child with `env`; resolves to its exit code and what it printed on stderr. */
function child(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const pre = runtime.name === "deno" ? ["run", "-A", "--unstable-kv", "--unstable-cron"] : [];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...pre, APPEND_FILE_CHILD], {
      env: { ...process.env, NO_COLOR: "1", COUNT: String(COUNT), ...env },
      stdio: ["ignore", "ignore", "pipe"],
      timeout: CLI_CHILD_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stderr }));
  });
}

/** How many lines of the file hold each entry id. */
async function countsOf(file: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of await new AppendFileWriter(file).lines()) {
    counts.set(line.entryId, (counts.get(line.entryId) ?? 0) + 1);
  }
  return counts;
}

function assertEachOnce(counts: Map<string, number>): void {
  assert.equal(counts.size, COUNT, `every entry is in the file: ${[...counts.keys()].join(" ")}`);
  for (const [id, n] of counts) assert.equal(n, 1, `${id} is in the file ${n} times`);
}

describe("the example append-file sink", () => {
  test("a clean run writes each message once, and a second run writes nothing", async () => {
    const file = path.join(dir, "clean.jsonl");
    const env = { FILE: file, STATE: path.join(dir, "clean-state") };
    assert.deepEqual(await child(env), { code: 0, stderr: "" });
    assertEachOnce(await countsOf(file));
    assert.equal((await child(env)).code, 0);
    assertEachOnce(await countsOf(file));
  });

  for (const mode of ["after-write", "before-write", "torn-write"]) {
    test(`killed at the 2nd batch (${mode}), the next run delivers the rest: no duplicate, no loss`, async () => {
      const file = path.join(dir, `${mode}.jsonl`);
      const env = { FILE: file, STATE: path.join(dir, `${mode}-state`) };
      const crashed = await child({ ...env, CRASH: mode, CRASH_AT_BATCH: "2" });
      assert.equal(crashed.code, 137, crashed.stderr);
      // The 1st batch is in the file (and the 2nd, after-write); the rest never reached it.
      const written = (await countsOf(file)).size;
      assert.ok(written > 0 && written < COUNT, `${written} entries in the file after the crash`);
      const resumed = await child(env);
      assert.equal(resumed.code, 0, resumed.stderr);
      assertEachOnce(await countsOf(file));
    });
  }
});
