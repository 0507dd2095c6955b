/**
 * Feed dates: the formats feeds write, to ISO 8601 UTC; anything unreadable is undefined, never a throw.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { parseFeedDate } from "../lib/feed/dates.ts";
import { parseFeed } from "../lib/feed/mod.ts";

const TABLE: [string, string | undefined][] = [
  // RFC 822 / RFC 2822 (RSS pubDate)
  ["Tue, 10 Jun 2003 04:00:00 GMT", "2003-06-10T04:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 +0000", "2003-06-10T04:00:00.000Z"],
  ["Wed, 02 Oct 2002 13:00:00 +0200", "2002-10-02T11:00:00.000Z"],
  ["Wed, 02 Oct 2002 08:00:00 -05:30", "2002-10-02T13:30:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 EST", "2003-06-10T09:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 EDT", "2003-06-10T08:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 CST", "2003-06-10T10:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 MDT", "2003-06-10T10:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 PST", "2003-06-10T12:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 PDT", "2003-06-10T11:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 UT", "2003-06-10T04:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 CEST", "2003-06-10T02:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 Z", "2003-06-10T04:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 A", "2003-06-10T04:00:00.000Z"], // military: RFC 5322 says treat as UTC
  ["Tue, 10 Jun 2003 04:00:00 XYZT", "2003-06-10T04:00:00.000Z"], // unknown zone: UTC
  ["Tue, 10 Jun 03 04:00:00 GMT", "2003-06-10T04:00:00.000Z"], // 2-digit year
  ["Thu, 10 Jun 99 04:00:00 GMT", "1999-06-10T04:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00 GMT", "2003-06-10T04:00:00.000Z"], // no seconds
  ["10 Jun 2003 04:00:00 GMT", "2003-06-10T04:00:00.000Z"], // no day name
  ["Tuesday, 10 June 2003 04:00:00 GMT", "2003-06-10T04:00:00.000Z"], // full names
  ["Tue,10 Jun 2003 04:00:00 GMT", "2003-06-10T04:00:00.000Z"],
  ["Tue, 10 Jun 2003 04:00:00 -0400 (EDT)", "2003-06-10T08:00:00.000Z"], // trailing comment
  ["Tue, 10 Jun 2003", "2003-06-10T00:00:00.000Z"], // date only
  ["tue, 10 JUN 2003 04:00:00 gmt", "2003-06-10T04:00:00.000Z"],
  ["Tue, 10 Sept 2003 04:00:00 GMT", "2003-09-10T04:00:00.000Z"],
  ["Jun 10 2003 04:00:00 GMT", "2003-06-10T04:00:00.000Z"], // month first
  // ISO 8601 / RFC 3339 (Atom, JSON Feed, dc:date)
  ["2024-05-06T10:00:00Z", "2024-05-06T10:00:00.000Z"],
  ["2024-05-06T10:00:00+02:00", "2024-05-06T08:00:00.000Z"],
  ["2024-05-06T10:00:00-0700", "2024-05-06T17:00:00.000Z"],
  ["2024-05-06T10:00:00.123456Z", "2024-05-06T10:00:00.123Z"],
  ["2024-05-06t10:00:00z", "2024-05-06T10:00:00.000Z"],
  ["2024-05-06 10:00:00", "2024-05-06T10:00:00.000Z"], // no zone: UTC
  ["2024-05-06T10:00", "2024-05-06T10:00:00.000Z"], // no seconds, no zone
  ["20240506T100000Z", "2024-05-06T10:00:00.000Z"], // basic format
  ["2024-05-06T23:59:60Z", "2024-05-06T23:59:59.000Z"], // leap second
  // W3C-DTF partial dates
  ["2024-05-06", "2024-05-06T00:00:00.000Z"],
  ["2024-05", "2024-05-01T00:00:00.000Z"],
  ["2024", "2024-01-01T00:00:00.000Z"],
  ["  2024-05-06T10:00:00Z \n", "2024-05-06T10:00:00.000Z"],
  // not dates
  ["", undefined],
  ["   ", undefined],
  ["yesterday", undefined],
  ["2024-13-01", undefined],
  ["2024-02-30", undefined],
  ["2023-02-29", undefined],
  ["2024-05-06T25:00:00Z", undefined],
  ["31 Apr 2024 10:00:00 GMT", undefined],
  ["Tue, 10 Foo 2003 04:00:00 GMT", undefined],
  ["1715000000", undefined],
];

describe("parseFeedDate", () => {
  for (const [input, expected] of TABLE) {
    test(`${JSON.stringify(input)} -> ${expected ?? "undefined"}`, () => {
      assert.equal(parseFeedDate(input), expected);
    });
  }

  test("29 February exists in leap years only", () => {
    assert.equal(parseFeedDate("2024-02-29"), "2024-02-29T00:00:00.000Z");
    assert.equal(parseFeedDate("2000-02-29"), "2000-02-29T00:00:00.000Z");
    assert.equal(parseFeedDate("1900-02-29"), undefined);
  });

  test("the ISO string written out agrees with Date's toISOString across eras, offsets and edges", () => {
    const reference = (
      y: number,
      mo: number,
      d: number,
      h: number,
      mi: number,
      s: number,
      ms: number,
      off: number,
    ) => new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms) - off * 60_000).toISOString();
    const two = (n: number) => String(n).padStart(2, "0");
    const offsets = [0, 60, -300, 330, 845, -720, 14 * 60, -14 * 60];
    const years = [
      100,
      101,
      399,
      400,
      1599,
      1600,
      1899,
      1900,
      1969,
      1970,
      1999,
      2000,
      2024,
      2100,
      2400,
      9998,
      9999,
    ];
    for (const y of years) {
      for (const [mo, d] of [[1, 1], [2, 28], [3, 1], [12, 31]]) {
        for (const off of offsets) {
          const zone = off === 0
            ? "Z"
            : `${off < 0 ? "-" : "+"}${two(Math.floor(Math.abs(off) / 60))}:${two(Math.abs(off) % 60)}`;
          const text = `${String(y).padStart(4, "0")}-${two(mo)}-${two(d)}T23:59:59.999${zone}`;
          assert.equal(parseFeedDate(text), reference(y, mo, d, 23, 59, 59, 999, off), text);
        }
      }
    }
    // Beyond year 9999 toISOString writes an extended year; the written-out form gives way to it there.
    assert.equal(parseFeedDate("9999-12-31T23:59:59-14:00"), "+010000-01-01T13:59:59.000Z");
    assert.equal(parseFeedDate("0100-01-01T00:00:00+01:00"), "0099-12-31T23:00:00.000Z");
  });

  test("non-strings give undefined", () => {
    assert.equal(parseFeedDate(undefined), undefined);
    assert.equal(parseFeedDate(null), undefined);
    assert.equal(parseFeedDate(42 as unknown as string), undefined);
  });
});

describe("dates in feeds", () => {
  test("an unreadable pubDate leaves published undefined and the entry intact", () => {
    const xml =
      '<rss version="2.0"><channel><item><guid>1</guid><pubDate>someday</pubDate></item></channel></rss>';
    const [entry] = parseFeed(new TextEncoder().encode(xml), { url: "https://d.example/" }).entries;
    assert.equal(entry.id, "1");
    assert.equal(entry.published, undefined);
  });

  test("dc:date stands in for a missing pubDate", () => {
    const xml =
      '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item><guid>1</guid>' +
      "<dc:date>2024-05-06T10:00:00+01:00</dc:date></item></channel></rss>";
    const [entry] = parseFeed(new TextEncoder().encode(xml), { url: "https://d.example/" }).entries;
    assert.equal(entry.published, "2024-05-06T09:00:00.000Z");
  });
});
