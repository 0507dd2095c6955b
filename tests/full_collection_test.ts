/**
 * The full collection a run asks for while its memory is high (`runtime.collectNow`): under Bun it marks the
 * whole heap before it returns (an object nothing reaches is gone), and leaves the sweep to
 * JavaScriptCore's incremental sweeper instead of sweeping every block in the loop's turn (`bun:jsc`'s
 * `fullGC` rather than `Bun.gc(true)`). Deno has none.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { runtime } from "../engine/runtime/mod.ts";

describe("full collection", () => {
  test("under Bun an object nothing reaches is collected by the time collectNow returns", async () => {
    if (runtime.name !== "bun") return assert.equal(runtime.collectNow, undefined);
    assert.equal(typeof runtime.collectNow, "function");
    const made = () => new WeakRef({ payload: new Array(1000).fill("x") });
    const refs = Array.from({ length: 20 }, made);
    // A WeakRef keeps its target alive until the end of the job that made or read it: let that end first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    runtime.collectNow!();
    // Conservative stack scanning may keep one or two alive; a collection that did not mark keeps all.
    const alive = refs.filter((ref) => ref.deref() !== undefined).length;
    assert.ok(alive < refs.length / 2, `${alive} of ${refs.length} still alive`);
  });
});
