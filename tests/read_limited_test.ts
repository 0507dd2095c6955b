/**
 * readLimited against a real local HTTP server: bodies of every shape (Content-Length, chunked, gzip that
 * grows past the first buffer, empty) come back whole and in a buffer of their own; one byte over the
 * limit is refused.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { BodyTooLargeError, readLimited } from "../lib/http/read_limited.ts";
import { startServer, type TestServer } from "./support/http_server.ts";

/** Deterministic bytes that do not compress to nothing. */
function bytesOf(size: number, seed = 7): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = 97 + ((x >>> 16) % 26);
  }
  return out;
}

const SMALL = bytesOf(1000);
const LARGE = bytesOf(300_000); // several times the 64 KB first buffer of a compressed body
let server: TestServer;

before(async () => {
  server = await startServer({
    "/length": (_req, res) => void res.writeHead(200, { "content-length": SMALL.length }).end(SMALL),
    "/chunked": (_req, res) => {
      res.writeHead(200);
      for (let at = 0; at < LARGE.length; at += 10_000) res.write(LARGE.subarray(at, at + 10_000));
      res.end();
    },
    "/gzip": (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync(LARGE));
    },
    "/empty": (_req, res) => void res.writeHead(200, { "content-length": 0 }).end(),
  });
});
after(() => server.close());

describe("readLimited", () => {
  for (const path of ["/length", "/chunked", "/gzip"]) {
    test(`returns the whole body (${path}) in a buffer of its own`, async () => {
      const bytes = await readLimited(await fetch(server.url(path)), 1_000_000);
      const expected = path === "/length" ? SMALL : LARGE;
      assert.equal(bytes.byteLength, expected.byteLength);
      assert.deepEqual(bytes, expected);
      assert.equal(bytes.byteOffset, 0);
      assert.equal(bytes.buffer.byteLength, bytes.byteLength);
    });
  }

  test("an empty body gives zero bytes", async () => {
    assert.equal((await readLimited(await fetch(server.url("/empty")), 10)).byteLength, 0);
  });

  test("a body of exactly the limit passes; one byte over is refused", async () => {
    assert.equal(
      (await readLimited(await fetch(server.url("/chunked")), LARGE.length)).byteLength,
      LARGE.length,
    );
    await assert.rejects(
      readLimited(await fetch(server.url("/chunked")), LARGE.length - 1),
      BodyTooLargeError,
    );
    await assert.rejects(readLimited(await fetch(server.url("/gzip")), LARGE.length - 1), BodyTooLargeError);
  });

  test("Content-Length over the limit is refused before reading", async () => {
    await assert.rejects(readLimited(await fetch(server.url("/length")), 999), /larger than 999 B/);
  });
});
