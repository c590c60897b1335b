/**
 * The install docs against the code they describe. The README's tool and scope tables have their
 * own test (test/platform/docs.test.ts); this one checks what a user copies from the README,
 * docs/, examples/ and the container files: flags the CLI accepts, variables it reads, links
 * that resolve, and the README's Claude Desktop snippet equal to the example file.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { USAGE } from "../../src/config.js";
import { ROOT, readJson, readText } from "./helpers.js";

const MARKDOWN = [
  "README.md",
  "SECURITY.md",
  "CHANGELOG.md",
  ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`),
];
const COPIED = [...MARKDOWN, "Dockerfile", "compose.yaml", "examples/http-client.ts"];
const EXAMPLE_JSON = [
  "examples/claude_desktop_config.json",
  "examples/.mcp.json",
  "examples/.cursor/mcp.json",
  "examples/.vscode/mcp.json",
];

/** Flags the CLI documents in its --help text. */
const CLI_FLAGS = new Set(USAGE.match(/--[a-z][a-z-]*/g));

/** Flags given to this server on one line of a doc: what follows its bin, or a CMD/command array. */
function serverFlags(line: string): string[] {
  if (/inspector|npm run|mcpb pack|docker (build|compose)|redis-server/.test(line)) return [];
  const at = Math.max(line.lastIndexOf("okta-partners-mcp "), line.lastIndexOf("cli.js"));
  const rest = /^\s*(CMD|command:)/.test(line) ? line : at === -1 ? "" : line.slice(at);
  return rest.match(/(?<=^|[\s"'[])--[a-z][a-z-]*/g) ?? [];
}

describe("install docs", () => {
  it("pass the server only flags the CLI knows", () => {
    const unknown: string[] = [];
    for (const file of COPIED)
      for (const line of readText(file).split("\n"))
        for (const flag of serverFlags(line)) if (!CLI_FLAGS.has(flag)) unknown.push(`${file}: ${flag}`);
    expect(unknown).toEqual([]);
  });

  it("name only OKTA_* variables the CLI reads", () => {
    const unknown: string[] = [];
    for (const file of [...COPIED, ...EXAMPLE_JSON])
      for (const name of readText(file).match(/\bOKTA_[A-Z_]+[A-Z]\b/g) ?? [])
        if (!USAGE.includes(name)) unknown.push(`${file}: ${name}`);
    expect(unknown).toEqual([]);
  });

  it("link only to files that exist", () => {
    const broken: string[] = [];
    for (const file of MARKDOWN)
      for (const [, target] of readText(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const path = join(ROOT, dirname(file), target!.split("#")[0]!);
        if (!existsSync(path)) broken.push(`${file}: ${target}`);
      }
    expect(broken).toEqual([]);
  });

  it("show the same Claude Desktop config in the README as in examples/", () => {
    const section = readText("README.md").split("## Connect a client")[1]!.split("\n## ")[0]!;
    const snippet = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]!) as {
      mcpServers: Record<string, unknown>;
    };
    const example = readJson("examples/claude_desktop_config.json") as {
      mcpServers: Record<string, unknown>;
    };
    for (const [name, entry] of Object.entries(snippet.mcpServers))
      expect(entry).toEqual(example.mcpServers[name]);
  });

  it("the flag extraction sees flags where they are", () => {
    expect(serverFlags("npx -y okta-partners-mcp --sandbox --read-only")).toEqual([
      "--sandbox",
      "--read-only",
    ]);
    expect(serverFlags('CMD ["--transport", "http"]')).toEqual(["--transport"]);
    expect(serverFlags("claude mcp add x --env A=b -- npx -y okta-partners-mcp")).toEqual([]);
  });
});
