/**
 * Kernel micro-benchmarks: channel throughput (one producer, one consumer) buffered and unbuffered,
 * the cost of a `select` over two ready channels and of one that parks and is woken, and owner calls.
 * Prints figures; asserts nothing except that every value arrived.
 *
 * @example
 * ```sh
 * deno run -A bench/kernel_bench.ts
 * bun bench/kernel_bench.ts
 * ```
 * @module
 */
import { chan, owner, recvCase, select, sendCase } from "../engine/kernel/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";

const ROUNDS = 5;

/** Runs `fn` ROUNDS times after a warm-up and returns the median of its results. */
async function median(fn: () => Promise<number>): Promise<number> {
  await fn();
  const results: number[] = [];
  for (let i = 0; i < ROUNDS; i++) results.push(await fn());
  results.sort((a, b) => a - b);
  return results[Math.floor(ROUNDS / 2)];
}

function check(sum: number, n: number): void {
  if (sum !== (n * (n - 1)) / 2) throw new Error(`lost or duplicated values: sum ${sum}`);
}

/** Messages per second through a channel, `for (...) await send` against `for await` or a recv loop. */
async function channelThroughput(capacity: number, n: number, consumer: "for-await" | "recv") {
  const ch = chan<number>(capacity);
  const start = performance.now();
  const producer = (async () => {
    for (let i = 0; i < n; i++) await ch.send(i);
    ch.close();
  })();
  let sum = 0;
  if (consumer === "for-await") {
    for await (const v of ch) sum += v;
  } else {
    for (;;) {
      const r = await ch.recv();
      if (!r.ok) break;
      sum += r.value!;
    }
  }
  await producer;
  const seconds = (performance.now() - start) / 1000;
  check(sum, n);
  return n / seconds;
}

/** Nanoseconds per select over two channels that always hold a value. */
async function selectReady(n: number) {
  const a = chan<number>(Infinity);
  const b = chan<number>(Infinity);
  for (let i = 0; i < n; i++) {
    a.trySend(1);
    b.trySend(1);
  }
  const cases = [recvCase(a), recvCase(b)];
  let taken = 0;
  const start = performance.now();
  for (let i = 0; i < n; i++) taken += (await select(cases)).value as number;
  const ns = ((performance.now() - start) * 1e6) / n;
  if (taken !== n) throw new Error("select lost values");
  return ns;
}

/** Nanoseconds per select that parks on two rendezvous channels and is woken by a plain send. */
async function selectParked(n: number) {
  const a = chan<number>();
  const b = chan<number>();
  const cases = [recvCase(a), recvCase(b)];
  const start = performance.now();
  const consumer = (async () => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (await select(cases)).value as number;
    return sum;
  })();
  for (let i = 0; i < n; i++) await (i & 1 ? a : b).send(i);
  check(await consumer, n);
  return ((performance.now() - start) * 1e6) / n;
}

/** Nanoseconds per select mixing a ready send case and a ready receive case. */
async function selectMixed(n: number) {
  const inbox = chan<number>(Infinity);
  const outbox = chan<number>(Infinity);
  for (let i = 0; i < n; i++) inbox.trySend(1);
  const cases = [recvCase(inbox), sendCase(outbox, 1)];
  const start = performance.now();
  for (let i = 0; i < n; i++) await select(cases);
  // Each select takes one from inbox or adds one to outbox, never both: n - taken === sent.
  if (inbox.length !== outbox.length) throw new Error("mixed select lost or duplicated values");
  return ((performance.now() - start) * 1e6) / n;
}

/** Owner calls per second with 100 concurrent callers (each call serialised by the owner). */
async function ownerCalls(n: number) {
  const o = owner({
    name: "bench",
    open: () => Promise.resolve({ count: 0 }),
    actions: { inc: (r: { count: number }, by: number) => Promise.resolve(r.count += by) },
  });
  const start = performance.now();
  const callers = Array.from({ length: 100 }, async () => {
    for (let i = 0; i < n / 100; i++) await o.call.inc(1);
  });
  await Promise.all(callers);
  const seconds = (performance.now() - start) / 1000;
  await o.close();
  return n / seconds;
}

const fmt = (v: number) => Math.round(v).toLocaleString("en-US");

console.log(`sluice kernel bench on ${runtime.name} (${runtime.cpuCount} cores), median of ${ROUNDS}`);
const benches: [string, () => Promise<number>, string][] = [
  ["chan(1024) send -> for await", () => channelThroughput(1024, 2_000_000, "for-await"), "msgs/s"],
  ["chan(1024) send -> recv loop", () => channelThroughput(1024, 2_000_000, "recv"), "msgs/s"],
  ["chan(0) send -> for await", () => channelThroughput(0, 1_000_000, "for-await"), "msgs/s"],
  ["chan(0) send -> recv loop", () => channelThroughput(0, 1_000_000, "recv"), "msgs/s"],
  ["select, 2 ready recv cases", () => selectReady(1_000_000), "ns/select"],
  ["select, ready recv + ready send", () => selectMixed(1_000_000), "ns/select"],
  ["select, parks on 2 chan(0), woken", () => selectParked(500_000), "ns/select"],
  ["owner calls, 100 callers", () => ownerCalls(200_000), "calls/s"],
];
const width = Math.max(...benches.map(([name]) => name.length));
for (const [name, fn, unit] of benches) {
  console.log(`  ${name.padEnd(width)}  ${fmt(await median(fn)).padStart(12)} ${unit}`);
}
