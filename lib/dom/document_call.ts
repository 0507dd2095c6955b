/**
 * Parses an HTML field of an item into a DOM document (linkedom) and calls a user function
 * `(document, item) => item` on it. Runs wherever it is called: the `html` stage calls it in a pool
 * worker by default, since parsing a page is CPU work.
 * @module
 */
import { parseHTML } from "npm:linkedom@^0.18.15";

/**
 * What {@linkcode callWithDocument} gets: the item, the function's module and export, and the field
 * holding the HTML.
 *
 * @example
 * ```ts
 * const call: DocumentCall = { item: { html: "<p>hi</p>" }, module: "file:///clean.ts", export: "clean", field: "html" };
 * ```
 */
export interface DocumentCall {
  item: unknown;
  /** Absolute URL of the module exporting the function. */
  module: string;
  export: string;
  /** The item's field holding the HTML text (a string item is the HTML itself when absent from it). */
  field: string;
}

/**
 * linkedom's document: a DOM `Document` (`querySelector`, `title`, `body`...). Typed loosely because the
 * default TypeScript library of Deno has no DOM types.
 */
// deno-lint-ignore no-explicit-any
export type HtmlDocument = any;

/** A function an `html` stage calls: the parsed page, the item and its HTML field's name, giving the new item. */
export type DocumentFunction = (document: HtmlDocument, item: unknown, field: string) => unknown;

const loaded = new Map<string, Promise<DocumentFunction>>();

/**
 * Parses the HTML of `call.item[call.field]` and returns what the named function makes of it.
 *
 * @example
 * ```ts
 * import { callWithDocument } from "./document_call.ts";
 * const article = new URL("./article.ts", import.meta.url).href;
 * const out = await callWithDocument({
 *   item: { html: "<html><head><title>T</title></head><body><p>Hello</p></body></html>" },
 *   module: article, export: "title", field: "html",
 * });
 * console.log(out); // { html: "...", title: "T" }
 * ```
 */
export async function callWithDocument(call: DocumentCall): Promise<unknown> {
  const key = `${call.module}#${call.export}`;
  let fn = loaded.get(key);
  if (!fn) loaded.set(key, fn = load(call.module, call.export));
  const item = call.item;
  const html = typeof item === "string" ? item : (item as Record<string, unknown> | null)?.[call.field];
  if (typeof html !== "string") {
    throw new TypeError(
      `the item has no HTML text in \`${call.field}\` (got ${html === undefined ? "nothing" : typeof html})`,
    );
  }
  const { document } = parseHTML(html) as unknown as { document: HtmlDocument };
  return await (await fn)(document, item, call.field);
}

async function load(module: string, name: string): Promise<DocumentFunction> {
  const fn = (await import(module))[name];
  if (typeof fn !== "function") throw new TypeError(`${module} has no exported function \`${name}\``);
  return fn as DocumentFunction;
}
