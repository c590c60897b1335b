/**
 * Smoke test with the official MCP Inspector's CLI (a devDependency, so it runs offline after
 * `npm ci`): list tools, call one, read a resource, over stdio (the built bin with --sandbox) and
 * over Streamable HTTP (the server in-process with an API key), in both protocol eras.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Installation } from "../../src/installation.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { installationFor, KEY_A, startServer } from "../e2e/http-harness.js";
import { CLI, sandboxWith } from "../helpers.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const INSPECTOR = join(
  dirname(require.resolve("@modelcontextprotocol/inspector/package.json")),
  "clients/launcher/build/index.js",
);

/** The Inspector keeps a catalog and storage under HOME: a throwaway one, not the developer's. */
const HOME = mkdtempSync(join(tmpdir(), "okta-inspector-"));

async function inspector(target: string[], args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [INSPECTOR, "--cli", ...target, ...args], {
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? "", HOME, MCP_CATALOG_PATH: join(HOME, "mcp.json"), LOG_LEVEL: "warn" },
    maxBuffer: 10 * 1024 * 1024,
  });
  return JSON.parse(stdout.slice(stdout.indexOf("{")));
}

const CALLS: [string, string[], (out: Record<string, unknown>) => void][] = [
  [
    "tools/list",
    ["--method", "tools/list"],
    (out) => {
      const tools = out.tools as { name: string }[];
      expect(tools.map((t) => t.name)).toContain("get_student");
      expect(tools).toHaveLength(22);
    },
  ],
  [
    "tools/call get_student",
    ["--method", "tools/call", "--tool-name", "get_student", "--tool-arg", "id=1"],
    (out) => {
      expect(out.isError).toBeFalsy();
      expect((out.structuredContent as { data: { id: number } }).data.id).toBe(1);
    },
  ],
  [
    "resources/read okta://whoami",
    ["--method", "resources/read", "--uri", "okta://whoami"],
    (out) => {
      const [first] = out.contents as { uri: string; text: string }[];
      expect(first?.uri).toBe("okta://whoami");
      expect(JSON.parse(first!.text).tenant_id).toBe(42);
    },
  ],
];

describe("MCP Inspector CLI over stdio", () => {
  for (const [name, args, check] of CALLS) {
    it(name, async () => check(await inspector([process.execPath, CLI, "--sandbox"], args)), 40_000);
  }
});

describe("MCP Inspector CLI over Streamable HTTP", () => {
  let sandbox: Sandbox;
  let installation: Installation;
  let handle: HttpServerHandle;
  beforeAll(async () => {
    sandbox = await sandboxWith();
    installation = await installationFor(sandbox.baseUrl, sandbox.token, "inspector");
    // One session per key: the Inspector's 2025 runs below must not lock the key out.
    handle = await startServer({ installation, apiKey: KEY_A }, { limits: { maxSessionsPerKey: 1 } });
  });
  afterAll(async () => {
    await handle?.close();
    await installation?.close();
    await sandbox?.stop();
  });
  const target = (era: string) => [
    handle.mcpUrl,
    "--transport",
    "http",
    "--protocol-era",
    era,
    "--header",
    `Authorization: Bearer ${KEY_A}`,
  ];
  for (const [name, args, check] of CALLS) {
    it(`${name} (2026-07-28: no session left behind)`, async () => {
      check(await inspector(target("modern"), args));
      expect(handle.sessionCount()).toBe(0);
    }, 40_000);
  }
  for (const [name, args, check] of CALLS) {
    // The Inspector's CLI never ends a 2025 session; each run's leftover makes room for the next.
    it(`${name} (2025, run after run under a cap of one session)`, async () => {
      check(await inspector(target("legacy"), args));
      expect(handle.sessionCount()).toBe(1);
    }, 40_000);
  }
  it("is refused without the API key", async () => {
    await expect(
      inspector([handle.mcpUrl, "--transport", "http"], ["--method", "tools/list"]),
    ).rejects.toThrow();
  }, 40_000);
});
