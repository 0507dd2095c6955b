/**
 * Checks that consecutive stages fit before anything runs: what one stage produces must be what the
 * next one takes, the first stage must be a source, and sources and sinks stay at the ends.
 * @module
 */
import type { StageCatalog, StageCatalogEntry } from "./catalog.ts";
import { ConfigError, ConfigErrorCode } from "./config_error.ts";
import type { Span } from "./position.ts";

/**
 * A stage as the type check sees it: its name as written, its catalog entry and where it is.
 *
 * @example
 * ```ts
 * // { use: "fetch", entry: catalog.get("fetch")!, span: positions.child("stages").child(1).valueSpan() }
 * ```
 */
export interface TypedStage {
  use: string;
  entry: StageCatalogEntry;
  span: Span;
}

/**
 * Whether items of type `produced` may flow into a stage that takes `accepted`: equal names, either
 * side `any`, or `produced` is one of the alternatives of `accepted` (`"FeedEntry | EntryItem"`).
 *
 * @example
 * ```ts
 * import { typeFits } from "./type_check.ts";
 * typeFits("FetchedFeed", "FetchedFeed"); // true
 * typeFits("FetchedFeed", "any"); // true
 * typeFits("FetchedFeed", "EntryItem"); // false
 * ```
 */
export function typeFits(produced: string, accepted: string): boolean {
  if (produced === "any" || accepted === "any") return true;
  const accepts = new Set(alternatives(accepted));
  return alternatives(produced).every((t) => accepts.has(t));
}

/**
 * Every type mistake in a stage sequence, each pointing at the stage that cannot take its input, with a
 * note at the stage that produced it. `catalog` is used to suggest a stage to insert between them.
 * A stage that could not be resolved is `undefined`: the pairs around it are skipped.
 *
 * @example
 * ```ts
 * import { checkStageTypes } from "./type_check.ts";
 * // const errors = checkStageTypes(stages, catalog);
 * // "stage `mime` (line 12) takes `EntryItem` but `fetch` (line 9) produces `FetchedFeed`"
 * ```
 */
export function checkStageTypes(
  stages: readonly (TypedStage | undefined)[],
  catalog: StageCatalog,
): ConfigError[] {
  const errors: ConfigError[] = [];
  const first = stages[0];
  if (first && first.entry.inType !== "none") {
    errors.push(
      new ConfigError(
        ConfigErrorCode.NoSource,
        `the first stage \`${first.use}\` takes \`${first.entry.inType}\`: a pipeline starts with a source`,
        first.span,
        { hint: `start with a stage that takes no input, such as ${list(sources(catalog))}` },
      ),
    );
  }
  for (let k = 1; k < stages.length; k++) {
    const before = stages[k - 1];
    const stage = stages[k];
    if (!before || !stage) continue;
    if (stage.entry.inType === "none") {
      errors.push(misplacedSource(stage, before));
    } else if (before.entry.outType === "none") {
      errors.push(misplacedSink(before, stage));
    } else if (!typeFits(before.entry.outType, stage.entry.inType)) {
      errors.push(mismatch(before, stage, catalog));
    }
  }
  return errors;
}

function mismatch(before: TypedStage, stage: TypedStage, catalog: StageCatalog): ConfigError {
  const produced = before.entry.outType;
  const taken = stage.entry.inType;
  const bridge = bridgeStages(produced, taken, catalog);
  const hint = bridge.length > 0
    ? `insert ${
      bridge.map((n) => `\`${n}\``).join(" then ")
    } between them to turn \`${produced}\` into \`${taken}\``
    : `check the order of the stages: \`${stage.use}\` needs \`${taken}\` as input`;
  return new ConfigError(
    ConfigErrorCode.TypeMismatch,
    `stage \`${stage.use}\` (line ${stage.span.pos.line}) takes \`${taken}\` but \`${before.use}\` ` +
      `(line ${before.span.pos.line}) produces \`${produced}\``,
    stage.span,
    { hint, notes: [{ span: before.span, message: `\`${before.use}\` produces \`${produced}\` here` }] },
  );
}

function misplacedSource(stage: TypedStage, before: TypedStage): ConfigError {
  return new ConfigError(
    ConfigErrorCode.MisplacedSource,
    `stage \`${stage.use}\` (line ${stage.span.pos.line}) is a source and takes no input, but it follows ` +
      `\`${before.use}\` (line ${before.span.pos.line})`,
    stage.span,
    {
      hint: "only the first stage can be a source: move it to the top or into a pipeline of its own",
      notes: [{ span: before.span, message: `\`${before.use}\` produces \`${before.entry.outType}\` here` }],
    },
  );
}

function misplacedSink(sink: TypedStage, after: TypedStage): ConfigError {
  return new ConfigError(
    ConfigErrorCode.MisplacedSink,
    `stage \`${sink.use}\` (line ${sink.span.pos.line}) is a sink and produces nothing, but ` +
      `\`${after.use}\` (line ${after.span.pos.line}) follows it`,
    sink.span,
    {
      hint: `only the last stage can be a sink: move \`${sink.use}\` to the end`,
      notes: [{ span: after.span, message: `\`${after.use}\` takes \`${after.entry.inType}\` here` }],
    },
  );
}

/**
 * The shortest chain of catalog stages (at most three) that turns `produced` into `taken`, or none.
 * Generic (`any`) stages, sources and sinks fit anywhere or nowhere, so they never make a useful bridge.
 */
function bridgeStages(produced: string, taken: string, catalog: StageCatalog): string[] {
  const concrete = catalog.names().map((n) => catalog.get(n)).filter((e): e is StageCatalogEntry =>
    e !== undefined && ![e.inType, e.outType].some((t) => t === "any" || t === "none")
  );
  let frontier: { type: string; chain: string[] }[] = [{ type: produced, chain: [] }];
  const seen = new Set([produced]);
  for (let depth = 0; depth < 3; depth++) {
    const next: typeof frontier = [];
    for (const { type, chain } of frontier) {
      for (const e of concrete) {
        if (!typeFits(type, e.inType)) continue;
        const path = [...chain, e.name];
        if (typeFits(e.outType, taken)) return path;
        if (seen.has(e.outType)) continue;
        seen.add(e.outType);
        next.push({ type: e.outType, chain: path });
      }
    }
    frontier = next;
  }
  return [];
}

function alternatives(type: string): string[] {
  return type.split("|").map((t) => t.trim()).filter((t) => t !== "");
}

function sources(catalog: StageCatalog): string[] {
  return catalog.names().filter((n) => catalog.get(n)?.inType === "none");
}

function list(names: string[]): string {
  return names.length ? names.map((n) => `\`${n}\``).join(", ") : "a source stage";
}
