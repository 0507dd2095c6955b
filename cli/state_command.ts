/**
 * `state`: what the pipeline's state store remembers (per-feed health and counts), forgetting a feed,
 * and marking every current entry as seen so that a new subscription does not flood the mailbox.
 * @module
 */
import process from "node:process";
import { redactUrl } from "../engine/errors.ts";
import type { PipelineSpec } from "../engine/config/mod.ts";
import {
  Chain,
  DEFAULT_STATE,
  openRunState,
  runPipeline,
  RunResources,
  sink,
  type Stage,
  textLogger,
} from "../engine/pipeline/mod.ts";
import { openStore } from "../engine/state/mod.ts";
import { FeedStateBook } from "../stages/feed_state.ts";
import { runStore } from "../stages/run_state.ts";
import type { ParsedFeedItem } from "../stages/types.ts";
import { EXIT } from "./exit_codes.ts";
import { mailboxTarget, moveStateAside, rebuildFromMailbox } from "./state_recovery.ts";
import { loadOrReport, type loadPipeline } from "./load.ts";

/** Options of {@linkcode stateCommand}. */
export interface StateCommandOptions {
  file: string;
  /**
   * `rebuild`: a new state from what the mailbox holds; `reset` (with `markSeen`): a new state with every
   * current entry marked seen. Both move a damaged state file aside first.
   */
  action?: "rebuild" | "reset" | "";
  forget?: string;
  /** `true` for every feed, or one feed URL. */
  markSeen?: string | true;
  json?: boolean;
}

/**
 * Runs `cli.ts state` and returns the exit code.
 *
 * @example Not run here: it changes the state store in `STATE_DIR` (`tests/state_command_test.ts` runs it).
 * ```ts ignore
 * await stateCommand({ file: "pipelines/rss2imap.yaml", forget: "https://example.org/feed.xml" });
 * ```
 */
export async function stateCommand(opts: StateCommandOptions): Promise<number> {
  const loaded = await loadOrReport(opts.file);
  if (typeof loaded === "number") return loaded;
  const location = stateLocation(loaded.spec);
  if (opts.action) return await recover(loaded, location, opts);
  if (opts.markSeen) {
    return await markSeen(loaded, location, opts.markSeen === true ? undefined : opts.markSeen);
  }
  const store = await openStore(location);
  const book = new FeedStateBook(store);
  try {
    if (opts.forget) {
      if (!(await book.getFeed(opts.forget)) && (await store.deliveredCount(opts.forget)) === 0) {
        // A typo would otherwise "succeed" and leave the feed that was meant in place.
        const known = (await book.listFeeds()).map((f) => `  ${redactUrl(f.url)}`).slice(0, 20).join("\n");
        process.stderr.write(
          `error: no state for ${redactUrl(opts.forget)} in ${location}\n` +
            (known
              ? `feeds it knows (run "cli.ts state FILE" for all):\n${known}\n`
              : "it knows no feeds yet\n"),
        );
        return EXIT.USAGE;
      }
      await book.forgetFeed(opts.forget);
      process.stdout.write(`forgot ${redactUrl(opts.forget)}\n`);
      return EXIT.OK;
    }
    const feeds = await book.listFeeds();
    const sending = await store.listSending();
    if (opts.json) {
      // Printed output, like the text form: no feed URL keeps its user name and password.
      const shownFeeds = feeds.map((f) => ({ ...f, url: redactUrl(f.url) }));
      const shownSending = sending.map((m) => ({ ...m, feedUrl: redactUrl(m.feedUrl) }));
      process.stdout.write(
        JSON.stringify({ state: location, feeds: shownFeeds, sending: shownSending }, null, 2) + "\n",
      );
      return EXIT.OK;
    }
    process.stdout.write(
      `state ${location}: ${plural(feeds.length, "feed")}, ${
        plural(await store.deliveredCount(), "delivered entry", "delivered entries")
      }\n`,
    );
    if (sending.length) {
      // Left by a run that stopped between sending and recording: the next run looks for them first.
      process.stdout.write(
        `  ${sending.length} messages in doubt (sent by a run that stopped before recording them; the next ` +
          `run looks for them in their folder and sends only the missing ones):\n`,
      );
      for (const m of sending) {
        process.stdout.write(`    ${m.folder}: ${redactUrl(m.feedUrl)} ${m.id} (since ${m.at ?? "?"})\n`);
      }
    }
    for (const f of feeds) {
      const s = f.state;
      const health = s.consecutiveFailures
        ? `FAILING x${s.consecutiveFailures}${
          s.nextAttemptAfter ? `, next try after ${s.nextAttemptAfter}` : ""
        }: ${s.lastError ?? ""}`
        : "ok";
      process.stdout.write(
        `  ${redactUrl(f.url)}\n    ${s.title ?? ""}${
          s.title ? "; " : ""
        }delivered ${f.delivered}; last success ${s.lastSuccess ?? "never"}; ${health}\n`,
      );
    }
    return EXIT.OK;
  } finally {
    await store.close();
  }
}

/**
 * The state location of the pipeline: its `state:`, else the first stage's `state` option, else
 * `./.sluice`.
 *
 * @example
 * ```ts
 * import { loadPipeline } from "./load.ts";
 * const { spec } = await loadPipeline("pipelines/rss2imap.yaml");
 * console.log(stateLocation(spec)); // "./.sluice" unless STATE_DIR says otherwise
 * ```
 */
export function stateLocation(spec: PipelineSpec): string {
  if (spec.state) return spec.state;
  for (const s of spec.stages) if (typeof s.with.state === "string" && s.with.state) return s.with.state;
  return DEFAULT_STATE;
}

/** `state rebuild` / `state reset --mark-seen`: a damaged state moved aside, then a new one. */
async function recover(
  loaded: Awaited<ReturnType<typeof loadPipeline>>,
  location: string,
  opts: StateCommandOptions,
): Promise<number> {
  const target = mailboxTarget(loaded.spec);
  if (opts.action === "rebuild" && !target) {
    process.stderr.write("error: this pipeline has no mailbox stage to rebuild the state from\n");
    return EXIT.USAGE;
  }
  // A state that opens is not damaged: it is kept (and the rebuild adds to it). One that does not is moved.
  try {
    await (await openStore(location)).close();
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    if (!["E_STATE_EMPTY", "E_STATE_FOREIGN", "E_STATE_CORRUPT", "E_STATE_SCHEMA"].includes(code)) throw e;
    const aside = moveStateAside(location);
    if (aside) process.stdout.write(`moved the damaged state aside: ${aside}\n`);
  }
  if (opts.action === "reset") {
    return await markSeen(loaded, location, opts.markSeen === true ? undefined : opts.markSeen);
  }
  const resources = new RunResources();
  try {
    const store = await openRunState(resources, location);
    const n = await rebuildFromMailbox(store, target!);
    process.stdout.write(
      `state ${location}: recorded ${plural(n, "entry", "entries")} found in the mailbox as delivered\n`,
    );
    return EXIT.OK;
  } finally {
    await resources.closeAll();
  }
}

/** Runs the pipeline's source, fetch and parse stages and marks every entry found as seen. */
async function markSeen(loaded: Awaited<ReturnType<typeof loadPipeline>>, location: string, only?: string) {
  const stages = loaded.pipeline.stages;
  const upToParse = stages.findIndex((s) => s.options.outType === "ParsedFeedItem");
  if (upToParse < 0) {
    process.stderr.write("this pipeline has no parse stage: nothing to mark as seen\n");
    return EXIT.USAGE;
  }
  let marked = 0;
  const head = stages.slice(0, upToParse + 1);
  const mark = sink(async (item: ParsedFeedItem, ctx) => {
    if (only && item.feed.url !== only) return;
    const store = await runStore(ctx, location);
    await store.markAllSeen(item.feed.url, item.parsed.entries.map((e) => e.id));
    await new FeedStateBook(store).recordSuccess(item.feed.url, {
      etag: item.etag ?? null,
      lastModified: item.lastModified ?? null,
      title: item.parsed.title ?? null,
    });
    marked += item.parsed.entries.length;
  }, { name: "mark-seen" });
  const chain = new Chain<never, unknown>([...head, mark as Stage<unknown, unknown>], location);
  const summary = await runPipeline(chain, {
    logger: textLogger("warn"),
  });
  process.stdout.write(`marked ${marked} entries as seen\n`);
  return summary.ok ? EXIT.OK : EXIT.ITEMS_FAILED;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
