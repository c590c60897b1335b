/**
 * The Claude Desktop extension as Claude Desktop would run it: stage the bundle directory with
 * scripts/build-manifests.ts, substitute `${__dirname}` in the manifest's command as the host
 * does, and speak MCP to it over stdio. (Packing the directory into a .mcpb zip is left to the
 * `mcpb` CLI, which is not a dependency.)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageBundle } from "../../scripts/build-manifests.js";
import { TOOL_NAMES } from "../../src/platform/catalog.js";
import { pkg, ROOT } from "./helpers.js";

interface Manifest {
  version: string;
  server: { entry_point: string; mcp_config: { command: string; args: string[] } };
}

describe("mcpb bundle", { timeout: 180_000 }, () => {
  let dir: string;
  let manifest: Manifest;

  beforeAll(() => {
    if (!existsSync(join(ROOT, "dist/cli.js")))
      throw new Error("dist/cli.js is missing: npm run build first");
    dir = stageBundle(join(mkdtempSync(join(tmpdir(), "okta-mcpb-test-")), "bundle"));
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  it("holds the entry point, production dependencies only, and no dev files", () => {
    expect(existsSync(join(dir, manifest.server.entry_point))).toBe(true);
    for (const runtime of ["server", "node", "core", "server-legacy"])
      expect(existsSync(join(dir, "node_modules/@modelcontextprotocol", runtime)), runtime).toBe(true);
    // The v1 SDK and the v2 client serve the tests only.
    for (const dev of [
      "vitest",
      "typescript",
      "@biomejs",
      "tsx",
      "@modelcontextprotocol/sdk",
      "@modelcontextprotocol/client",
    ])
      expect(existsSync(join(dir, "node_modules", dev)), dev).toBe(false);
    for (const path of ["src", "test", "scripts"]) expect(existsSync(join(dir, path)), path).toBe(false);
  });

  it("starts with the manifest's own command and serves every tool", async () => {
    const { command, args } = manifest.server.mcp_config;
    // Claude Desktop runs `node` with its bundled runtime; here, the one running the tests.
    expect(command).toBe("node");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: MCPB's placeholder, substituted as the host does
    const resolved = args.map((a) => a.replaceAll("${__dirname}", dir));
    expect(execFileSync(process.execPath, [...resolved, "--version"], { encoding: "utf8" }).trim()).toBe(
      pkg.version,
    );
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...resolved, "--sandbox"],
      env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn" },
      stderr: "pipe",
    });
    const client = new Client({ name: "mcpb-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    } finally {
      await client.close();
    }
  });
});
