/**
 * Bun preload plugin that lets Bun load the `npm:name@version` specifiers sluice's source uses (so the same
 * files import by URL under Deno with no import map). Bun hands such imports to the plugin in the `npm`
 * namespace with the `name@version[/subpath]` as path; the plugin drops the version and resolves the bare
 * name from the project's node_modules.
 *
 * Loaded through `bunfig.toml` (`preload` and `[test] preload`); it does nothing under other runtimes.
 *
 * @example
 * ```toml
 * preload = ["./engine/runtime/bun_npm_plugin.ts"]
 * ```
 */
// deno-lint-ignore no-explicit-any
const bun = (globalThis as any).Bun;

/** Splits `@scope/name@1.2/sub/path` into the bare import `@scope/name/sub/path`. */
export function bareSpecifier(path: string): string {
  const scoped = path.startsWith("@");
  const parts = path.split("/");
  const nameParts = scoped ? parts.slice(0, 2) : parts.slice(0, 1);
  const rest = parts.slice(nameParts.length);
  const last = nameParts.length - 1;
  const at = nameParts[last].indexOf("@", scoped && last === 0 ? 1 : 0);
  if (at > 0) nameParts[last] = nameParts[last].slice(0, at);
  return [...nameParts, ...rest].join("/");
}

if (bun?.plugin) {
  bun.plugin({
    name: "sluice-npm-specifiers",
    setup(
      build: {
        onResolve: (
          o: { filter: RegExp; namespace?: string },
          f: (a: { path: string; importer: string }) => { path: string },
        ) => void;
      },
    ) {
      build.onResolve({ filter: /.*/, namespace: "npm" }, (args) => {
        const bare = bareSpecifier(args.path.replace(/^npm:/, ""));
        return { path: bun.resolveSync(bare, import.meta.dirname ?? ".") };
      });
    },
  });
}
