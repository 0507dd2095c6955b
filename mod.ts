/**
 * sluice: Go's concurrency story for Deno and Bun (channels, select, tasks, single owners, a worker
 * pool) and a typed pipeline DSL built on it, with the stages of the rss2imap pipeline.
 *
 * @example
 * ```ts
 * import { chan, fromIterable, map, pipeline, runPipeline, sink } from "./mod.ts";
 *
 * const ch = chan<number>(1);
 * await ch.send(41);
 * console.log((await ch.recv()).value); // 41
 *
 * const out: number[] = [];
 * await runPipeline(
 *   pipeline(fromIterable([1, 2, 3])).pipe(map((n: number) => n * 2)).to(sink((n: number) => { out.push(n); })),
 * );
 * ```
 * @module
 */

// The kernel: channels, select, tasks, synchronisation, owners, the worker pool, process streams.
export * from "./engine/kernel/mod.ts";
export { TRANSFER_RESULT, type TransferResult } from "./engine/kernel/pool_transfer.ts";
// The pipeline engine: stages, builder, runner, metrics, trace, YAML-facing factories.
export * from "./engine/pipeline/mod.ts";
// Loading pipelines from YAML.
export {
  catalogOf,
  ConfigError,
  ConfigErrorCode,
  ConfigErrors,
  type ConfigNote,
  type ConfigPath,
  type Environment,
  type ErrorPolicy,
  formatPosition,
  loadPipelineConfig,
  type LoadPipelineOptions,
  noPositions,
  type OptionSchema,
  type OptionSpec,
  parseDuration,
  parsePipelineConfig,
  type PathPositions,
  type PipelineSpec,
  type Position,
  type RetrySpec,
  type Span,
  type StageCatalog,
  type StageCatalogEntry,
  type StageSpec,
  suggest,
  typeFits,
  type ValidatedOptions,
  validateOptions,
  type ValidationContext,
} from "./engine/config/mod.ts";
export { type BuildContext, buildPipeline, type StageFactory, StageRegistry } from "./engine/config/mod.ts";
// Watching a pipeline (--metrics) and testing one (cli.ts test).
export * from "./engine/monitor/mod.ts";
export * from "./engine/test_cases/mod.ts";
// State between runs and schedules.
export * from "./engine/state/mod.ts";
export * from "./engine/schedule/mod.ts";
export { runtime } from "./engine/runtime/mod.ts";
export type { CronHandle, RuntimeAdapter, RuntimeName, SignalName } from "./engine/runtime/adapter.ts";
export { redactUrl, SluiceError } from "./engine/errors.ts";
export { PERMISSION_HINT, PermissionNeededError, permissionProblem } from "./engine/permission_error.ts";
// Placement measurement.
export * from "./engine/placement/mod.ts";
// The built-in stages (each usable on its own) and the rss2imap pipeline.
export { builtinStages } from "./stages/registry.ts";
export { feeds, type FeedsOptions } from "./stages/feeds.ts";
export { fetchFeeds, type FetchStageOptions } from "./stages/fetch.ts";
export { parseFeeds } from "./stages/parse.ts";
export { dedupe, type DedupeOptions } from "./stages/dedupe.ts";
export { rewriteEntryImages, rewriteImages, type RewriteImagesOptions } from "./stages/rewrite_images.ts";
export { mime } from "./stages/mime.ts";
export {
  type ImapSinkOptions,
  mailbox,
  maildir,
  type MaildirSinkOptions,
  uploadImap,
} from "./stages/mailbox.ts";
// The libraries the stages call.
export { FetchError, HostLimiter } from "./lib/http/mod.ts";
export {
  ConditionalFetcher,
  type ConditionalFetcherOptions,
  DEFAULT_FETCH_OPTIONS,
  FeedParseError,
  loadFeeds,
  parseFeed,
  type ParseFeedOptions,
  type Validators,
} from "./lib/feed/mod.ts";
export {
  findImages,
  type FoundImages,
  type HtmlImageWork,
  ImageCache,
  type ImageCacheOptions,
  type ImageCacheStats,
  inlineImages,
  rewriteImageRefs,
  type SniffedImage,
  sniffImageType,
} from "./lib/html/mod.ts";
export { composeMessage, type ComposeOptions, messageIdFor } from "./lib/mime/mod.ts";
export {
  DryRunWriter,
  MaildirError,
  maildirFolderDir,
  MaildirWriter,
  type MessageWriter,
} from "./lib/maildir/mod.ts";
export { ImapUploader } from "./lib/imap/mod.ts";
export type * from "./stages/types.ts";
export { rss2imap, type Rss2ImapOptions } from "./pipelines/rss2imap.ts";
