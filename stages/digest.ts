/**
 * `digest`: the entries of feeds set to `digest: true` wait here until the run's last entry has passed;
 * then each folder gets one message listing them (`lib/mime/digest.ts`). Every other entry passes at once.
 * @module
 */
import { resolveStageOptions, type Stage } from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";
import { folderDigest } from "../lib/mime/digest.ts";
import type { EntryItem } from "./types.ts";

/**
 * The `digest` stage for TypeScript pipelines (after `dedupe`, before `rewrite-images`).
 *
 * @example
 * ```ts
 * import { digest } from "./digest.ts";
 * const d = digest();
 * ```
 */
export function digest(): Stage<EntryItem, EntryItem> {
  return {
    options: resolveStageOptions({ name: "digest", inType: "EntryItem", outType: "EntryItem" }, "digest"),
    body: {
      kind: "stream",
      stream: async function* (input, ctx) {
        const held = new Map<string, EntryItem[]>();
        for await (const item of input) {
          if (!item.feed.options?.digest) {
            yield item;
            continue;
          }
          const folder = item.feed.folder;
          const list = held.get(folder);
          if (list) list.push(item);
          else held.set(folder, [item]);
        }
        // The input ended: every feed of the run went through dedupe.
        for (const [folder, items] of held) {
          ctx.count("digests");
          yield folderDigest(folder, items);
        }
      },
    },
  };
}

/** The `digest` stage for YAML. */
export const digestStage: StageFactory = {
  name: "digest",
  description:
    "holds the entries of feeds set to `digest: true` until the run's entries are in, then one message per folder lists them",
  inType: "EntryItem",
  outType: "EntryItem",
  example: `- use: digest`,
  options: {},
  placements: ["loop"],
  placementNote: "it holds the run's digest entries until its input ends, on the event loop",
  // It reads its whole input as one stream and fails no entry on its own: a per-item setting has no item.
  settingsWithoutEffect: Object.fromEntries(
    (["retry", "onError", "deadLetter", "concurrency", "ordered", "timeout"] as const).map((key) => [key, {
      reason:
        "it reads its whole input as one stream (entries wait for the end of the run) and fails no entry " +
        "on its own",
      hint: "remove it",
    }]),
  ),
  create: () => digest(),
};
