/**
 * Where something is in a configuration file: a 1-based line and column, and the stretch of a line a
 * caret should underline. {@linkcode PathPositions} finds them for a path inside the loaded data.
 * @module
 */

/**
 * A 1-based line and column in a file.
 *
 * @example
 * ```ts
 * const pos: Position = { file: "pipelines/rss2imap.yaml", line: 7, column: 5 };
 * ```
 */
export interface Position {
  /** The file as the user named it (or a label such as "stage `fetch`" for data without a file). */
  file: string;
  /** 1-based line; 0 when the data has no source file (only `file` is shown then). */
  line: number;
  /** 1-based column, counted in characters. */
  column: number;
}

/**
 * A stretch of one source line: where it starts, how many characters to underline, and the text of the
 * whole line (for the snippet under an error). `lineText` is absent when there is no source to show.
 *
 * @example
 * ```ts
 * const pos = { file: "x.yaml", line: 7, column: 5 };
 * const span: Span = { pos, length: 10, lineText: "    concurency: 32" };
 * ```
 */
export interface Span {
  /** Where the stretch starts. */
  pos: Position;
  /** How many characters to underline (at least 1 is drawn). */
  length: number;
  /** The whole source line, for the snippet; undefined when there is no source to show. */
  lineText?: string;
}

/** A path into loaded configuration data: mapping keys and sequence indexes. */
export type ConfigPath = readonly (string | number)[];

/**
 * Positions of the values and keys under one path of a loaded document. `child` walks down; when a
 * path does not exist in the source (a default, a missing key) the nearest existing ancestor answers.
 *
 * @example
 * ```ts
 * import { noPositions } from "./position.ts";
 * const where = noPositions("stage `fetch`").child("with").child("concurrency");
 * console.log(where.path); // ["with", "concurrency"]
 * ```
 */
export interface PathPositions {
  /** The path from the document root. */
  readonly path: ConfigPath;
  /** The positions one level down. */
  child(key: string | number): PathPositions;
  /** Span of the value at this path (the nearest ancestor's value when absent). */
  valueSpan(): Span;
  /** Span of the mapping key that holds this value (the value's span when there is no key). */
  keySpan(): Span;
  /** Whether this path holds a value in the source. */
  exists(): boolean;
  /** The variable's name when the value was one `${VAR}` reference (its text came from the environment). */
  fromVariable(): string | undefined;
  /** The value as written (before YAML typed it), when it was a plain scalar; e.g. `1.10`. */
  rawScalar(): string | undefined;
}

/**
 * Renders a position the way compilers do: `file:line:column`.
 *
 * @example
 * ```ts
 * import { formatPosition } from "./position.ts";
 * formatPosition({ file: "pipelines/x.yaml", line: 7, column: 5 }); // "pipelines/x.yaml:7:5"
 * ```
 */
export function formatPosition(pos: Position): string {
  // Line 0 marks data with no source file (see noPositions): the label alone says where it came from.
  if (pos.line <= 0) return pos.file;
  return `${pos.file}:${pos.line}:${pos.column}`;
}

/**
 * Positions for data that did not come from a file (a pipeline written in TypeScript): every span
 * points at line 0 of `label`, and nothing came from a variable.
 *
 * @example
 * ```ts
 * import { noPositions } from "./position.ts";
 * noPositions("stage `fetch`").valueSpan().pos; // { file: "stage `fetch`", line: 0, column: 0 }
 * ```
 */
export function noPositions(label: string, path: ConfigPath = []): PathPositions {
  const span: Span = { pos: { file: label, line: 0, column: 0 }, length: 0 };
  return {
    path,
    child: (key) => noPositions(label, [...path, key]),
    valueSpan: () => span,
    keySpan: () => span,
    exists: () => false,
    fromVariable: () => undefined,
    rawScalar: () => undefined,
  };
}
