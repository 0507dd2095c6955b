/**
 * Resolving feed URLs: the fast path for a link that is already a canonical absolute URL must give exactly
 * what the URL parser gives, for every kind of link that might look like one.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { resolveUrl } from "../lib/feed/urls.ts";

/** What `resolveUrl` returned before its fast path: the URL parser's answer, or the trimmed link. */
function parserAnswer(href: string, base: string): string {
  const trimmed = href.trim();
  try {
    return new URL(trimmed, base).href;
  } catch {
    return trimmed;
  }
}

const cases = [
  "https://a.com/",
  "https://a.com",
  "HTTP://a.com/",
  "https://A.com/",
  "https://a.com:443/",
  "http://a.com:80/x",
  "https://a.com/./x",
  "https://a.com/a/../b",
  "https://a.com/%2e%2e/b",
  "https://a.com/%2E/",
  "http://1.2.3.4/",
  "http://0x7f.1/",
  "http://a.1/",
  "http://xn--nxasmq6b.com/",
  "http://xn--a.com/",
  "https://a.com/a b",
  "https://a.com/a'b?c'd#e'f",
  'https://a.com/a"b',
  "https://a.com/a<b",
  "https://a.com/a`b",
  "https://a.com/{x}",
  "https://a.com/a|b",
  "https://a.com/a^b",
  "https://a.com/a\\b",
  "https://a..com/",
  "https://a.com./",
  "https://-a.com/",
  "https://a-.com/x",
  "https://a.com/?q=1&r=%zz#frag#frag",
  "https://a.com/p@q:r/s!$()*,;+=",
  "https://a.com/.well-known/x",
  "https://a.com/x/.",
  "https://a.com/x/..",
  "https://a.com/%",
  "https://a.com/a%2",
  "https://localhost/",
  "https://a.com/\u00e9",
  "https://a.com/a\tb",
  " https://a.com/ ",
  "https://a.com/~x_y-z",
  "https://a.com/?a=b?c",
  "https://a.com/#a?b",
  "https://a.com//x",
  "https://a.b.c.d.e/x",
  "https://123.com/x",
  "https://a.123/",
  "https://a.com/%7e",
  "https://a.0x1/",
  "https://a.com:/x",
  "http://a.com/a:b",
];
const bases = ["https://bench.example/x", "not a url", "http://b.org/dir/"];

describe("resolveUrl", () => {
  test("relative links resolve against the base", () => {
    assert.equal(resolveUrl("../a.mp3", "https://ex.org/blog/feed.xml"), "https://ex.org/a.mp3");
    assert.equal(resolveUrl(" /x ", "https://ex.org/blog/"), "https://ex.org/x");
    assert.equal(resolveUrl("x y", "not a url"), "x y");
  });

  test("links that look canonical give what the URL parser gives (case, ports, dot segments, IPs, IDN)", () => {
    for (const href of cases) {
      for (const base of bases) {
        assert.equal(resolveUrl(href, base), parserAnswer(href, base), `${href} on ${base}`);
      }
    }
  });

  test("60,000 generated links give what the URL parser gives", () => {
    // A fixed linear congruential sequence: the same links every run.
    let seed = 42;
    const next = (k: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % k;
    };
    const alpha = "abcxyzAZ09-._~/?#=&%+:@!$()*,;2eE'\" <>`{}|^\\\t";
    for (let i = 0; i < 20_000; i++) {
      let host = "";
      const labels = 1 + next(3);
      for (let j = 0; j < labels; j++) host += (j ? "." : "") + "abcx1-0z".slice(next(4), 4 + next(4));
      let path = "/";
      const length = next(12);
      for (let j = 0; j < length; j++) path += alpha[next(alpha.length)];
      const href = `${next(2) ? "https" : "http"}://${host}${path}`;
      for (const base of bases) assert.equal(resolveUrl(href, base), parserAnswer(href, base), href);
    }
  });
});
