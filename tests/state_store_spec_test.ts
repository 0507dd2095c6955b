/**
 * Opening a store from a spec: every spec form `openStore` accepts, bad specs, the back-off option, and
 * `kv:` where Deno KV is missing.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, parseStoreSpec, type StateStoreError } from "../engine/state/mod.ts";
import { kvSupport } from "../engine/runtime/kv.ts";
import { FeedStateBook } from "../stages/feed_state.ts";
import { at, FEED, T0 } from "./support/state_store_fixtures.ts";

let root = "";
before(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-state-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

const kv = kvSupport();

describe("openStore specs", () => {
  test("parseStoreSpec resolves every form", () => {
    const table: Array<[Parameters<typeof parseStoreSpec>[0], { kind: string; path: string }]> = [
      ["/var/lib/sluice", { kind: "sqlite", path: join("/var/lib/sluice", "state.db") }],
      ["./state", { kind: "sqlite", path: join("./state", "state.db") }],
      ["/data/feeds.db", { kind: "sqlite", path: "/data/feeds.db" }],
      ["sqlite:/data/x", { kind: "sqlite", path: join("/data/x", "state.db") }],
      ["kv:", { kind: "kv", path: "" }],
      ["kv:/data/state.kv", { kind: "kv", path: "/data/state.kv" }],
      ["kv:https://api.deno.com/databases/abc/connect", {
        kind: "kv",
        path: "https://api.deno.com/databases/abc/connect",
      }],
      ["memory:", { kind: "memory", path: "" }],
      [{ kind: "memory" }, { kind: "memory", path: "" }],
      [{ kind: "sqlite", path: "/s" }, { kind: "sqlite", path: join("/s", "state.db") }],
      [{ kind: "kv" }, { kind: "kv", path: "" }],
    ];
    for (const [spec, want] of table) assert.deepEqual(parseStoreSpec(spec), want, JSON.stringify(spec));
  });

  test("bad specs are E_STATE_SPEC with a hint listing the forms", () => {
    for (const spec of ["", "redis://localhost", "sqlite:", { kind: "sqlite" as const }]) {
      assert.throws(() => parseStoreSpec(spec), (e: StateStoreError) => {
        assert.equal(e.code, "E_STATE_SPEC");
        assert.match(e.hint!, /kv:<path>/);
        return true;
      }, JSON.stringify(spec));
    }
  });

  test("the back-off policy is configurable", async () => {
    const store = await openStore("memory:");
    const book = new FeedStateBook(store, { backoff: { freeFailures: 0, baseMs: 1000, maxMs: 5000 } });
    const s = await book.recordFailure(FEED, "x", T0);
    assert.equal(s.nextAttemptAfter, at(1000).toISOString());
    await store.close();
  });

  test("kv: without Deno KV says why and what to do", {
    skip: kv.available ? "Deno KV is available" : undefined,
  }, async () => {
    await assert.rejects(openStore(`kv:${join(root, "nokv", "state.kv")}`), (e: StateStoreError) => {
      assert.equal(e.code, "E_STATE_KV_UNAVAILABLE");
      assert.ok(e.hint && e.hint.length > 0);
      return true;
    });
  });
});
