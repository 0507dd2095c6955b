/**
 * Reads YAML into plain data while remembering where every key and value came from, and fills
 * `${VAR}` references on the way (before any validation, so option types can be coerced afterwards).
 * @module
 */
// npm: specifiers keep the module importable by URL from a config-less Deno script (ARCHITECTURE.md).
// In this repository deno.json maps this specifier to the package's ES module build (ARCHITECTURE.md,
// "npm packages"); the types come from the package, spelled so that the map leaves them alone.
// deno-lint-ignore no-import-prefix
// @ts-types="npm:yaml@2"
import * as YAML from "npm:yaml@^2.9.1";
import { ConfigError, ConfigErrorCode } from "./config_error.ts";
import { findMisindented } from "./indentation.ts";
import { type Environment, interpolate } from "./interpolate.ts";
import type { ConfigPath, PathPositions, Span } from "./position.ts";

/**
 * What {@linkcode readYamlWithPositions} returns: the data (with variables filled), positions for any
 * path in it, and the YAML syntax and variable errors found.
 *
 * @example
 * ```ts
 * import { readYamlWithPositions } from "./source_map.ts";
 * const loaded: LoadedYaml = readYamlWithPositions("a: 1\n", "x.yaml", {});
 * ```
 */
export interface LoadedYaml {
  data: unknown;
  positions: PathPositions;
  errors: ConfigError[];
  /** True when the YAML itself could not be parsed (then `data` should not be trusted). */
  syntaxFailed: boolean;
}

interface Located {
  value: Span;
  key?: Span;
  /** The variable's name when the whole value was one `${VAR}`. */
  fromVariable?: string;
  raw?: string;
}

const YAML_HINTS: Record<string, string> = {
  DUPLICATE_KEY: "remove or rename one of the two keys",
  BAD_INDENT: "check the indentation: a nested key needs more spaces than its parent",
  TAB_AS_INDENT: "indent with spaces; YAML does not allow tabs there",
  MULTIPLE_DOCS: "keep one pipeline per file (remove the `---` line)",
  MISSING_CHAR: "a bracket or quote is not closed",
  BLOCK_AS_IMPLICIT_KEY: "put a nested mapping on its own indented lines, or quote the value",
};

/**
 * `!bytes TEXT`: the text's UTF-8 bytes (a `Uint8Array`), for test items whose field holds raw bytes
 * (a fetched feed's `body`).
 */
const BYTES_TAG: YAML.ScalarTag = {
  tag: "!bytes",
  resolve: (text: string) => new TextEncoder().encode(text),
  identify: (value: unknown) => value instanceof Uint8Array,
};

/** Parser errors that a misindented line causes (the parser often reports them a line early). */
const INDENT_CODES = new Set([
  "BAD_INDENT",
  "BLOCK_AS_IMPLICIT_KEY",
  "MULTILINE_IMPLICIT_KEY",
  "MISSING_CHAR",
  "UNEXPECTED_TOKEN",
]);

/**
 * Parses `text` (the content of `file`) with positions, interpolates `${VAR}` in every string scalar
 * from `env`, and reports syntax errors and unset or malformed variables as {@linkcode ConfigError}s.
 *
 * @example
 * ```ts
 * import { readYamlWithPositions } from "./source_map.ts";
 * const { data, positions } = readYamlWithPositions("stages:\n  - use: ${S}\n", "x.yaml", { S: "feeds" });
 * console.log(data, positions.child("stages").child(0).child("use").valueSpan().pos.line); // ... 2
 * ```
 */
export function readYamlWithPositions(text: string, file: string, env: Environment): LoadedYaml {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    keepSourceTokens: false,
    customTags: [BYTES_TAG],
  });
  const reader = new PositionReader(text, file, lineCounter, doc, env);
  const errors = syntaxErrors(doc.errors, reader);
  const data = reader.read(doc.contents as YAML.Node | null, [], undefined, 0);
  return {
    data,
    positions: new IndexedPositions(reader.index, [], reader.span(0, 0)),
    errors: [...errors, ...reader.errors],
    syntaxFailed: errors.length > 0,
  };
}

/**
 * The parser's errors worth showing: after one mistake the YAML parser reports every following token as
 * unexpected, so those cascades (and further errors on a line already reported) are dropped.
 */
function syntaxErrors(found: readonly YAML.YAMLError[], reader: PositionReader): ConfigError[] {
  const errors: ConfigError[] = [];
  const lines = new Set<number>();
  for (const e of found) {
    const span = reader.span(e.pos[0], e.pos[1]);
    if (lines.has(span.pos.line) || (e.code === "UNEXPECTED_TOKEN" && errors.length > 0)) continue;
    lines.add(span.pos.line);
    const bad = INDENT_CODES.has(e.code)
      ? findMisindented(reader.text, span.pos.line - 1, span.pos.line + 1)
      : undefined;
    if (bad) {
      // One mistake, one error: the parser's follow-up complaints land on the same lines.
      for (let l = span.pos.line; l <= bad.line; l++) lines.add(l);
      const at = reader.lineSpan(bad.line, bad.indent);
      errors.push(new ConfigError(ConfigErrorCode.Yaml, bad.reason, at, { hint: bad.hint }));
      continue;
    }
    // A `{` after `$` opens a flow mapping inside `{ }` or `[ ]`: the usual cause is an unquoted `${VAR}`.
    const unquotedVariable = /[{[].*\$\{/.test(span.lineText ?? "");
    const hint = unquotedVariable
      ? 'inside `{ }` or `[ ]` a `${VAR}` must be quoted: write "${VAR}"'
      : YAML_HINTS[e.code] ?? "check the YAML syntax here (indentation, quotes, `:` after keys)";
    const message = e.message.replace(/\s+/g, " ").trim();
    errors.push(new ConfigError(ConfigErrorCode.Yaml, `YAML syntax error: ${message}`, span, { hint }));
  }
  return errors;
}

class PositionReader {
  readonly index = new Map<string, Located>();
  readonly errors: ConfigError[] = [];
  readonly #lines: string[];

  constructor(
    readonly text: string,
    readonly file: string,
    readonly lineCounter: YAML.LineCounter,
    readonly doc: YAML.Document,
    readonly env: Environment,
  ) {
    this.#lines = text.split(/\r?\n/);
  }

  /** A span from `start` to `end` (offsets), cut at the end of the start line. */
  span(start: number, end: number): Span {
    const { line, col } = this.lineCounter.linePos(start);
    const lineText = this.#lines[line - 1] ?? "";
    const room = lineText.length - (col - 1);
    return {
      pos: { file: this.file, line, column: col },
      length: Math.max(1, Math.min(end - start, room)),
      lineText,
    };
  }

  /** A span over line `line` (1-based) from column `indent + 1` to its end. */
  lineSpan(line: number, indent: number): Span {
    const lineText = this.#lines[line - 1] ?? "";
    return {
      pos: { file: this.file, line, column: indent + 1 },
      length: Math.max(1, lineText.trimEnd().length - indent),
      lineText,
    };
  }

  read(node: YAML.Node | null, path: ConfigPath, key: Span | undefined, depth: number): unknown {
    if (!node || depth > 64) return null;
    if (YAML.isAlias(node)) {
      // An alias stands for the anchored node; positions point at the alias, where the user wrote it.
      const target = node.resolve(this.doc) as YAML.Node | undefined;
      const here = this.#nodeSpan(node);
      if (!target) {
        this.errors.push(
          new ConfigError(ConfigErrorCode.Yaml, `unknown alias \`*${node.source}\``, here, {
            hint: `define the anchor \`&${node.source}\` before it is used`,
          }),
        );
      }
      const value = this.read(target ?? null, path, key, depth + 1);
      this.#record(path, { value: here, key });
      return value;
    }
    if (YAML.isMap(node)) {
      this.#record(path, { value: this.#collectionSpan(node), key });
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as YAML.Node | null;
        const name = YAML.isScalar(keyNode)
          ? String(keyNode.value)
          : JSON.stringify(keyNode?.toJSON?.() ?? null);
        const keySpan = keyNode?.range
          ? this.span(keyNode.range[0], keyNode.range[1])
          : this.#collectionSpan(node);
        const value = this.read(pair.value as YAML.Node | null, [...path, name], keySpan, depth + 1);
        if (!this.index.has(keyOf([...path, name]))) {
          this.#record([...path, name], { value: keySpan, key: keySpan });
        }
        // defineProperty: a key named `__proto__` must stay a plain key, not replace the prototype.
        Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    if (YAML.isSeq(node)) {
      this.#record(path, { value: this.#collectionSpan(node), key });
      return node.items.map((item, i) =>
        this.read(item as YAML.Node | null, [...path, i], undefined, depth + 1)
      );
    }
    if (YAML.isScalar(node)) {
      const span = this.#nodeSpan(node);
      const raw = node.type === "PLAIN" && typeof node.source === "string" ? node.source : undefined;
      if (typeof node.value !== "string") {
        this.#record(path, { value: span, key, raw });
        return node.value;
      }
      const filled = this.#interpolate(node.value, node);
      this.#record(path, {
        value: span,
        key,
        fromVariable: filled.wholeVariable ? filled.references[0].name : undefined,
        raw,
      });
      return filled.value;
    }
    return null;
  }

  #interpolate(value: string, node: YAML.Node) {
    const filled = interpolate(value, this.env);
    const start = node.range?.[0] ?? 0;
    const source = this.text.slice(start, node.range?.[1] ?? start);
    for (const ref of filled.unset) {
      const at = this.#findInSource(source, `\${${ref.name}`, ref.index, value);
      this.errors.push(
        new ConfigError(
          ConfigErrorCode.UnsetVariable,
          `environment variable \`${ref.name}\` is not set`,
          { ...this.span(start + at, start + at + ref.length) },
          { hint: `set ${ref.name} or write \${${ref.name}:-default}` },
        ),
      );
    }
    for (const bad of filled.malformed) {
      const at = this.#findInSource(source, value.slice(bad.index, bad.index + 2), bad.index, value);
      this.errors.push(
        new ConfigError(
          ConfigErrorCode.BadVariable,
          `bad variable reference: ${bad.problem}`,
          this.span(start + at, start + at + bad.length),
          { hint: "write ${NAME} or ${NAME:-default}; write $$ for a literal $" },
        ),
      );
    }
    return filled;
  }

  /**
   * Where the `occurrence`-th match of `needle` (counted in the parsed value up to `indexInValue`) is in
   * the raw source. Quoting and escapes make source and value differ, but `${NAME` is written literally.
   */
  #findInSource(source: string, needle: string, indexInValue: number, value: string): number {
    let occurrence = 0;
    for (let i = value.indexOf(needle); i >= 0 && i < indexInValue; i = value.indexOf(needle, i + 1)) {
      occurrence++;
    }
    let at = source.indexOf(needle);
    for (let n = 0; n < occurrence && at >= 0; n++) at = source.indexOf(needle, at + 1);
    return Math.max(0, at);
  }

  #nodeSpan(node: YAML.Node): Span {
    const [start, end] = node.range ?? [0, 0];
    return this.span(start, end);
  }

  /** A mapping or list is underlined on its first line only, up to the end of its first entry there. */
  #collectionSpan(node: YAML.Node): Span {
    const [start, end] = node.range ?? [0, 0];
    const lineEnd = this.text.indexOf("\n", start);
    let stop = Math.min(end, lineEnd < 0 ? this.text.length : lineEnd);
    if (YAML.isMap(node) && node.items.length > 0) {
      const first = node.items[0];
      const last = ((first.value as YAML.Node | null)?.range ?? (first.key as YAML.Node | null)?.range)?.[1];
      if (last !== undefined && last <= stop) stop = last;
    }
    return this.span(start, Math.max(start + 1, start + this.text.slice(start, stop).trimEnd().length));
  }

  #record(path: ConfigPath, located: Located): void {
    this.index.set(keyOf(path), located);
  }
}

function keyOf(path: ConfigPath): string {
  return JSON.stringify(path);
}

class IndexedPositions implements PathPositions {
  constructor(
    readonly index: Map<string, Located>,
    readonly path: ConfigPath,
    readonly root: Span,
  ) {}

  child(key: string | number): PathPositions {
    return new IndexedPositions(this.index, [...this.path, key], this.root);
  }

  valueSpan(): Span {
    return (this.index.get(keyOf(this.path)) ?? this.#nearest()).value;
  }

  keySpan(): Span {
    const own = this.index.get(keyOf(this.path));
    if (own) return own.key ?? own.value;
    const near = this.#nearest();
    return near.key ?? near.value;
  }

  exists(): boolean {
    return this.index.has(keyOf(this.path));
  }

  fromVariable(): string | undefined {
    return this.index.get(keyOf(this.path))?.fromVariable;
  }

  rawScalar(): string | undefined {
    return this.index.get(keyOf(this.path))?.raw;
  }

  #nearest(): Located {
    for (let n = this.path.length - 1; n >= 0; n--) {
      const found = this.index.get(keyOf(this.path.slice(0, n)));
      if (found) return found;
    }
    return { value: this.root };
  }
}
