/**
 * openBucket against a fake key-value manager: a cluster that is still gathering its peers is waited for,
 * a real refusal is reported at once.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import type { KV, Kvm } from "npm:@nats-io/kv@^3.4.0";
import { openBucket } from "../engine/nats/bucket.ts";
import { isClusterForming } from "../engine/nats/cluster_forming.ts";
import { isTransientNatsError } from "../engine/nats/transient.ts";

/** A manager whose `create` fails with `failures` in turn, then gives a bucket. */
function fakeKvm(failures: string[]): { kvm: Kvm; bucket: KV; calls: () => number } {
  let calls = 0;
  const bucket = { name: "b" } as unknown as KV;
  const kvm = {
    create: () => {
      const failure = failures[calls++];
      return failure === undefined ? Promise.resolve(bucket) : Promise.reject(new Error(failure));
    },
    open: () => Promise.resolve(bucket),
  } as unknown as Kvm;
  return { kvm, bucket, calls: () => calls };
}

describe("openBucket", () => {
  test("retries while a three-copy bucket finds no suitable peers (the cluster still forming)", async () => {
    const { kvm, bucket, calls } = fakeKvm([
      "no suitable peers for placement",
      "JetStream system temporarily unavailable",
    ]);
    const kv = await openBucket(kvm, "b", { replicas: 3 });
    assert.equal(kv, bucket);
    assert.equal(calls(), 3);
  });

  test("a refusal that is not the cluster forming fails at once", async () => {
    const { kvm, calls } = fakeKvm(["insufficient resources"]);
    await assert.rejects(openBucket(kvm, "b", { replicas: 3 }), /insufficient resources/);
    assert.equal(calls(), 1);
  });

  test("isClusterForming tells the forming cluster's answers from the others", () => {
    for (const m of ["no suitable peers for placement", "timeout", "no responders", "503", "no leader"]) {
      assert.equal(isClusterForming(new Error(m)), true, m);
    }
    for (const m of ["stream name already in use", "insufficient resources", "bad request"]) {
      assert.equal(isClusterForming(new Error(m)), false, m);
    }
  });

  test("start-up and a running job call the same failures passing (one classification, two policies)", () => {
    const messages = [
      "no suitable peers for placement",
      "timeout",
      "request timed out",
      "no responders",
      "no leader",
      "503",
      "connection closed",
      "jetstream is not enabled",
      "stream name already in use",
      "insufficient resources",
      "consumer not found",
    ];
    for (const m of messages) {
      assert.equal(isClusterForming(new Error(m)), isTransientNatsError(new Error(m)), m);
    }
    assert.equal(isTransientNatsError(new Error("consumer not found")), false);
  });
});
