/**
 * The client config examples under examples/, each parsed and checked against the shape its
 * client reads, and against this server: the package it runs, flags the CLI accepts, variables
 * it reads, and no credential written inline.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ENVIRONMENT_NAMES } from "../../scripts/build-manifests.js";
import { parseCli } from "../../src/config.js";
import { looksLikeSecret, pkg, readJson, readText, stringsIn } from "./helpers.js";

const Env = z.record(z.string(), z.string());

/** Claude Desktop, Claude Code (.mcp.json) and Cursor share the `mcpServers` shape. */
const StdioEntry = z
  .object({
    type: z.literal("stdio").optional(),
    command: z.string().min(1),
    args: z.array(z.string()),
    env: Env.optional(),
  })
  .strict();
const McpServersFile = z.object({ mcpServers: z.record(z.string(), StdioEntry) }).strict();

const VsCodeFile = z
  .object({
    inputs: z.array(
      z.object({
        type: z.literal("promptString"),
        id: z.string().regex(/^[a-zA-Z0-9_-]+$/),
        description: z.string().min(1),
        password: z.boolean(),
      }),
    ),
    servers: z.record(
      z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]*$/),
      z.object({
        type: z.literal("stdio"),
        command: z.string(),
        args: z.array(z.string()),
        env: Env.optional(),
      }),
    ),
  })
  .strict();

type Entry = z.infer<typeof StdioEntry>;

const KNOWN_VARIABLES = [...ENVIRONMENT_NAMES, "OKTA_MCP_API_KEY"];

/** What every entry must satisfy whatever the client: runs this package, with flags it knows. */
function checkEntry(entry: Entry) {
  expect(entry.command).toBe("npx");
  const at = entry.args.indexOf(pkg.name);
  expect(at, `args name the package ${pkg.name}`).toBeGreaterThanOrEqual(0);
  expect(entry.args).toContain("-y"); // a client cannot answer npx's install prompt
  expect(() => parseCli(entry.args.slice(at + 1))).not.toThrow();
  for (const name of Object.keys(entry.env ?? {})) expect(KNOWN_VARIABLES).toContain(name);
}

/** A secret may only arrive through a placeholder the client fills in, never as a value. */
function checkNoInlineSecret(file: unknown, placeholder: RegExp) {
  for (const s of stringsIn(file)) expect(looksLikeSecret(s), `inline secret? ${s}`).toBe(false);
  const token = (entry: Entry) => entry.env?.OKTA_PARTNER_TOKEN;
  const entries = Object.values(
    (file as { mcpServers?: Record<string, Entry>; servers?: Record<string, Entry> }).mcpServers ??
      (file as { servers: Record<string, Entry> }).servers,
  );
  for (const entry of entries) {
    const value = token(entry);
    if (value !== undefined) expect(value).toMatch(placeholder);
  }
}

describe("client config examples", () => {
  it("Claude Desktop: claude_desktop_config.json (no variable expansion: a token file, not a token)", () => {
    const file = McpServersFile.parse(readJson("examples/claude_desktop_config.json"));
    for (const entry of Object.values(file.mcpServers)) {
      checkEntry(entry);
      expect(entry.env?.OKTA_PARTNER_TOKEN).toBeUndefined();
    }
    checkNoInlineSecret(file, /^$/);
  });

  it("Claude Code: .mcp.json expands variables from the user's environment", () => {
    const file = McpServersFile.parse(readJson("examples/.mcp.json"));
    for (const entry of Object.values(file.mcpServers)) {
      checkEntry(entry);
      for (const value of Object.values(entry.env ?? {})) expect(value).toMatch(/^\$\{[A-Z_]+(:-[^}]*)?\}$/);
    }
    checkNoInlineSecret(file, /^\$\{OKTA_PARTNER_TOKEN\}$/);
  });

  it("Cursor: .cursor/mcp.json takes the token from an env: variable", () => {
    const file = McpServersFile.parse(readJson("examples/.cursor/mcp.json"));
    for (const entry of Object.values(file.mcpServers)) checkEntry(entry);
    checkNoInlineSecret(file, /^\$\{env:[A-Z_]+\}$/);
  });

  it("VS Code: .vscode/mcp.json prompts for the token as a password input", () => {
    const file = VsCodeFile.parse(readJson("examples/.vscode/mcp.json"));
    for (const entry of Object.values(file.servers)) checkEntry(entry);
    checkNoInlineSecret(file, /^\$\{input:[a-zA-Z0-9_-]+\}$/);
    const ids = new Set(file.inputs.map((i) => i.id));
    const refs = [...JSON.stringify(file.servers).matchAll(/\$\{input:([^}]+)\}/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ids).toContain(ref);
    for (const input of file.inputs) expect(input.password).toBe(true);
  });

  it("the chatbot snippet reads its API key from the environment", () => {
    const source = readText("examples/http-client.ts");
    expect(source).toContain("process.env.OKTA_MCP_API_KEY");
    expect(source).toContain("StreamableHTTPClientTransport");
    for (const literal of source.match(/"[^"\n]*"|`[^`\n]*`/g) ?? [])
      expect(looksLikeSecret(literal.slice(1, -1)), literal).toBe(false);
  });

  it("the secret detector itself catches what it should", () => {
    expect(looksLikeSecret("okmcp_Zx3bq9W2kLmN4pQrS7tUvWxYz0a1b2c3d4e5f6g7h8")).toBe(true);
    expect(looksLikeSecret("Bearer abcdefgh12345678")).toBe(true);
    expect(looksLikeSecret("9f2c1e7a5b3d4c6e8f0a1b2c3d4e5f6a")).toBe(true);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: VS Code's placeholder syntax, on purpose
    expect(looksLikeSecret("${input:okta-partner-token}")).toBe(false);
    expect(looksLikeSecret("/path/to/okta-token")).toBe(false);
    expect(looksLikeSecret("okta-partners-mcp")).toBe(false);
  });
});
