/**
 * The pace of a run's forced collections without a small budget: none while resident memory is below the
 * first mark, at most every other tick (once a second) between the marks, every tick above the second.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { collectionPace } from "../engine/placement/collection_pace.ts";
import { COLLECT_ABOVE_RSS_BYTES, COLLECT_OFTEN_ABOVE_RSS_BYTES } from "../engine/pipeline/runner.ts";

const MB = 1024 * 1024;

/** Which of the ticks, one per resident-memory figure, collect. */
function collectingTicks(rss: number[]): number[] {
  const due = collectionPace({ aboveRss: 192 * MB, oftenAboveRss: 240 * MB, ticksBetween: 2 });
  return rss.flatMap((bytes, tick) => due(bytes) ? [tick] : []);
}

describe("collection pace", () => {
  test("below the first mark no tick collects", () => {
    assert.deepEqual(collectingTicks([0, 100 * MB, 192 * MB, 150 * MB]), []);
  });

  test("between the marks every other tick collects, from the first tick above", () => {
    assert.deepEqual(collectingTicks([100 * MB, 200 * MB, 200 * MB, 210 * MB, 239 * MB, 200 * MB]), [
      1,
      3,
      5,
    ]);
  });

  test("above the second mark every tick collects, and the count between the marks starts again after", () => {
    const rss = [250 * MB, 250 * MB, 241 * MB, 200 * MB, 200 * MB, 100 * MB, 200 * MB];
    assert.deepEqual(collectingTicks(rss), [0, 1, 2, 4, 6]);
  });

  test("the run's marks: the second is above the first", () => {
    assert.ok(COLLECT_OFTEN_ABOVE_RSS_BYTES > COLLECT_ABOVE_RSS_BYTES);
  });
});
