/**
 * `serve`: POST bodies become items, 202 once the next stage took the item, 503 with Retry-After while
 * the pipeline is full, 400/404/405 for what is not an item, and a stop that refuses new items while the
 * accepted ones finish.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { pipeline, runPipeline, silentLogger, sink, withOptions } from "../engine/pipeline/mod.ts";
import { serveRequests } from "../stages/serve.ts";

const quiet = { logger: silentLogger, measureLag: false };

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const post = (url: string, body: string) =>
  fetch(url, { method: "POST", body }).then(async (r) => ({
    status: r.status,
    retryAfter: r.headers.get("retry-after"),
    text: await r.text(),
  }));

describe("serve stage", () => {
  test("POST bodies become items (202); bad bodies, paths and methods are answered; stop drains", async () => {
    const listening = deferred<string>();
    const stop = new AbortController();
    const got: unknown[] = [];
    const run = runPipeline(
      pipeline(serveRequests({ port: 0, path: "/hook", onListen: ({ url }) => listening.resolve(url) }))
        .to(sink((item: unknown) => void got.push(item))),
      { ...quiet, stopSignal: stop.signal },
    );
    const url = await listening.promise;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/hook$/);
    for (const n of [1, 2, 3]) assert.equal((await post(url, JSON.stringify({ n }))).status, 202);
    assert.equal((await post(url, "{not json")).status, 400);
    assert.equal((await post(url.replace("/hook", "/other"), "{}")).status, 404);
    const get = await fetch(url);
    await get.body?.cancel();
    assert.equal(get.status, 405);
    stop.abort();
    const summary = await run;
    assert.equal(summary.ok, true);
    assert.deepEqual(got, [{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  test("503 with Retry-After while the pipeline is full; 202 once the item is taken", async () => {
    const listening = deferred<string>();
    const stop = new AbortController();
    const release = deferred();
    const firstTaken = deferred();
    const got: unknown[] = [];
    const blocked = withOptions(
      sink(async (item: unknown) => {
        got.push(item);
        if (got.length === 1) {
          firstTaken.resolve();
          await release.promise;
        }
      }),
      { capacity: 0 },
    );
    const run = runPipeline(
      pipeline(
        serveRequests({ port: 0, queue: 0, format: "text", onListen: ({ url }) => listening.resolve(url) }),
      )
        .to(blocked),
      { ...quiet, stopSignal: stop.signal },
    );
    const url = await listening.promise;
    assert.equal((await post(url, "a")).status, 202); // the sink took it (and now waits)
    await firstTaken.promise;
    // "b" is taken by the source but cannot be passed on; "c" finds the source busy: 503.
    const b = post(url, "b");
    const c = post(url, "c");
    const refused = await Promise.race([b, c]);
    assert.equal(refused.status, 503);
    assert.equal(refused.retryAfter, "1");
    release.resolve();
    const [rb, rc] = await Promise.all([b, c]);
    assert.deepEqual([rb.status, rc.status].sort(), [202, 503]);
    stop.abort();
    assert.equal((await run).ok, true);
    assert.equal(got.length, 2);
  });
});
