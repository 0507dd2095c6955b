/**
 * `stages`: the built-in stages with their item types and options, read from the stage registry, so the
 * listing cannot disagree with the code. `stages NAME` shows one stage in full, with an example.
 * @module
 */
import { type OptionSpec, suggest } from "../engine/config/mod.ts";
import type { StageFactory } from "../engine/config/mod.ts";
import { builtinStages } from "../stages/registry.ts";
import { EXIT } from "./exit_codes.ts";

/**
 * Prints every built-in stage, or the one called `name`; returns the exit code (1 for an unknown name).
 *
 * @example
 * ```ts ignore
 * const code = stagesCommand("fetch", console.log, console.error);
 * ```
 */
export function stagesCommand(
  name: string | undefined,
  print: (text: string) => void,
  printError: (text: string) => void,
): number {
  const registry = builtinStages();
  const names = registry.names();
  if (name === undefined) {
    print(listStages(names.map((n) => registry.get(n)!)));
    return EXIT.OK;
  }
  const factory = registry.get(name);
  if (!factory) {
    const near = suggest(name, names);
    printError(
      `error: no built-in stage \`${name}\`${near ? `; did you mean \`${near}\`?` : ""}\n` +
        `built-in stages: ${names.join(", ")}`,
    );
    return EXIT.CONFIG;
  }
  print(describeStage(factory));
  return EXIT.OK;
}

/**
 * The listing of `cli.ts stages`: per stage its name, item types, description and option names.
 *
 * @example
 * ```ts
 * import { listStages } from "./stages_command.ts";
 * console.log(listStages([]).startsWith("Built-in stages")); // true
 * ```
 */
export function listStages(factories: StageFactory[]): string {
  const width = Math.max(0, ...factories.map((f) => f.name.length)) + 2;
  const lines = [
    "Built-in stages (`use: NAME` in a pipeline file; `cli.ts stages NAME` shows one with an example):",
    "",
  ];
  for (const f of factories) {
    lines.push(`  ${f.name.padEnd(width)}${f.inType} -> ${f.outType}`);
    lines.push(`  ${" ".repeat(width)}${f.description}`);
    const options = Object.keys(f.options);
    lines.push(`  ${" ".repeat(width)}options: ${options.length ? options.join(", ") : "none"}`);
  }
  return lines.join("\n");
}

/**
 * `cli.ts stages NAME`: the stage's types, defaults, every option (type, default, description) and an
 * example `stages:` item.
 *
 * @example
 * ```ts
 * import { describeStage } from "./stages_command.ts";
 * const text = describeStage({
 *   name: "shout", description: "upper-cases", inType: "string", outType: "string", options: {},
 *   create: () => { throw new Error("not built here"); },
 * });
 * console.log(text.includes("- use: shout")); // true
 * ```
 */
export function describeStage(f: StageFactory): string {
  const lines = [`${f.name}: ${f.description}`, "", `  items:    ${f.inType} -> ${f.outType}`];
  const d = f.defaults ?? {};
  const settings = [
    d.placement && `placement ${d.placement}`,
    d.concurrency && `concurrency ${d.concurrency}`,
    d.capacity !== undefined && `capacity ${d.capacity}`,
    d.onError && `on-error ${d.onError}`,
    d.retry && `retry ${d.retry.attempts}`,
  ].filter(Boolean);
  if (settings.length) lines.push(`  defaults: ${settings.join(", ")}`);
  const entries = Object.entries(f.options);
  lines.push("", entries.length ? "Options (under `with:`):" : "Options: none");
  const width = Math.max(0, ...entries.map(([k]) => k.length)) + 2;
  for (const [key, spec] of entries) {
    lines.push(`  ${key.padEnd(width)}${typeOf(spec)}${defaultOf(spec)}`);
    lines.push(`  ${" ".repeat(width)}${spec.description}`);
  }
  lines.push("", "Example:", ...exampleOf(f).split("\n").map((l) => `  ${l}`));
  return lines.join("\n");
}

/** The factory's own example, or one made from its required options. */
function exampleOf(f: StageFactory): string {
  if (f.example) return f.example;
  const required = Object.entries(f.options).filter(([, s]) => s.required);
  if (!required.length) return `- use: ${f.name}`;
  return [`- use: ${f.name}`, "  with:", ...required.map(([k, s]) => `    ${k}: ${placeholder(s)}`)]
    .join("\n");
}

function placeholder(spec: OptionSpec): string {
  switch (spec.type) {
    case "string":
      return spec.enum?.[0] ?? "...";
    case "integer":
    case "number":
      return String(spec.min ?? 1);
    case "boolean":
      return "true";
    case "duration":
      return "10s";
    case "string[]":
      return "[...]";
    default:
      return "{}";
  }
}

function typeOf(spec: OptionSpec): string {
  let t: string = spec.type;
  if (spec.type === "string" && spec.enum) t = spec.enum.join(" | ");
  if (
    (spec.type === "integer" || spec.type === "number") && (spec.min !== undefined || spec.max !== undefined)
  ) {
    t += ` (${spec.min ?? ""}..${spec.max ?? ""})`;
  }
  return spec.required ? `${t}, required` : t;
}

function defaultOf(spec: OptionSpec): string {
  if (!("default" in spec) || spec.default === undefined) return "";
  if (spec.type === "string" && spec.secret) return "";
  const value = spec.default;
  if (value === "") return ", default empty";
  return `, default ${typeof value === "string" ? value : JSON.stringify(value)}`;
}
