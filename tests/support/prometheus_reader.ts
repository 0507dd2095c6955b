/**
 * Reads the Prometheus text format strictly, as a scraper would, failing on any line it does not
 * understand: `# HELP`/`# TYPE` before a family's samples, `name{label="value",...} number`.
 * @module
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The families' types and every sample, in order. */
export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

/**
 * Parses `text`; throws naming the first line that is not in the format.
 *
 * @example
 * ```ts
 * import { readPrometheusText } from "./prometheus_reader.ts";
 * const e = readPrometheusText('# TYPE x_total counter\nx_total{a="b"} 1\n');
 * console.log(e.samples[0].labels.a); // "b"
 * ```
 */
export function readPrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) continue;
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      if (!NAME.test(name) || !["counter", "gauge", "histogram", "summary", "untyped"].includes(type)) {
        throw new Error(`bad TYPE line: ${line}`);
      }
      if (types.has(name)) throw new Error(`family ${name} declared twice`);
      types.set(name, type);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let l = LABEL.exec(m[2]); l; l = LABEL.exec(m[2])) {
        labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
        consumed = LABEL.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`bad labels: ${line}`);
    }
    const value = m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== "NaN") throw new Error(`bad value: ${line}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, "");
    if (!types.has(m[1]) && !(types.get(family) === "histogram")) {
      throw new Error(`sample before its TYPE line: ${line}`);
    }
    samples.push({ name: m[1], labels, value });
  }
  return { types, samples };
}

/**
 * The value of the sample `name` whose labels include `labels`; undefined when there is none.
 *
 * @example
 * ```ts ignore
 * valueOf(exposition, "sluice_stage_items_in_total", { stage: "fetch" });
 * ```
 */
export function valueOf(
  e: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return e.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}
