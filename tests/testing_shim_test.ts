import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import net from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, beforeEach, describe, test } from "./support/testing.ts";
import { trackHandles } from "./support/handle_tracker.ts";
import { runtime } from "../engine/runtime/mod.ts";

const log: string[] = [];

describe("the test API", () => {
  before(() => void log.push("before"));
  after(() => void log.push("after"));
  beforeEach(() => void log.push("beforeEach"));
  afterEach(() => void log.push("afterEach"));

  test("runs a test between the hooks", () => void log.push("first"));

  describe("nested", () => {
    beforeEach(() => void log.push("inner beforeEach"));
    test("runs the outer hooks around the inner ones", () => void log.push("second"));
    test("skips a test with { skip }", { skip: "skipped on purpose" }, () => void log.push("skipped ran"));
  });

  test("gives the body a context that can skip", (t) => {
    assert.equal(typeof t.skip, "function");
    log.push("third");
  });
});

test("hooks ran once per suite and around each test, in order; skipped bodies never ran", () => {
  assert.deepEqual(log, [
    "before",
    "beforeEach",
    "first",
    "afterEach",
    "beforeEach",
    "inner beforeEach",
    "second",
    "afterEach",
    "beforeEach",
    "third",
    "afterEach",
    "after",
  ]);
});

const notDeno = runtime.name === "deno" ? false : "the handle tracker backs the shim only under deno test";

describe("the handle tracker", { skip: notDeno }, () => {
  test("reports a node:net server until it is closed", async () => {
    const handles = trackHandles();
    const mark = handles.mark();
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const open = handles.openIn([[mark, Infinity]]);
    assert.equal(open.length, 1);
    assert.match(open[0], /node:net server \(127\.0\.0\.1:\d+\) opened at .*testing_shim_test\.ts:\d+:\d+/);
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual(handles.openIn([[mark, Infinity]]), []);
  });

  test("reports client and accepted sockets until they are destroyed", async () => {
    const handles = trackHandles();
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const mark = handles.mark();
    const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    await new Promise((resolve) => client.once("connect", resolve));
    assert.ok(handles.openIn([[mark, Infinity]]).some((h) => h.includes("client socket")));
    await new Promise((resolve) => client.once("close", resolve)); // the server ends it
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual(handles.openIn([[mark, Infinity]]), []);
  });

  test("reports a Worker until it is terminated, and only within the asked range", () => {
    const handles = trackHandles();
    const mark = handles.mark();
    const worker = new Worker("data:text/javascript,", { type: "module" });
    assert.match(
      handles.openIn([[mark, Infinity]]).join(),
      /a Worker \(data:text\/javascript,\) started at /,
    );
    assert.deepEqual(handles.openIn([[0, mark]]), []);
    worker.terminate();
    assert.deepEqual(handles.openIn([[mark, Infinity]]), []);
  });
});

describe("deno test with the shim", { skip: notDeno }, () => {
  test("fails the suites that leak a timer, a server or a worker, and passes the clean one", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/shim/leaky_suites.ts", import.meta.url));
    const output = await new Promise<string>((resolve) => {
      const options = { timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } };
      execFile(
        process.execPath,
        ["test", "-A", "--no-check", fixture],
        options,
        (_e, out, err) => resolve(out + err),
      );
    });
    assert.match(output, /^leaks a timer \.\.\. FAILED/m);
    assert.match(output, /A timer was started in this test, but never completed/);
    assert.match(output, /^leaks a server opened in before \.\.\. FAILED/m);
    assert.match(
      output,
      /a node:net server \(127\.0\.0\.1:\d+\) opened at .*leaky_suites\.ts:\d+:\d+ is still listening/,
    );
    assert.match(output, /^leaks a worker \.\.\. FAILED/m);
    assert.match(
      output,
      /a Worker \(data:text\/javascript,\) started at .*leaky_suites\.ts:\d+:\d+ was never terminated/,
    );
    assert.match(output, /^cleans up \.\.\. ok/m);
    assert.match(output, /FAILED \| 1 passed \(3 steps\) \| 3 failed/);
  });
});
