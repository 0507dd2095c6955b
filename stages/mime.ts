/**
 * The `mime` stage: composes each entry into a MIME message (`lib/mime/compose.ts`) on the event loop, or
 * on the worker pool with `placement: pool` (the task is in `mime_task.ts`).
 * @module
 */
import type { EntryItem, MailMessage } from "./types.ts";
import { type Stage, task } from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";
import type { ComposeOptions } from "../lib/mime/compose.ts";
import { COMPOSE_DEFAULTS } from "../lib/mime/compose_defaults.ts";
import { headerSafe } from "../lib/mime/header_safe.ts";

/**
 * How the `mime` stage names its task (`composeMessageTask` of `mime_task.ts`) for the worker
 * pool, or for the loop, which imports it when the stage opens: the MIME writer (16 modules) is no part of
 * the modules a run loads before its first fetch.
 *
 * @example
 * ```ts
 * import { MIME_TASK } from "./mime.ts";
 * MIME_TASK.export; // "composeMessageTask"
 * ```
 */
export const MIME_TASK: { readonly module: string; readonly export: "composeMessageTask" } = {
  module: new URL("./mime_task.ts", import.meta.url).href,
  export: "composeMessageTask",
};

/**
 * The `mime` stage: composes each entry into a MIME message, on the event loop by default. Composing an
 * entry takes 0.2-0.3 ms, less than a round trip to the pool costs: W3 (6,000 messages) took 3-4 s less
 * CPU time on the loop under Deno and Bun, and Bun's peak RSS fell ~20 MB (README, Benchmarks).
 *
 * @example
 * ```ts
 * const m = mime({ from: "feeds@example.org" });
 * ```
 */
export function mime(options: ComposeOptions = {}): Stage<EntryItem, MailMessage> {
  return task<EntryItem, MailMessage>(MIME_TASK, {
    name: "mime",
    placement: "loop",
    concurrency: 8,
    inType: "EntryItem",
    outType: "MailMessage",
    onError: "drop",
    bytesOf: (m: MailMessage) => m.raw.byteLength,
    settings: {
      from: options.from ?? COMPOSE_DEFAULTS.from,
      to: options.to ?? COMPOSE_DEFAULTS.to,
      listId: options.listId ?? COMPOSE_DEFAULTS.listId,
      linkPosition: options.linkPosition ?? COMPOSE_DEFAULTS.linkPosition,
    },
    args: (item) => [composeInput(item), options],
    // The run's first items do not wait for its first worker (see `task`).
    loopUntilPoolLoaded: true,
  });
}

/**
 * The part of `item` that {@link composeMessage} reads: the item is structured-cloned to a worker, and
 * after image rewriting it carries its HTML two or three times (`html`, `entry.html`, `entry.summary`);
 * cloning those copies was the largest cost of posting a task (W3 main-thread profile).
 */
function composeInput(item: EntryItem): EntryItem {
  const { html: entryHtml, summary, ...entry } = item.entry;
  const body = item.html ?? entryHtml ?? summary;
  // The summary also names an untitled entry (subjectFor), so it stays when there is no usable title.
  const keepSummary = summary !== undefined && (body === summary || headerSafe(entry.title ?? "") === "");
  return {
    feed: item.feed,
    ...(item.feedTitle !== undefined ? { feedTitle: item.feedTitle } : {}),
    entry: { ...entry, ...(keepSummary ? { summary } : {}) },
    ...(body !== undefined ? { html: body } : {}),
    images: item.images,
    ...(item.attachments ? { attachments: item.attachments } : {}),
    ...(item.covers ? { covers: item.covers } : {}),
    ...(item.version ? { version: item.version } : {}),
    ...(item.article ? { article: item.article } : {}),
  };
}

/** The `mime` stage for YAML. */
export const mimeStage: StageFactory = {
  name: "mime",
  description: "composes multipart/alternative mail with inline cid: images (quoted-printable HTML and text)",
  inType: "EntryItem",
  outType: "MailMessage",
  placements: ["loop", "pool", "auto"],
  placementNote:
    "composing is CPU work of 0.2-0.3 ms an entry that runs on the event loop (`loop`), on the " +
    "worker pool (`pool`: a round trip costs more than the work), or measured first (`auto`); it holds no " +
    "resource an `owner` would guard, and no other program to run in a `process`",
  example: `- use: mime
  with:
    from: feeds@example.org
    to: me@example.org
    link-position: top`,
  options: {
    from: {
      type: "string",
      default: COMPOSE_DEFAULTS.from,
      description: "sender address (feed title as name)",
    },
    to: { type: "string", default: COMPOSE_DEFAULTS.to, description: "recipient address" },
    "link-position": {
      type: "string",
      enum: ["top", "bottom"],
      default: COMPOSE_DEFAULTS.linkPosition,
      description: "link to the original",
    },
  },
  create: (o) =>
    mime({
      from: o.from as string,
      to: o.to as string,
      linkPosition: o["link-position"] as "top" | "bottom",
    }),
};
