/**
 * The `stages:` list of a pipeline file: each item's `use:` resolved through the catalog, its settings
 * and `with:` options validated, neighbours type-checked, and ids made unique.
 * @module
 */
import path from "node:path";
import type { StageCatalog, StageCatalogEntry, StageNeed } from "./catalog.ts";
import { ConfigError, ConfigErrorCode } from "./config_error.ts";
import { isModuleSpecifier, parseModuleSpecifier } from "./module_specifier.ts";
import { KEY_ALIASES, STAGE_KEYS } from "./pipeline_keys.ts";
import type { PathPositions, Span } from "./position.ts";
import { resolveStage } from "./resolve_stage.ts";
import { validateOptions } from "./schema.ts";
import type { ErrorPolicy, Placement, RetrySpec, StageSpec } from "./spec.ts";
import { checkStageTypes } from "./type_check.ts";
import { type ItemSetting, settingsWithoutEffect } from "./settings_without_effect.ts";

/** A stage item after its own checks, before ids are settled. */
interface LoadedStage {
  spec: Omit<StageSpec, "id">;
  /** The `- use:` item, for type errors. */
  span: Span;
  explicitId?: { id: string; span: Span };
  /** Stages its options need elsewhere in the pipeline, each with where its option is. */
  needs: { need: StageNeed; at: PathPositions }[];
}

/**
 * Checks the `stages:` list item by item: `use:` resolved, stage settings and `with:` options validated,
 * types between neighbours checked, ids settled. Errors go to the shared list so a file reports them all.
 *
 * @example Not run here: an internal step of `parsePipelineConfig`, which builds its arguments.
 * ```ts ignore
 * const stages = await new StageLoader("x.yaml", catalog, errors).stages(data.stages, positions.child("stages"));
 * ```
 */
export class StageLoader {
  constructor(
    readonly file: string,
    readonly catalog: StageCatalog,
    readonly errors: ConfigError[],
  ) {}

  async stages(raw: unknown, where: PathPositions): Promise<StageSpec[]> {
    if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
      const reason = raw === undefined
        ? "missing `stages`: a pipeline needs at least one stage"
        : "`stages` is empty";
      this.#error(ConfigErrorCode.MissingStages, reason, where.keySpan(), this.#stagesHint());
      return [];
    }
    if (!Array.isArray(raw)) {
      this.#error(
        ConfigErrorCode.WrongType,
        `\`stages\` must be a list of \`- use: <stage>\` items, got ${
          isRecord(raw) ? "a mapping" : JSON.stringify(raw)
        }`,
        where.valueSpan(),
        this.#stagesHint(),
      );
      return [];
    }
    const loaded: (LoadedStage | undefined)[] = [];
    for (let i = 0; i < raw.length; i++) loaded.push(await this.#stage(raw[i], i, where.child(i)));
    const typed = loaded.map((s) => s && { use: s.spec.use, entry: s.spec.entry, span: s.span });
    this.errors.push(...checkStageTypes(typed, this.catalog));
    this.#stagesNeeded(loaded.filter((s): s is LoadedStage => s !== undefined));
    return this.#assignIds(loaded.filter((s): s is LoadedStage => s !== undefined));
  }

  async #stage(raw: unknown, index: number, where: PathPositions): Promise<LoadedStage | undefined> {
    const itemSpan = where.valueSpan();
    if (!isRecord(raw)) {
      const hint = typeof raw === "string" ? `write \`- use: ${raw}\`` : "write `- use: <stage>`";
      const got = raw === null ? "nothing" : Array.isArray(raw) ? "a list" : JSON.stringify(raw);
      this.#error(
        ConfigErrorCode.WrongType,
        `stage ${index + 1} must be a mapping with \`use:\`, got ${got}`,
        itemSpan,
        hint,
      );
      return undefined;
    }
    if (raw.use === undefined) {
      this.#error(
        ConfigErrorCode.MissingOption,
        `stage ${index + 1} has no \`use:\``,
        itemSpan,
        this.#stagesHint(),
      );
    }
    const use = typeof raw.use === "string" ? raw.use : undefined;
    const subject = use === undefined ? `stage ${index + 1}` : `stage \`${use}\``;
    let entry: StageCatalogEntry | undefined;
    if (use !== undefined) {
      const resolved = await resolveStage(use, where.child("use").valueSpan(), this.file, this.catalog);
      if (resolved.error) this.errors.push(resolved.error);
      entry = resolved.entry;
    }
    const settings = validateOptions(STAGE_KEYS, withRetryShorthand(raw, where), where, {
      subject,
      aliases: KEY_ALIASES,
      unknownHint: (key) =>
        entry && Object.hasOwn(entry.options, key)
          ? `\`${key}\` is an option of stage \`${use}\`: ${indentUnderWith(key, where)}`
          : undefined,
    });
    this.errors.push(...settings.errors);
    let options: Record<string, unknown> = {};
    let optionErrors = 0;
    if (entry) {
      const checked = validateOptions(entry.options, raw.with, where.child("with"), {
        subject,
        unknownHint: (key) =>
          Object.hasOwn(STAGE_KEYS, key) || Object.hasOwn(KEY_ALIASES, key)
            ? `\`${key}\` is a stage setting: move it out of \`with:\`, next to \`use:\`${
              indentLikeUse(where)
            }`
            : undefined,
      });
      this.errors.push(...checked.errors);
      optionErrors = checked.errors.length;
      options = checked.value;
    }
    if (use === undefined || entry === undefined) return undefined;
    if (entry.forOptions) entry = { ...entry, ...stripUndefined(entry.forOptions(options)) };
    this.#settingsWithoutEffect(raw, entry, subject, where);
    if (typeof settings.value.placement === "string") {
      this.#placement(settings.value.placement as Placement, entry, subject, where.child("placement"));
    }
    if (entry.checkOptions && optionErrors === 0) {
      for (const problem of await entry.checkOptions(options, { file: this.file })) {
        const at = problem.option.split(".").reduce((w, key) => w.child(key), where.child("with"));
        this.#error(
          ConfigErrorCode.BadOption,
          `${subject}: ${problem.message}`,
          at.valueSpan(),
          problem.hint,
        );
      }
    }
    const needs = entry.stagesNeeded && optionErrors === 0 ? entry.stagesNeeded(options) : [];
    const loaded: LoadedStage = {
      spec: this.#spec(use, entry, options, settings.value, itemSpan),
      span: itemSpan,
      needs: needs.map((need) => ({
        need,
        at: need.path.reduce<PathPositions>((w, key) => w.child(key), where.child("with")),
      })),
    };
    if (typeof settings.value.id === "string") {
      loaded.explicitId = { id: settings.value.id, span: where.child("id").valueSpan() };
    }
    return loaded;
  }

  #spec(
    use: string,
    entry: StageCatalogEntry,
    options: Record<string, unknown>,
    s: Record<string, unknown>,
    itemSpan: Span,
  ): Omit<StageSpec, "id"> {
    const spec: Omit<StageSpec, "id"> = { use, entry, with: options, pos: itemSpan.pos };
    if (s.placement !== undefined) spec.placement = s.placement as Placement;
    if (s.concurrency !== undefined) spec.concurrency = s.concurrency as number;
    if (s.capacity !== undefined) spec.capacity = s.capacity as number;
    if (s.ordered !== undefined) spec.ordered = s.ordered as boolean;
    if (s.timeout !== undefined) spec.timeout = s.timeout as number;
    if (s.retry !== undefined) spec.retry = s.retry as RetrySpec;
    if (s.onError !== undefined) spec.onError = s.onError as ErrorPolicy;
    if (s.distribute === true) spec.distribute = true;
    if (typeof s.deadLetter === "string") {
      // Relative to the pipeline file, like module stages: the pipeline behaves the same from any cwd.
      spec.deadLetter = path.resolve(path.dirname(path.resolve(this.file)), s.deadLetter);
      spec.onError ??= "dead-letter";
    }
    return spec;
  }

  /** Explicit ids must be unique; the others become `use`, or `use-N` (N = stage number) when taken. */
  #assignIds(stages: LoadedStage[]): StageSpec[] {
    const firstById = new Map<string, LoadedStage>();
    for (const stage of stages) {
      if (!stage.explicitId) continue;
      const first = firstById.get(stage.explicitId.id);
      if (!first) {
        firstById.set(stage.explicitId.id, stage);
        continue;
      }
      this.errors.push(
        new ConfigError(
          ConfigErrorCode.DuplicateId,
          `duplicate stage id \`${stage.explicitId.id}\``,
          stage.explicitId.span,
          {
            hint: "give each stage its own `id:`",
            notes: [{
              span: first.explicitId!.span,
              message: `\`${stage.explicitId.id}\` is first used here`,
            }],
          },
        ),
      );
    }
    const baseOf = (s: LoadedStage) => idBase(s.spec.use, s.spec.entry);
    const uses = new Map<string, number>();
    for (const s of stages) if (!s.explicitId) uses.set(baseOf(s), (uses.get(baseOf(s)) ?? 0) + 1);
    const taken = new Set(firstById.keys());
    return stages.map((stage, i) => {
      let id = stage.explicitId?.id;
      if (id === undefined) {
        const base = baseOf(stage);
        id = (uses.get(base) ?? 0) > 1 || taken.has(base) ? `${base}-${i + 1}` : base;
        while (taken.has(id)) id = `${id}-${i + 1}`;
        taken.add(id);
      }
      return { ...stage.spec, id };
    });
  }

  #stagesHint(): string {
    return `add \`stages:\` with \`- use: <stage>\` items; built-in stages: ${
      this.catalog.names().join(", ")
    }`;
  }

  /** A setting the stage cannot honour (`retry` on a source) is an error, with the stage's reason. */
  #settingsWithoutEffect(
    raw: Record<string, unknown>,
    entry: StageCatalogEntry,
    subject: string,
    where: PathPositions,
  ): void {
    const table = settingsWithoutEffect(entry);
    for (const written of Object.keys(raw)) {
      const key = (KEY_ALIASES[written] ?? written) as ItemSetting;
      const why = Object.hasOwn(table, key) ? table[key] : undefined;
      if (!why) continue;
      this.#error(
        ConfigErrorCode.NoEffect,
        `\`${written}\` has no effect on ${subject}: ${why.reason}`,
        where.child(written).keySpan(),
        why.hint,
      );
    }
  }

  /** An option that needs a stage the pipeline lacks (`digest: true` without `digest`) is an error. */
  #stagesNeeded(stages: LoadedStage[]): void {
    const present = new Set(stages.map((s) => s.spec.entry.name));
    for (const stage of stages) {
      for (const { need, at } of stage.needs) {
        if (present.has(need.stage)) continue;
        this.#error(
          ConfigErrorCode.NoEffect,
          `stage \`${stage.spec.use}\`: ${need.reason} has no effect: the pipeline has no \`${need.stage}\` stage to honour it`,
          at.valueSpan(),
          need.hint,
        );
      }
    }
  }

  /** A placement the stage cannot take is an error, with the stage's reason and the ones it can. */
  #placement(placement: Placement, entry: StageCatalogEntry, subject: string, where: PathPositions): void {
    if (!entry.placements || entry.placements.includes(placement)) return;
    const can = entry.placements.map((p) => `\`${p}\``).join(", ");
    this.#error(
      ConfigErrorCode.Placement,
      `${subject} cannot run with \`placement: ${placement}\`${
        entry.placementNote ? `: ${entry.placementNote}` : ""
      }`,
      where.valueSpan(),
      `use one of ${can}, or remove \`placement:\``,
    );
  }

  #error(code: string, reason: string, span: Span, hint?: string): void {
    this.errors.push(new ConfigError(code, reason, span, { hint }));
  }
}

/**
 * The default id of a stage: its catalog name, or for a module stage whose entry is named after the
 * specifier, the export (`./my-stage.ts#shout` -> `shout`; a default export -> the file name).
 */
function idBase(use: string, entry: StageCatalogEntry): string {
  const name = entry.name || use;
  if (!isModuleSpecifier(name)) return name;
  const { exportName, url } = parseModuleSpecifier(use, "/");
  return exportName !== "default" ? exportName : path.basename(url).replace(/\.[^.]*$/, "");
}

/** How to indent a stage option written beside `use:`: under `with:`, two spaces deeper than `use:`. */
function indentUnderWith(key: string, where: PathPositions): string {
  const use = where.child("use");
  const column = use.exists() ? use.keySpan().pos.column : 0;
  if (column <= 0) return "indent it under `with:`";
  const spaces = column - 1;
  const under = where.child("with").exists()
    ? `under \`with:\` (line ${where.child("with").keySpan().pos.line})`
    : `under a \`with:\` line indented ${spaces} spaces like \`use:\``;
  return `indent \`${key}:\` by ${spaces + 2} spaces, ${under}`;
}

/** ` (indented N spaces, like use:)`: where a stage setting written under `with:` belongs. */
function indentLikeUse(where: PathPositions): string {
  const use = where.child("use");
  const column = use.exists() ? use.keySpan().pos.column : 0;
  return column > 0
    ? ` (indented ${column - 1} spaces, like \`use:\` on line ${use.keySpan().pos.line})`
    : "";
}

/** `retry: 3` (or `retry: ${RETRIES}`) is short for `retry: { attempts: 3 }`. */
function withRetryShorthand(raw: Record<string, unknown>, where: PathPositions): Record<string, unknown> {
  const retry = raw.retry;
  const fromVariable = where.child("retry").fromVariable();
  if (typeof retry === "number" || (fromVariable && typeof retry === "string" && /^\s*\d+\s*$/.test(retry))) {
    return { ...raw, retry: { attempts: Number(retry) } };
  }
  return raw;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
