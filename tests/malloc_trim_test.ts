import { describe, test } from "./support/testing.ts";
import process from "node:process";
import assert from "node:assert/strict";
import { mallocTrimmer, openMallocTrim } from "../engine/runtime/malloc_trim.ts";
import { runtime } from "../engine/runtime/mod.ts";

describe("malloc_trim (Deno's C allocator hands freed memory back)", () => {
  test("under Deno on Linux with FFI granted it trims on another thread; elsewhere there is none", async () => {
    const trim = openMallocTrim();
    const canTrim = runtime.name === "deno" && process.platform === "linux";
    assert.equal(typeof trim === "function", canTrim);
    if (!trim) return;
    // Freed buffers of several sizes, then a trim: glibc says 1 when it released memory, 0 when none.
    let held: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) held.push(new Uint8Array(64 * 1024 + i * 512));
    held = [];
    assert.ok([0, 1].includes(await trim()));
    assert.equal(held.length, 0);
  });

  test("the trimmer never runs two trims at once: a call while one runs gets that one", async () => {
    const trimmer = mallocTrimmer();
    assert.equal(typeof trimmer === "function", runtime.name === "deno" && process.platform === "linux");
    if (!trimmer) return;
    const first = trimmer();
    assert.equal(trimmer(), first);
    await first;
    assert.notEqual(trimmer(), first);
    await trimmer();
  });
});
