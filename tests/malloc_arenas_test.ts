/**
 * The C allocator's arenas (`engine/runtime/malloc_arenas.ts`): under Deno on Linux with FFI granted the
 * CLI's cap leaves threads started after it sharing arenas; without the FFI permission nothing changes and
 * nothing is asked; Bun, whose allocator is not glibc's, has no cap.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../engine/runtime/mod.ts";

const MAIN = fileURLToPath(new URL("./fixtures/malloc_arenas_main.ts", import.meta.url));
const denoOnLinux = runtime.name === "deno" && process.platform === "linux";

/** Runs the fixture with `cap` under this runtime (`command`: other than all permissions), reads its line. */
function runFixture(cap: number, command = runtime.scriptCommand(MAIN)) {
  const [cmd, ...args] = command;
  return new Promise<{ capped: boolean | null; arenas: number }>((resolve, reject) => {
    execFile(cmd, [...args, String(cap)], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      const { capped } = JSON.parse(stdout.trim().split("\n").pop()!);
      resolve({ capped, arenas: stderr.match(/^Arena \d+:/gm)?.length ?? 0 });
    });
  });
}

describe("malloc arenas", () => {
  test("capped at 2, threads started after the cap share arenas (Deno); Bun has no cap", async () => {
    const free = await runFixture(0);
    const capped = await runFixture(2);
    if (!denoOnLinux) {
      assert.equal(runtime.limitMallocArenas, undefined);
      return assert.equal(capped.capped, null);
    }
    assert.equal(capped.capped, true);
    // Six workers with an arena each when free; with the cap they share the ones that existed before.
    assert.ok(free.arenas >= 6, `${free.arenas} arenas without the cap`);
    assert.ok(capped.arenas < free.arenas, `${capped.arenas} arenas capped, ${free.arenas} without the cap`);
  });

  test(
    "without the FFI permission the cap is not taken, and nothing is asked",
    { skip: !denoOnLinux },
    async () => {
      const [deno] = runtime.scriptCommand(MAIN);
      // No -A: read for the modules and the workers, nothing else; a prompt would need a terminal and fail.
      const seen = await runFixture(2, [deno, "run", "--allow-read", "--no-prompt", MAIN]);
      assert.equal(seen.capped, false);
      assert.equal(seen.arenas, 0); // malloc_stats needs FFI too: glibc was never reached
    },
  );
});
