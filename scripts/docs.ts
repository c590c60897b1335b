/**
 * The README's tool and scope tables, generated from the catalog so they never drift from what
 * the server serves. `npm run docs` rewrites them; a test fails when the README is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CATALOG, type Endpoint, toolsByScope } from "../src/platform/catalog.js";
import { SCOPES, type Scope } from "../src/platform/scopes.js";

const README = fileURLToPath(new URL("../README.md", import.meta.url));

function access(e: Endpoint): string {
  if (e.kind === "read" || e.kind === "run") return "read";
  if (e.kind === "update") return "write (overwrites)";
  if (e.kind === "send") return "send";
  return "write";
}

export function toolTable(): string {
  const rows = CATALOG.map(
    (e) =>
      `| \`${e.tool}\` | ${e.method} \`${e.path}\` | ${e.scope ? `\`${e.scope}\`` : "none"} | ${access(e)} | ${e.description} |`,
  );
  return ["| tool | endpoint | scope | access | description |", "|---|---|---|---|---|", ...rows].join("\n");
}

export function scopeTable(): string {
  const tools = toolsByScope();
  const rows = (Object.entries(SCOPES) as [Scope, string][]).map(
    ([scope, description]) =>
      `| \`${scope}\` | ${description} | ${(tools.get(scope) ?? []).map((t) => `\`${t}\``).join(", ")} |`,
  );
  return ["| scope | grants | tools |", "|---|---|---|", ...rows].join("\n");
}

const SECTIONS: Record<string, () => string> = { tools: toolTable, scopes: scopeTable };

/** Replaces the text between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`. */
export function renderReadme(readme: string): string {
  let out = readme;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const pattern = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!pattern.test(out)) throw new Error(`README.md has no <!-- generated:${name} --> block`);
    out = out.replace(pattern, (_, open: string, close: string) => `${open}${render()}\n${close}`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README, renderReadme(readFileSync(README, "utf8")));
  process.stderr.write("README.md tables regenerated from the catalog\n");
}
