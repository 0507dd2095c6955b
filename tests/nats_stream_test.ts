/**
 * ensureStream and ensureConsumer against a fake JetStream manager: created only when the server says
 * "not found", retried while the cluster forms, any other failure reported rather than taken for a missing
 * stream.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import type { JetStreamManager } from "npm:@nats-io/jetstream@^3.4.0";
import { ensureConsumer, ensureStream, isNotFound } from "../engine/nats/stream.ts";

/** An error shaped like @nats-io/jetstream's JetStreamApiError: `code` is the API's err_code. */
function apiError(message: string, code: number): Error {
  return Object.assign(new Error(message), { code });
}

/** A manager whose `info` answers with `infoAnswers` in turn (an Error is thrown), recording every `add`. */
function fakeJsm(infoAnswers: Array<Error | "ok">, addFailure?: Error) {
  const calls: string[] = [];
  const answer = (what: string) => {
    calls.push(what);
    const next = infoAnswers.shift() ?? "ok";
    return next === "ok" ? Promise.resolve({}) : Promise.reject(next);
  };
  const add = (what: string) => {
    calls.push(what);
    return addFailure ? Promise.reject(addFailure) : Promise.resolve({});
  };
  const jsm = {
    streams: { info: () => answer("streams.info"), add: () => add("streams.add") },
    consumers: { info: () => answer("consumers.info"), add: () => add("consumers.add") },
  } as unknown as JetStreamManager;
  return { jsm, calls };
}

describe("ensureStream", () => {
  test("creates the stream when the server says it does not exist", async () => {
    const { jsm, calls } = fakeJsm([apiError("stream not found", 10059)]);
    await ensureStream(jsm, { name: "S", subjects: ["s.>"] });
    assert.deepEqual(calls, ["streams.info", "streams.add"]);
  });

  test("a timeout while asking is retried, not taken for a missing stream", async () => {
    const { jsm, calls } = fakeJsm([new Error("timeout"), "ok"]);
    await ensureStream(jsm, { name: "S", subjects: ["s.>"] });
    assert.deepEqual(calls, ["streams.info", "streams.info"]);
  });

  test("a refusal that is neither 'not found' nor the cluster forming is reported at once", async () => {
    const { jsm, calls } = fakeJsm([new Error("authorization violation")]);
    await assert.rejects(ensureStream(jsm, { name: "S" }), /authorization violation/);
    assert.deepEqual(calls, ["streams.info"]);
  });

  test("another process creating it first is success", async () => {
    const { jsm, calls } = fakeJsm(
      [apiError("stream not found", 10059)],
      new Error("stream name already in use with a different configuration"),
    );
    await ensureStream(jsm, { name: "S" });
    assert.deepEqual(calls, ["streams.info", "streams.add"]);
  });
});

describe("ensureConsumer", () => {
  test("creates the consumer only when the server says it does not exist", async () => {
    const missing = fakeJsm([apiError("consumer not found", 10014)]);
    await ensureConsumer(missing.jsm, "S", { durable_name: "c" });
    assert.deepEqual(missing.calls, ["consumers.info", "consumers.add"]);
    const present = fakeJsm(["ok"]);
    await ensureConsumer(present.jsm, "S", { durable_name: "c" });
    assert.deepEqual(present.calls, ["consumers.info"]);
  });
});

describe("isNotFound", () => {
  test("tells JetStream's 'not found' from other failures", () => {
    assert.equal(isNotFound(apiError("stream not found", 10059)), true);
    assert.equal(isNotFound(apiError("consumer not found", 10014)), true);
    assert.equal(isNotFound(new Error("stream not found")), true);
    assert.equal(isNotFound(new Error("timeout")), false);
    assert.equal(isNotFound(apiError("insufficient resources", 10023)), false);
    assert.equal(isNotFound(undefined), false);
  });
});
