/**
 * `use: ./my-stage.ts#shout`: telling a module stage from a built-in name, and splitting it into the
 * module to import and the export to take.
 * @module
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * A module stage reference: the module (`file` for a local path, else the URL as written), a URL to
 * `import()`, and the export name (`default` when no `#name` is given).
 *
 * @example
 * ```ts
 * const ref: ModuleStageReference = {
 *   file: "/p/my-stage.ts",
 *   url: "file:///p/my-stage.ts",
 *   exportName: "shout",
 * };
 * ```
 */
export interface ModuleStageReference {
  /** Absolute path of a local module; undefined for a remote one. */
  file?: string;
  url: string;
  exportName: string;
}

const REMOTE = /^(https?|npm|jsr|file):/;

/**
 * Whether `use` names a module (a path or URL) rather than a built-in stage.
 *
 * @example
 * ```ts
 * import { isModuleSpecifier } from "./module_specifier.ts";
 * isModuleSpecifier("./my-stage.ts#shout"); // true
 * isModuleSpecifier("fetch"); // false
 * ```
 */
export function isModuleSpecifier(use: string): boolean {
  return /^\.{0,2}\//.test(use) || REMOTE.test(use) || /\.(m?[jt]s|tsx?)(#|$)/.test(use);
}

/**
 * Splits `specifier` into module and export, resolving a relative path against the folder of
 * `fromFile` (the pipeline file), so a pipeline works from any current directory.
 *
 * @example
 * ```ts
 * import { parseModuleSpecifier } from "./module_specifier.ts";
 * parseModuleSpecifier("./my-stage.ts#shout", "/srv/pipelines/x.yaml");
 * // { file: "/srv/pipelines/my-stage.ts", url: "file:///srv/pipelines/my-stage.ts", exportName: "shout" }
 * ```
 */
export function parseModuleSpecifier(specifier: string, fromFile: string): ModuleStageReference {
  const hash = specifier.lastIndexOf("#");
  const module = hash >= 0 ? specifier.slice(0, hash) : specifier;
  const exportName = hash >= 0 && hash < specifier.length - 1 ? specifier.slice(hash + 1) : "default";
  if (module.startsWith("file:")) {
    return { file: fileURLToPath(module), url: module, exportName };
  }
  if (REMOTE.test(module)) return { url: module, exportName };
  const file = path.resolve(path.dirname(path.resolve(fromFile)), module);
  return { file, url: pathToFileURL(file).href, exportName };
}
