/**
 * The client config examples under examples/, each parsed and checked against the shape its
 * client reads, and against this server: the package it runs, flags the CLI accepts, variables
 * it reads, and no credential written inline. Every file has the published form (`npx -y
 * okta-partners-mcp`, once on npm) and the checkout form (`node /path/to/okta-partners-mcp/dist/cli.js`,
 * which works today); each checkout entry is started as its client would start it (the path
 * pointed at this checkout, the placeholders filled in) and must list the tools.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ENVIRONMENT_NAMES } from "../../scripts/build-manifests.js";
import { parseCli } from "../../src/config.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { CLI } from "../helpers.js";
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

/** Where the checkout form expects the user's clone; the test points it at this checkout. */
const CHECKOUT_CLI = "/path/to/okta-partners-mcp/dist/cli.js";

/**
 * What every entry must satisfy whatever the client: runs this package (published, through npx)
 * or a checkout's built bin (through node), with flags it knows. Returns which form it is.
 */
function checkEntry(entry: Entry): "published" | "checkout" {
  for (const name of Object.keys(entry.env ?? {})) expect(KNOWN_VARIABLES).toContain(name);
  if (entry.command === "node") {
    expect(entry.args[0]).toBe(CHECKOUT_CLI);
    expect(() => parseCli(entry.args.slice(1))).not.toThrow();
    return "checkout";
  }
  expect(entry.command).toBe("npx");
  const at = entry.args.indexOf(pkg.name);
  expect(at, `args name the package ${pkg.name}`).toBeGreaterThanOrEqual(0);
  expect(entry.args).toContain("-y"); // a client cannot answer npx's install prompt
  expect(() => parseCli(entry.args.slice(at + 1))).not.toThrow();
  return "published";
}

/** Both forms in every file: the package is not on npm yet, so the checkout form must be there. */
function checkEntries(entries: Record<string, Entry>) {
  const forms = new Set(Object.values(entries).map(checkEntry));
  expect([...forms].sort()).toEqual(["checkout", "published"]);
}

let sandbox: Sandbox;
let tokenFile: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  tokenFile = join(mkdtempSync(join(tmpdir(), "okmcp-configs-")), "okta-token");
  writeFileSync(tokenFile, `${sandbox.token}\n`);
});
afterAll(() => sandbox?.stop());

/** A variable's value as the client would fill it in, here aimed at a local sandbox. */
function filled(name: string): string {
  if (name === "OKTA_PARTNER_TOKEN") return sandbox.token;
  if (name === "OKTA_PARTNER_TOKEN_FILE") return tokenFile;
  if (name === "OKTA_API_BASE_URL") return sandbox.baseUrl;
  throw new Error(`no test value for ${name}`);
}

/** Starts every checkout entry of a file as its client would, and lists its tools. */
async function startCheckoutEntries(entries: Record<string, Entry>) {
  for (const [name, entry] of Object.entries(entries)) {
    if (entry.command !== "node") continue;
    const env: Record<string, string> = { PATH: process.env.PATH ?? "" };
    for (const variable of Object.keys(entry.env ?? {})) env[variable] = filled(variable);
    // Never the production platform from a test: a token entry talks to the local sandbox.
    if (!entry.args.includes("--sandbox")) env.OKTA_API_BASE_URL = sandbox.baseUrl;
    const client = new Client({ name: "config-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, ...entry.args.slice(1)],
        env,
        stderr: "ignore",
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.length, name).toBe(22);
    } finally {
      await client.close();
    }
  }
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
  it("Claude Desktop: claude_desktop_config.json (no variable expansion: a token file, not a token)", async () => {
    const file = McpServersFile.parse(readJson("examples/claude_desktop_config.json"));
    checkEntries(file.mcpServers);
    for (const entry of Object.values(file.mcpServers)) expect(entry.env?.OKTA_PARTNER_TOKEN).toBeUndefined();
    checkNoInlineSecret(file, /^$/);
    await startCheckoutEntries(file.mcpServers);
  });

  it("Claude Code: .mcp.json expands variables from the user's environment", async () => {
    const file = McpServersFile.parse(readJson("examples/.mcp.json"));
    checkEntries(file.mcpServers);
    for (const entry of Object.values(file.mcpServers))
      for (const value of Object.values(entry.env ?? {})) expect(value).toMatch(/^\$\{[A-Z_]+(:-[^}]*)?\}$/);
    checkNoInlineSecret(file, /^\$\{OKTA_PARTNER_TOKEN\}$/);
    await startCheckoutEntries(file.mcpServers);
  });

  it("Cursor: .cursor/mcp.json takes the token from an env: variable", async () => {
    const file = McpServersFile.parse(readJson("examples/.cursor/mcp.json"));
    checkEntries(file.mcpServers);
    checkNoInlineSecret(file, /^\$\{env:[A-Z_]+\}$/);
    await startCheckoutEntries(file.mcpServers);
  });

  it("VS Code: .vscode/mcp.json prompts for the token as a password input", async () => {
    const file = VsCodeFile.parse(readJson("examples/.vscode/mcp.json"));
    checkEntries(file.servers);
    checkNoInlineSecret(file, /^\$\{input:[a-zA-Z0-9_-]+\}$/);
    const ids = new Set(file.inputs.map((i) => i.id));
    const refs = [...JSON.stringify(file.servers).matchAll(/\$\{input:([^}]+)\}/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ids).toContain(ref);
    for (const input of file.inputs) expect(input.password).toBe(true);
    await startCheckoutEntries(file.servers);
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
