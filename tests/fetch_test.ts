/**
 * ConditionalFetcher against a real local HTTP server: conditional GET, compression, redirects, timeouts,
 * size limit, retries and per-host limits.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { ConditionalFetcher, DEFAULT_FETCH_OPTIONS } from "../lib/feed/mod.ts";
import { FetchError } from "../lib/http/mod.ts";
import { type Route, startServer, type TestServer } from "./support/http_server.ts";

const FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'.repeat(20);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const ref = (url: string) => ({ url, folder: "News" });
/** A fetcher that retries quickly, so failure tests stay fast. */
const quick = (opts: ConstructorParameters<typeof ConditionalFetcher>[0] = {}) =>
  new ConditionalFetcher({ retryBaseDelayMs: 1, retryMaxDelayMs: 5, ...opts });

async function rejectsWith(p: Promise<unknown>, code: string): Promise<FetchError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FetchError, `expected FetchError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

let server: TestServer;
let other: TestServer;
/** Responses held open by tests that never answer; ended in after() so no socket leaks. */
const stalled: http.ServerResponse[] = [];

before(async () => {
  server = await startServer({
    "/feed.xml": (req, res) => {
      if (req.headers["if-none-match"] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
      res.writeHead(200, {
        "content-type": "application/rss+xml",
        etag: '"v1"',
        "last-modified": "Wed, 21 Oct 2015 07:28:00 GMT",
      }).end(FEED);
    },
    "/gzip": (_req, res) => void res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync(FEED)),
    "/br": (_req, res) => void res.writeHead(200, { "content-encoding": "br" }).end(brotliCompressSync(FEED)),
    "/deflate": (_req, res) =>
      void res.writeHead(200, { "content-encoding": "deflate" }).end(deflateSync(FEED)),
    "/a": (_req, res) => void res.writeHead(301, { location: "/b" }).end(),
    "/b": (_req, res) => void res.writeHead(302, { location: "feed.xml" }).end(),
    "/loop1": (_req, res) => void res.writeHead(302, { location: "/loop2" }).end(),
    "/loop2": (_req, res) => void res.writeHead(307, { location: "/loop1" }).end(),
    "/to-file": (_req, res) => void res.writeHead(302, { location: "file:///etc/passwd" }).end(),
    "/silent": (_req, res) => void stalled.push(res),
    "/stalls-mid-body": (_req, res) => {
      res.writeHead(200, { "content-type": "application/rss+xml" });
      res.write("<rss>");
      stalled.push(res);
    },
    "/trickle": (_req, res) => {
      // One byte at a time, never idle long enough for a per-attempt timeout to call it stalled.
      res.writeHead(200, { "content-type": "application/rss+xml" });
      const timer = setInterval(() => res.write(" "), 20);
      res.on("close", () => clearInterval(timer));
      stalled.push(res);
    },
    "/big": (_req, res) => void res.writeHead(200, { "content-length": "5000" }).end("x".repeat(5000)),
    "/endless": (_req, res) => {
      // Chunked, no Content-Length: only reading the stream can notice the size.
      res.writeHead(200);
      const chunk = "y".repeat(4096);
      const pump = () => {
        while (res.write(chunk));
      };
      res.on("drain", pump);
      pump();
      stalled.push(res);
    },
    "/flaky": (_req, res, s) => {
      if (s.hits("/flaky") < 3) return void res.writeHead(503).end("busy");
      res.writeHead(200).end(FEED);
    },
    "/retry-after": (_req, res, s) => {
      if (s.hits("/retry-after") === 1) return void res.writeHead(429, { "retry-after": "0" }).end();
      res.writeHead(200).end(FEED);
    },
    "/retry-after-long": (_req, res, s) => {
      if (s.hits("/retry-after-long") === 1) return void res.writeHead(503, { "retry-after": "3600" }).end();
      res.writeHead(200).end(FEED);
    },
    "/gone": (_req, res) => void res.writeHead(404).end("no"),
    "/private": (req, res) => {
      const ok = req.headers.authorization === `Basic ${btoa("bob:s3cret")}`;
      res.writeHead(ok ? 200 : 401).end(ok ? FEED : "who?");
    },
  });
  other = await startServer({ "/ping": (_req, res) => void res.end("pong") });
});

after(async () => {
  for (const res of stalled) res.destroy();
  await server.close();
  await other.close();
});

describe("ConditionalFetcher", () => {
  test("200 returns body and validators; the next fetch sends them and a 304 costs one request", async () => {
    const fetcher = quick();
    const first = await fetcher.fetchFeed(ref(server.url("/feed.xml")), {});
    assert.equal(first.status, 200);
    assert.equal(first.notModified, false);
    assert.equal(text(first.body), FEED);
    assert.equal(first.body.byteLength, first.body.buffer.byteLength, "owns its buffer (transferable)");
    assert.equal(first.contentType, "application/rss+xml");
    assert.equal(first.etag, '"v1"');
    assert.equal(first.lastModified, "Wed, 21 Oct 2015 07:28:00 GMT");
    assert.equal(first.finalUrl, server.url("/feed.xml"));

    const before = server.hits("/feed.xml");
    const second = await fetcher.fetchFeed(ref(server.url("/feed.xml")), {
      etag: first.etag,
      lastModified: first.lastModified,
    });
    assert.equal(server.hits("/feed.xml"), before + 1);
    assert.equal(second.status, 304);
    assert.equal(second.notModified, true);
    assert.equal(second.body.byteLength, 0);
    assert.equal(second.etag, '"v1"');
    assert.equal(second.lastModified, "Wed, 21 Oct 2015 07:28:00 GMT", "kept from the validators sent");
    const sent = server.requests.at(-1)!.headers;
    assert.equal(sent["if-none-match"], '"v1"');
    assert.equal(sent["if-modified-since"], "Wed, 21 Oct 2015 07:28:00 GMT");
    assert.equal(sent["user-agent"], "sluice/0.1 (+https://github.com/sluice/sluice)");
    assert.match(String(sent["accept-encoding"]), /gzip.*br.*deflate/);
  });

  for (const encoding of ["gzip", "br", "deflate"]) {
    test(`a ${encoding} body arrives decoded`, async () => {
      const got = await quick().fetchFeed(ref(server.url(`/${encoding}`)), {});
      assert.equal(text(got.body), FEED);
    });
  }

  test("redirects are followed and finalUrl is where the feed was", async () => {
    const got = await quick().fetchFeed(ref(server.url("/a")), {});
    assert.equal(got.finalUrl, server.url("/feed.xml"));
    assert.equal(text(got.body), FEED);
  });

  test("a redirect loop is stopped and the error names the chain", async () => {
    const before = server.hits();
    const e = await rejectsWith(quick().fetchFeed(ref(server.url("/loop1")), {}), "E_FETCH_REDIRECTS");
    assert.match(e.message, /redirect loop: .*\/loop1 -> .*\/loop2 -> .*\/loop1/);
    assert.equal(server.hits() - before, 2, "each URL of the loop requested once, no retries");
  });

  test("more redirects than maxRedirects is an error naming the limit", async () => {
    const e = await rejectsWith(
      quick({ maxRedirects: 1 }).fetchFeed(ref(server.url("/a")), {}),
      "E_FETCH_REDIRECTS",
    );
    assert.match(e.message, /too many redirects \(more than 1\): .*\/a -> .*\/b -> .*\/feed\.xml/);
    assert.match(e.hint!, /maxRedirects/);
  });

  test("a redirect to a file: URL is refused", async () => {
    const e = await rejectsWith(quick().fetchFeed(ref(server.url("/to-file")), {}), "E_FETCH_REDIRECTS");
    assert.match(e.message, /non-http URL/);
  });

  test("only http and https URLs are fetched", async () => {
    const e = await rejectsWith(quick().fetchFeed(ref("file:///etc/passwd"), {}), "E_FETCH_URL");
    assert.match(e.message, /file:/);
    await rejectsWith(quick().fetchFeed(ref("not a url"), {}), "E_FETCH_URL");
  });

  test("a server that never answers times out after connectTimeoutMs", async () => {
    const fetcher = quick({ connectTimeoutMs: 100, retries: 0 });
    const e = await rejectsWith(fetcher.fetchFeed(ref(server.url("/silent")), {}), "E_FETCH_TIMEOUT");
    assert.match(e.message, /\/silent failed: timeout after 0\.1 s/);
    assert.match(e.hint!, /connectTimeoutMs/);
  });

  test("a body that stalls times out after timeoutMs", async () => {
    const fetcher = quick({ timeoutMs: 150, retries: 0 });
    const e = await rejectsWith(
      fetcher.fetchFeed(ref(server.url("/stalls-mid-body")), {}),
      "E_FETCH_TIMEOUT",
    );
    assert.match(e.message, /timeout after 0\.15 s: response not complete/);
  });

  test("a feed that trickles is cut off by the per-feed deadline, retries and waits included", async () => {
    const fetcher = quick({ timeoutMs: 300, retries: 3, deadlineMs: 500 });
    const e = await rejectsWith(fetcher.fetchFeed(ref(server.url("/trickle")), {}), "E_FETCH_DEADLINE");
    assert.match(
      e.message,
      /\/trickle failed: gave up after 0\.5 s in all \(\d attempts?\): the server is too slow/,
    );
    assert.match(e.hint!, /`deadline` \(`deadlineMs`\)/);
    assert.match(e.hint!, /tried again next run/);
  });

  test("a body over maxBytes is refused by Content-Length, with the limit and how to raise it", async () => {
    const e = await rejectsWith(
      quick({ maxBytes: 1000 }).fetchFeed(ref(server.url("/big")), {}),
      "E_FETCH_TOO_LARGE",
    );
    assert.match(e.message, /\/big failed: response is larger than the 1000 B limit/);
    assert.match(e.hint!, /maxBytes/);
  });

  test("an endless body is cancelled once past maxBytes", async () => {
    const e = await rejectsWith(
      quick({ maxBytes: 64 * 1024 }).fetchFeed(ref(server.url("/endless")), {}),
      "E_FETCH_TOO_LARGE",
    );
    assert.match(e.message, /64 KB limit/);
  });

  test("503 is retried until it succeeds", async () => {
    const got = await quick({ retries: 3 }).fetchFeed(ref(server.url("/flaky")), {});
    assert.equal(text(got.body), FEED);
    assert.equal(server.hits("/flaky"), 3);
  });

  test("Retry-After is honoured instead of the backoff, and capped by maxRetryAfterMs", async () => {
    // A backoff of a minute would time the test out: passing proves Retry-After was used.
    const slowBackoff = { retryBaseDelayMs: 60_000, retryMaxDelayMs: 60_000 };
    const got = await quick(slowBackoff).fetchFeed(ref(server.url("/retry-after")), {});
    assert.equal(got.status, 200);
    assert.equal(server.hits("/retry-after"), 2);
    const capped = await quick({ ...slowBackoff, maxRetryAfterMs: 10 }).fetchFeed(
      ref(server.url("/retry-after-long")),
      {},
    );
    assert.equal(capped.status, 200);
  });

  test("404 is not retried and the error names URL, status and a hint", async () => {
    const e = await rejectsWith(
      quick({ retries: 3 }).fetchFeed(ref(server.url("/gone")), {}),
      "E_FETCH_HTTP",
    );
    assert.equal(server.hits("/gone"), 1);
    assert.equal(e.status, 404);
    assert.match(e.message, new RegExp(`${server.url("/gone")} failed: HTTP 404`));
    assert.ok(e.hint);
  });

  test("connection refused is a network error naming the cause", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const e = await rejectsWith(
      quick({ retries: 0 }).fetchFeed(ref(`http://127.0.0.1:${port}/`), {}),
      "E_FETCH_NETWORK",
    );
    assert.match(e.message, /connection refused/);
  });

  test("credentials in the URL are sent as Basic auth and never appear in errors", async () => {
    const url = server.url("/private").replace("http://", "http://bob:s3cret@");
    const got = await quick().fetchFeed(ref(url), {});
    assert.equal(got.status, 200);
    const e = await rejectsWith(
      quick().fetchFeed(ref(server.url("/gone").replace("http://", "http://bob:s3cret@")), {}),
      "E_FETCH_HTTP",
    );
    assert.doesNotMatch(e.message, /s3cret/);
  });

  test("aborting the caller's signal rejects with its reason, not a FetchError", async () => {
    const controller = new AbortController();
    const pending = quick().fetchFeed(ref(server.url("/silent")), {}, controller.signal);
    await server.waitForHits("/silent", server.hits("/silent") + 1);
    controller.abort(new Error("run cancelled"));
    await assert.rejects(pending, /run cancelled/);
  });

  test("at most perHostConcurrency requests reach one host; other hosts are not held up", async () => {
    const held: http.ServerResponse[] = [];
    let holding = true;
    const host = await startServer({
      "/slow": (_req, res) => {
        if (holding) held.push(res);
        else res.end(FEED);
      },
    });
    try {
      const fetcher = quick({ perHostConcurrency: 2 });
      const all = Array.from({ length: 6 }, () => fetcher.fetchFeed(ref(host.url("/slow")), {}));
      await host.waitForHits("/slow", 2);
      // A full round trip to another host while two are held: had the limit leaked, the other four
      // requests (sent before this one) would have arrived by now.
      const ping = await fetcher.fetchFeed(ref(other.url("/ping")), {});
      assert.equal(text(ping.body), "pong");
      assert.equal(host.hits("/slow"), 2);
      holding = false;
      for (const res of held) res.end(FEED);
      const results = await Promise.all(all);
      assert.equal(results.length, 6);
      assert.equal(host.hits("/slow"), 6);
      assert.equal(host.maxInFlight, 2);
    } finally {
      await host.close();
    }
  });

  test("globalConcurrency bounds requests across hosts", async () => {
    const held: http.ServerResponse[] = [];
    let holding = true;
    const hold: Route = (_req, res) => {
      if (holding) held.push(res);
      else res.end(FEED);
    };
    const hosts = await Promise.all([startServer({ "/f": hold }), startServer({ "/f": hold })]);
    try {
      const fetcher = quick({ perHostConcurrency: 4, globalConcurrency: 3 });
      const all = hosts.flatMap((h) =>
        Array.from({ length: 4 }, () => fetcher.fetchFeed(ref(h.url("/f")), {}))
      );
      await Promise.race(hosts.map((h) => h.waitFor(() => held.length === 3)));
      const ping = await quick().fetchFeed(ref(other.url("/ping")), {});
      assert.equal(ping.status, 200);
      assert.equal(hosts[0].hits() + hosts[1].hits(), 3);
      holding = false;
      for (const res of held) res.end(FEED);
      assert.equal((await Promise.all(all)).length, 8);
      assert.equal(hosts[0].hits() + hosts[1].hits(), 8);
    } finally {
      await Promise.all(hosts.map((h) => h.close()));
    }
  });

  test("defaults are the documented ones", () => {
    assert.equal(DEFAULT_FETCH_OPTIONS.maxBytes, 10 * 1024 * 1024);
    assert.equal(DEFAULT_FETCH_OPTIONS.maxRedirects, 5);
    assert.equal(DEFAULT_FETCH_OPTIONS.perHostConcurrency, 32);
    assert.equal(DEFAULT_FETCH_OPTIONS.globalConcurrency, 64);
    assert.equal(new ConditionalFetcher({ retries: 1 }).options.timeoutMs, 30_000);
    assert.equal(new ConditionalFetcher({ retries: 1 }).options.deadlineMs, 60_000);
  });
});
