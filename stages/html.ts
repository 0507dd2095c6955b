/**
 * `html`: parses an HTML field of each item with linkedom and calls a function `(document, item) => item`
 * from a module (or the ready-made article extractor), on the worker pool by default.
 * @module
 */
import type { StageFactory } from "../engine/config/mod.ts";
import {
  MODULE_FUNCTION_PLACEMENTS,
  moduleMap,
  type Stage,
  type StageOptions,
} from "../engine/pipeline/mod.ts";
import { checkItemFunction, MODULE_FUNCTION_CONCURRENCY, moduleRef } from "./item_function.ts";

const DOCUMENT_CALL = {
  module: new URL("../lib/dom/document_call.ts", import.meta.url).href,
  export: "callWithDocument",
};
const READY_MADE: Record<string, string> = {
  article: new URL("../lib/dom/article.ts", import.meta.url).href + "#article",
  title: new URL("../lib/dom/article.ts", import.meta.url).href + "#title",
};

/**
 * The `html` stage for YAML: `module: ./scrape.ts#links` or `extract: article`, `field: body`.
 *
 * @example
 * ```ts
 * import { htmlStage } from "./html.ts";
 * const stage = htmlStage.create({ extract: "article", field: "body" }, {});
 * ```
 */
export const htmlStage: StageFactory = {
  name: "html",
  description:
    "parses an HTML field (linkedom) and calls (document, item) => item from a module; `extract: article` " +
    "gives the main article (Readability); on the pool by default",
  inType: "any",
  outType: "any",
  options: {
    module: {
      type: "string",
      description: "./file.ts#name: a function (document, item, field) => new item (sync or async)",
    },
    extract: {
      type: "string",
      enum: Object.keys(READY_MADE),
      description: "a ready-made function: `article` (title, byline, excerpt, text, length) or `title`",
    },
    field: {
      type: "string",
      default: "body",
      description: "the item's field holding the HTML (a string item is the HTML)",
    },
  },
  placements: MODULE_FUNCTION_PLACEMENTS,
  checkOptions: (o, ctx) => {
    if ((o.module === undefined) === (o.extract === undefined)) {
      return [{
        option: o.module === undefined ? "module" : "extract",
        message: o.module === undefined
          ? "needs `module:` or `extract:`"
          : "has both `module:` and `extract:`",
        hint:
          "give `module: ./file.ts#name` (your function of the document and the item) or `extract: article`",
      }];
    }
    return o.module !== undefined ? checkItemFunction({ module: o.module }, ctx) : [];
  },
  create: (o, ctx) => {
    const spec = o.module !== undefined
      ? moduleRef(o.module as string, ctx.file)
      : moduleRef(READY_MADE[o.extract as string], undefined);
    return htmlDocuments(spec, { field: o.field as string, placement: ctx.placement });
  },
};

/**
 * A stage calling `ref(document, item, field)` for each item, the document parsed from `item[field]`;
 * on the pool unless `placement` says otherwise.
 *
 * @example
 * ```ts
 * import { htmlDocuments } from "./html.ts";
 * const articles = htmlDocuments({ module: new URL("./scrape.ts", import.meta.url).href, export: "links" }, { field: "body" });
 * ```
 */
export function htmlDocuments<In, Out>(
  ref: { module: string; export: string },
  options: StageOptions & { field?: string } = {},
): Stage<In, Out> {
  const { field = "body", ...stageOptions } = options;
  return moduleMap<In, Out>(DOCUMENT_CALL, {
    name: "html",
    concurrency: MODULE_FUNCTION_CONCURRENCY,
    ordered: true,
    ...stageOptions,
    placement: stageOptions.placement ?? "pool",
    arg: (item) => ({ item, module: ref.module, export: ref.export, field }),
  });
}
