/**
 * The cluster's claims on a real nats-server: a lease is taken by one holder at a time, renewed by its
 * holder only, and free again once released or expired (the bucket's max age); a scheduled tick is
 * claimed by exactly one of the processes that try.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { Kvm } from "npm:@nats-io/kv@^3.4.0";
import { type NatsLink, openNats } from "../engine/nats/connection.ts";
import { Lease } from "../engine/cluster/lease.ts";
import { claimTick } from "../engine/cluster/tick_claim.ts";
import { openBucket } from "../engine/nats/bucket.ts";
import { natsSkip, type RunningNats, startNatsServer } from "./support/nats_server.ts";

const skip = natsSkip();
if (skip) console.log(`cluster claims suite skipped: ${skip}`);

describe("cluster claims", { skip }, () => {
  let nats: RunningNats;
  let link: NatsLink;
  before(async () => {
    nats = await startNatsServer();
    link = await openNats(nats.url);
  });
  after(async () => {
    await link?.release();
    await nats?.stop();
  });

  test("a lease has one holder; renewals keep it; release frees it", async () => {
    const kv = await openBucket(new Kvm(link.nc), "claims_leases", { history: 1, ttl: 60_000 });
    const a = await Lease.take(kv, "mailbox.x", "a");
    assert.ok(a);
    assert.equal(await Lease.take(kv, "mailbox.x", "b"), undefined);
    assert.equal(await a.renew(), true);
    assert.equal(await Lease.take(kv, "mailbox.x", "b"), undefined);
    await a.release();
    const b = await Lease.take(kv, "mailbox.x", "b");
    assert.ok(b, "free after release");
    assert.equal(await a.renew(), false, "a released lease is not renewed");
    await b.release();
  });

  test("an expired lease can be taken, and its old holder learns it lost it", async () => {
    // nats-server expires entries by the bucket's max age (checked about once a second).
    const kv = await openBucket(new Kvm(link.nc), "claims_short", { history: 1, ttl: 1_000 });
    const a = await Lease.take(kv, "unit.y", "a");
    assert.ok(a);
    let b: Lease | undefined;
    // Polls the server's expiry (there is no event for it), within a bound: 1 s max age, 30 s at most.
    const deadline = Date.now() + 30_000;
    while (!(b = await Lease.take(kv, "unit.y", "b"))) {
      assert.ok(Date.now() < deadline, "the lease with a 1 s max age had not expired after 30 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await a.renew(), false);
    assert.equal(a.lost, true);
    await b.release();
  });

  test("a tick is claimed once across processes; the next tick is free", async () => {
    const tick = new Date("2026-12-06T20:30:00Z");
    const claims = await Promise.all([1, 2, 3, 4].map((i) => claimTick(nats.url, "rss2imap", tick, `p${i}`)));
    assert.equal(claims.filter(Boolean).length, 1);
    assert.equal(await claimTick(nats.url, "rss2imap", new Date("2026-12-06T21:00:00Z")), true);
    assert.equal(await claimTick(nats.url, "other", tick), true, "per pipeline");
  });
});
