/**
 * streamThroughCommand: items through an external command as lines or JSON lines, with backpressure,
 * errors that name the command, exit code and stderr, and abort or early stop killing the command.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { realpath } from "node:fs/promises";
import { tmpdir } from "node:os";
import {
  ProcessStageError,
  ProcessStreamFormatError,
  streamThroughCommand,
} from "../engine/kernel/process_stream.ts";

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** Yields `items`, then waits forever without holding a timer (a source that has not ended yet). */
async function* thenHang<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
  await new Promise(() => {});
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new assert.AssertionError({ message: "expected a rejection" });
}

describe("streamThroughCommand", () => {
  test("lines round trip through cat, in order", async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} ünïcödé`);
    const out = await collect(
      streamThroughCommand<string, string>(from(lines), { command: ["cat"], format: "lines" }),
    );
    assert.deepEqual(out, lines);
  });

  test("jsonl round trip through cat parses each line", async () => {
    const items = [{ a: 1 }, { b: ["x", null] }, "text", 42];
    const out = await collect(streamThroughCommand(from(items), { command: ["cat"], format: "jsonl" }));
    assert.deepEqual(out, items);
  });

  test("writes wait for the command to read (backpressure): the source never runs far ahead", async () => {
    const total = 50_000;
    const line = "x".repeat(100);
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    async function* source(): AsyncGenerator<string> {
      for (let i = 0; i < total; i++) {
        produced++;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield line;
      }
    }
    for await (
      const _ of streamThroughCommand<string, string>(source(), { command: ["cat"], format: "lines" })
    ) {
      consumed++;
    }
    assert.equal(consumed, total);
    // Pipe buffers and stream high-water marks hold a few thousand 101-byte lines at most; without
    // backpressure the synchronous writes would queue all 50,000 before the first line is read.
    assert.ok(maxAhead < 10_000, `the source ran ${maxAhead} lines ahead`);
  });

  test("a failing command throws ProcessStageError naming it, its exit code and its last stderr lines", async () => {
    const command = ["sh", "-c", "echo out; echo boom >&2; exit 3"];
    const seen: string[] = [];
    const e = await rejection((async () => {
      for await (const l of streamThroughCommand<string, string>(from([]), { command, format: "lines" })) {
        seen.push(l);
      }
    })());
    assert.deepEqual(seen, ["out"], "what it printed before failing is still yielded");
    assert.ok(e instanceof ProcessStageError, String(e));
    assert.equal(e.exitCode, 3);
    assert.deepEqual(e.stderrTail, ["boom"]);
    assert.match(e.message, /command sh -c 'echo out; echo boom >&2; exit 3' exited with code 3: boom/);
  });

  test("a command that cannot start throws ProcessStageError with a hint", async () => {
    const e = await rejection(
      collect(streamThroughCommand(from(["a"]), { command: ["sluice-no-such-program"], format: "lines" })),
    );
    assert.ok(e instanceof ProcessStageError, String(e));
    assert.equal(e.exitCode, 127);
    assert.match(e.message, /sluice-no-such-program could not start/);
    assert.match(e.hint ?? "", /PATH/);
  });

  test("a missing working directory throws ProcessStageError saying the command could not start", async () => {
    const e = await rejection(
      collect(
        streamThroughCommand(from(["a"]), { command: ["cat"], format: "lines", cwd: "/sluice/no/such/dir" }),
      ),
    );
    assert.ok(e instanceof ProcessStageError, String(e));
    assert.match(e.message, /command cat could not start \(ENOENT/);
  });

  test("an output line that is not JSON fails with its line number", async () => {
    const command = ["sh", "-c", `echo '{"ok":1}'; echo 'not json'`];
    const e = await rejection(collect(streamThroughCommand(from([]), { command, format: "jsonl" })));
    assert.ok(e instanceof ProcessStreamFormatError, String(e));
    assert.match(e.message, /output line 2 of command sh -c .* is not valid JSON .*"not json"/);
  });

  test("a bad JSON line from an endless command stops it instead of waiting for it to exit", async () => {
    const e = await rejection(
      collect(streamThroughCommand(from([]), { command: ["yes", "{"], format: "jsonl" })),
    );
    assert.ok(e instanceof ProcessStreamFormatError, String(e));
    assert.match(e.message, /output line 1 /);
  });

  test("an input line with a line break is refused instead of being split", async () => {
    const e = await rejection(
      collect(streamThroughCommand(from(["a\nb"]), { command: ["cat"], format: "lines" })),
    );
    assert.ok(e instanceof ProcessStreamFormatError, String(e));
    assert.match(e.message, /input item 1 .* contains a line break/);
  });

  test("abort kills the command and its children and throws the reason", async () => {
    const ac = new AbortController();
    const out: string[] = [];
    const command = ["sh", "-c", "cat; sleep 30"];
    const e = await rejection((async () => {
      const stream = streamThroughCommand<string, string>(thenHang(["first"]), {
        command,
        format: "lines",
        signal: ac.signal,
      });
      for await (const l of stream) {
        out.push(l);
        ac.abort(new Error("enough"));
      }
    })());
    assert.deepEqual(out, ["first"]);
    assert.equal(e.message, "enough");
  });

  test("an error in the items stops the command and is what the iteration throws", async () => {
    async function* failing(): AsyncGenerator<string> {
      yield "one";
      throw new Error("source broke");
    }
    const e = await rejection(
      collect(streamThroughCommand(failing(), { command: ["cat"], format: "lines" })),
    );
    assert.equal(e.message, "source broke");
  });

  test("stopping early kills an endless command", async () => {
    const out: string[] = [];
    for await (
      const l of streamThroughCommand<string, string>(from([]), { command: ["yes", "y"], format: "lines" })
    ) {
      out.push(l);
      if (out.length === 3) break;
    }
    assert.deepEqual(out, ["y", "y", "y"]);
  });

  test("cwd and env reach the command", async () => {
    const dir = await realpath(tmpdir());
    const out = await collect(
      streamThroughCommand<string, string>(from([]), {
        command: ["sh", "-c", 'echo "$SLUICE_TEST_VAR"; pwd -P'],
        format: "lines",
        cwd: dir,
        env: { SLUICE_TEST_VAR: "from env" },
      }),
    );
    assert.deepEqual(out, ["from env", dir]);
  });
});
