/**
 * Turns a stage's `use:` into its catalog entry: a built-in name through the catalog, or a module
 * (`./my-stage.ts#shout`) through `catalog.loadModule`, with an error that says what to fix otherwise.
 * @module
 */
import { stat } from "node:fs/promises";
import { SluiceError } from "../errors.ts";
import type { StageCatalog, StageCatalogEntry } from "./catalog.ts";
import { ConfigError, ConfigErrorCode } from "./config_error.ts";
import { isModuleSpecifier, parseModuleSpecifier } from "./module_specifier.ts";
import type { Span } from "./position.ts";
import { suggest } from "./suggest.ts";

/**
 * The entry `use` names, or the {@linkcode ConfigError} explaining why there is none. `span` is where
 * `use`'s value is written; `file` is the pipeline file (module paths are relative to its folder).
 *
 * @example
 * ```ts
 * import { resolveStage } from "./resolve_stage.ts";
 * // const { entry, error } = await resolveStage("fecth", span, "pipelines/x.yaml", catalog);
 * // error.reason === "unknown stage `fecth`", error.hint starts with "did you mean `fetch`?"
 * ```
 */
export async function resolveStage(
  use: string,
  span: Span,
  file: string,
  catalog: StageCatalog,
): Promise<{ entry?: StageCatalogEntry; error?: ConfigError }> {
  if (isModuleSpecifier(use)) return await resolveModule(use, span, file, catalog);
  const entry = catalog.get(use);
  if (entry) return { entry };
  const guess = suggest(use, catalog.names());
  const builtIns = `built-in stages: ${catalog.names().join(", ")}`;
  const hint = guess
    ? `did you mean \`${guess}\`? ${builtIns}`
    : `${builtIns}; for your own stage write \`use: ./file.ts#exportName\``;
  return { error: new ConfigError(ConfigErrorCode.UnknownStage, `unknown stage \`${use}\``, span, { hint }) };
}

async function resolveModule(use: string, span: Span, file: string, catalog: StageCatalog) {
  if (!catalog.loadModule) {
    return {
      error: new ConfigError(
        ConfigErrorCode.ModuleUnsupported,
        `stage \`${use}\` is a module, but this stage catalog cannot load modules`,
        span,
        { hint: `use a built-in stage: ${catalog.names().join(", ")}` },
      ),
    };
  }
  const ref = parseModuleSpecifier(use, file);
  if (ref.file !== undefined && !(await isFile(ref.file))) {
    return {
      error: new ConfigError(
        ConfigErrorCode.ModuleNotFound,
        `stage module not found: \`${use}\` (looked for ${ref.file})`,
        span,
        { hint: "module paths are relative to the pipeline file's folder; check the path and the extension" },
      ),
    };
  }
  try {
    return { entry: await catalog.loadModule(use, file) };
  } catch (e) {
    return { error: moduleError(use, ref.exportName, span, e) };
  }
}

/** Sorts a loader's failure into "file not found", "export missing" or a plain load failure. */
function moduleError(use: string, exportName: string, span: Span, e: unknown): ConfigError {
  const text = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown })?.code;
  const notFound = code === "ERR_MODULE_NOT_FOUND" || /not found|cannot find module|no such file/i.test(text);
  const noExport = !notFound && (/export/i.test(text) || (typeof code === "string" && /EXPORT/.test(code)));
  const hint = e instanceof SluiceError && e.hint
    ? e.hint
    : noExport
    ? `export the stage from the module as \`${exportName}\`, or name an existing export after \`#\``
    : notFound
    ? "module paths are relative to the pipeline file's folder; check the path and the extension"
    : "fix the module so it loads (run it with `deno check` to see the error)";
  const reason = noExport
    ? `stage module \`${use}\` has no usable export \`${exportName}\`: ${text}`
    : notFound
    ? `stage module not found: \`${use}\`: ${text}`
    : `stage module \`${use}\` failed to load: ${text}`;
  const kind = noExport
    ? ConfigErrorCode.ModuleExport
    : notFound
    ? ConfigErrorCode.ModuleNotFound
    : ConfigErrorCode.ModuleLoad;
  return new ConfigError(kind, reason, span, { hint, cause: e });
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
